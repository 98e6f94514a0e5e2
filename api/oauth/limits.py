"""Failed authentications (client secrets at the token endpoint, passwords at sign-in), counted so
that guessing is slow and visible, and so that nobody can lock the holder out from elsewhere.

Two counts decide (docs/auth.md, "Audit log and guessing"):
* per identity *and* source together: guessing one client's secret or one person's password from
  one source is refused after a few failures, but only from that source; the holder, elsewhere,
  is never locked out by somebody else's failures;
* per source, across every identity: one source cannot spread its guesses over many client ids or
  e-mail addresses, nor probe for ids that do not exist.
"""

import ipaddress
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from api.core.metrics import RATE_LIMITED

# An IPv6 host usually holds a whole /64: counting each of its addresses apart would give it 2^64
# fresh starts.
IPV6_SOURCE_PREFIX = 64


def source_of(host: str | None) -> str:
    """The source a request is counted against: the client's IPv4 address, or its IPv6 /64."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # not an IP address (a Unix socket, a test client's name): counted as given
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_SOURCE_PREFIX), strict=False))
    return str(address)


class FailureLimiter:
    """At most `limit` failures per key within `window_seconds`; beyond that, callers wait.

    In-process and touched only from the event loop. With several API processes each counts on its
    own, so the effective allowance is `limit` times the number of processes (docs/auth.md).
    """

    # Keys are swept of expired failures once there are this many, so a flood of distinct keys
    # cannot grow memory beyond what one window of failures holds.
    SWEEP_AT = 10_000

    def __init__(self, *, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._sweep_at = self.SWEEP_AT

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
        if len(self._failures) >= self._sweep_at:
            for key in list(self._failures):
                self._recent(key, now)
            self._sweep_at = max(self.SWEEP_AT, 2 * len(self._failures))

    def __len__(self) -> int:
        return len(self._failures)


@dataclass(frozen=True)
class GuessingLimits:
    """The two counts of one kind of secret: per identity and source together, and per source."""

    per_identity_and_source: FailureLimiter
    per_source: FailureLimiter
    # What is guessed ("token", "sign_in"): the label of coplab_rate_limited_total.
    kind: str = "unnamed"

    @classmethod
    def of(cls, *, limit: int, source_limit: int, window_seconds: float, kind: str = "unnamed") -> "GuessingLimits":
        return cls(
            per_identity_and_source=FailureLimiter(limit=limit, window_seconds=window_seconds),
            per_source=FailureLimiter(limit=source_limit, window_seconds=window_seconds),
            kind=kind,
        )

    @staticmethod
    def _keys(identities: Iterable[str], source: str) -> list[str]:
        return [f"{identity} from {source}" for identity in dict.fromkeys(identities)]

    def retry_after(self, *, identities: Iterable[str], source: str) -> int | None:
        """Seconds to wait before this source may try these identities again; None if it may now.
        Every refusal counts in coplab_rate_limited_total."""
        waits = [
            self.per_identity_and_source.retry_after(*self._keys(identities, source)),
            self.per_source.retry_after(source),
        ]
        wait = max((wait for wait in waits if wait is not None), default=None)
        if wait is not None:
            RATE_LIMITED.labels(limiter=self.kind).inc()
        return wait

    def failed(self, *, identities: Iterable[str], source: str) -> None:
        self.per_identity_and_source.failed(*self._keys(identities, source))
        self.per_source.failed(source)
