"""A process-wide copy of the vocabulary terms: a few hundred rows read on nearly every request."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.vocabularies.models import VocabularyTerm


@dataclass(frozen=True)
class CachedTerm:
    """A detached copy of a term: ORM rows would expire with the session that loaded them."""

    vocabulary: str
    code: str
    label: str
    description: str | None
    attributes: dict[str, str] = field(default_factory=dict)
    label_fr: str | None = None


class TermCache:
    """Terms by (vocabulary, code), re-read at most every `ttl_seconds` so that a vocabulary loaded
    by another process shows up within that time."""

    def __init__(self, ttl_seconds: float = 60.0) -> None:
        self.ttl_seconds = ttl_seconds
        self._terms: dict[tuple[str, str], CachedTerm] = {}
        self._views: dict[tuple[str, str], Any] = {}
        self._loaded_at = float("-inf")

    async def refresh_if_stale(self, *, session: AsyncSession) -> None:
        if time.monotonic() - self._loaded_at < self.ttl_seconds:
            return
        # Only the columns the cache keeps: a process starts (and reports itself not ready) on a database
        # behind the code's migrations, which may lack columns added to the table since. French labels
        # (migration 0025) are the newest: without them, pages show the English label until the
        # database is upgraded and the cache is next read.
        columns = (
            VocabularyTerm.vocabulary,
            VocabularyTerm.code,
            VocabularyTerm.label,
            VocabularyTerm.description,
            VocabularyTerm.attributes,
        )
        connection = await session.connection()
        has_french = await connection.run_sync(
            lambda sync: "label_fr" in {column["name"] for column in sa.inspect(sync).get_columns("vocabulary_term")}
        )
        french = VocabularyTerm.label_fr if has_french else sa.null().label("label_fr")
        rows = (await session.exec(select(*columns, french))).all()
        self._terms = {
            (row.vocabulary, row.code): CachedTerm(
                row.vocabulary, row.code, row.label, row.description, dict(row.attributes or {}), row.label_fr
            )
            for row in rows
        }
        self._views = {}
        self._loaded_at = time.monotonic()

    def codes(self, vocabulary: str) -> list[str]:
        """Every code of `vocabulary` (as of the last refresh)."""
        return [code for (of, code) in self._terms if of == vocabulary]

    def view(self, vocabulary: str, code: str, convert: Callable[[CachedTerm], Any]) -> Any | None:
        """`convert(term)`, made once per term until the next refresh: a page shows the same few
        terms hundreds of times, and the GraphQL object for one never changes between refreshes."""
        key = (vocabulary, code)
        made = self._views.get(key)
        if made is None:
            cached = self._terms.get(key)
            if cached is None:
                return None
            made = self._views[key] = convert(cached)
        return made
