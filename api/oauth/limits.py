"""Failed client authentications, counted per client and per address, to stop secret guessing."""

import time
from collections import deque
from collections.abc import Callable


class FailureLimiter:
    """At most `limit` failures per key within `window_seconds`; beyond that, callers wait.

    In-process and touched only from the event loop. With several API processes each counts on its
    own, so the effective allowance is `limit` times the number of processes (docs/auth.md).
    """

    def __init__(self, *, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, *keys: str) -> int | None:
        """Whole seconds until every key is under its limit again, or None if none is over it."""
        now = self._clock()
        waits = []
        for key in keys:
            failures = self._recent(key, now)
            if len(failures) >= self.limit:
                waits.append(failures[0] + self.window_seconds - now)
        return max(1, int(max(waits)) + 1) if waits else None

    def failed(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            self._recent(key, now)
            self._failures.setdefault(key, deque()).append(now)
