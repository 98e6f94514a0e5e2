"""Failed authentications (client secrets at the token endpoint, passwords at sign-in), counted so
that guessing is slow and visible, and so that nobody can lock the holder out from elsewhere.

Two counts decide (docs/auth.md, "Audit log and guessing"):
* per identity *and* source together: guessing one client's secret or one person's password from
  one source is refused after a few failures, but only from that source; the holder, elsewhere,
  is never locked out by somebody else's failures;
* per source, across every identity: one source cannot spread its guesses over many client ids or
  e-mail addresses, nor probe for ids that do not exist.

The counts live in the database (`failed_attempt`), so every API process, on every host, counts the
same failures: the limits hold for the whole service, not per process (docs/operations.md, "State
shared between processes").
"""

import hashlib
import ipaddress
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from api.oauth.models import FailedAttempt

log = logging.getLogger("coplab")
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

    Each failure is a row of `failed_attempt` under this limiter's `kind`, its key hashed, so every
    process connected to the database counts the same failures. A check is one indexed read; a
    failure is one insert, then the rows of this kind that have left the window are deleted, so the
    table holds about one window of failures whatever the number of distinct keys. The clock is the
    wall clock (seconds since the epoch): every host must keep its clock synchronised.
    """

    def __init__(
        self, *, kind: str, limit: int, window_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.kind = kind
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock

    @staticmethod
    def hashed(key: str) -> str:
        """What is stored of a key: its SHA-256, so no e-mail address or client id is kept in clear."""
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    def retry_after(self, connection: sa.Connection, *keys: str) -> int | None:
        """Whole seconds until every key is under its limit again, or None if none is over it."""
        if not keys:
            return None
        now = self._clock()
        table = FailedAttempt.__table__
        counts = connection.execute(
            sa.select(sa.func.count(), sa.func.min(table.c.failed_at))
            .where(
                table.c.kind == self.kind,
                table.c.key_hash.in_({self.hashed(key) for key in keys}),
                table.c.failed_at > now - self.window_seconds,
            )
            .group_by(table.c.key_hash)
        ).all()
        waits = [oldest + self.window_seconds - now for count, oldest in counts if count >= self.limit]
        return max(1, int(max(waits)) + 1) if waits else None

    def failed(self, connection: sa.Connection, *keys: str) -> None:
        """Count one failure against each key (within the caller's transaction)."""
        if not keys:
            return
        now = self._clock()
        table = FailedAttempt.__table__
        connection.execute(
            table.insert(), [{"kind": self.kind, "key_hash": self.hashed(key), "failed_at": now} for key in keys]
        )

    def prune(self, connection: sa.Connection) -> int:
        """Delete this kind's failures that have left the window; returns how many."""
        table = FailedAttempt.__table__
        cutoff = self._clock() - self.window_seconds
        return connection.execute(
            table.delete().where(table.c.kind == self.kind, table.c.failed_at <= cutoff)
        ).rowcount


def _prune(engine: sa.Engine, limiters: Iterable[FailureLimiter]) -> None:
    """Opportunistic, in a transaction of its own: a prune that loses a lock race to another process
    (which is deleting the same rows) is simply left to the next failure."""
    try:
        with engine.begin() as connection:
            for limiter in limiters:
                limiter.prune(connection)
    except sa.exc.DBAPIError as error:
        log.info("failed attempts not pruned this time: %s", error.orig)


@dataclass(frozen=True)
class GuessingLimits:
    """The two counts of one kind of secret: per identity and source together, and per source.

    Both methods are blocking calls on a synchronous engine: call them from a worker thread
    (`run_in_threadpool`). Only a failure writes; a check is one short read.
    """

    per_identity_and_source: FailureLimiter
    per_source: FailureLimiter
    # What is guessed ("token", "sign_in"): the label of coplab_rate_limited_total.
    kind: str = "unnamed"

    @classmethod
    def of(cls, *, kind: str, limit: int, source_limit: int, window_seconds: float) -> "GuessingLimits":
        return cls(
            per_identity_and_source=FailureLimiter(kind=kind, limit=limit, window_seconds=window_seconds),
            per_source=FailureLimiter(kind=f"{kind}:source", limit=source_limit, window_seconds=window_seconds),
            kind=kind,
        )

    @staticmethod
    def _keys(identities: Iterable[str], source: str) -> list[str]:
        return [f"{identity} from {source}" for identity in dict.fromkeys(identities)]

    def retry_after(self, engine: sa.Engine, *, identities: Iterable[str], source: str) -> int | None:
        """Seconds to wait before this source may try these identities again; None if it may now.
        Every refusal counts in coplab_rate_limited_total."""
        with engine.connect() as connection:
            waits = [
                self.per_identity_and_source.retry_after(connection, *self._keys(identities, source)),
                self.per_source.retry_after(connection, source),
            ]
        wait = max((wait for wait in waits if wait is not None), default=None)
        if wait is not None:
            RATE_LIMITED.labels(limiter=self.kind).inc()
        return wait

    def failed(self, engine: sa.Engine, *, identities: Iterable[str], source: str) -> None:
        with engine.begin() as connection:
            self.per_identity_and_source.failed(connection, *self._keys(identities, source))
            self.per_source.failed(connection, source)
        _prune(engine, [self.per_identity_and_source, self.per_source])
