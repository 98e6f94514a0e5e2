"""Codes in list and search filters, checked one way everywhere: an unknown code is one top-level
BAD_USER_INPUT error repeating the value and naming the likely code, never a filter that silently
matches nothing."""

import asyncio
from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.core import validation
from api.core.errors import Problems
from api.graphql.errors import bad_user_input
from api.vocabularies import service as vocabularies

MAX_FILTER_VALUES = 50


def camel(name: str) -> str:
    """A Python field name as the GraphQL schema spells it."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class FilterCodes:
    """Checks the codes of one filter argument, collecting every problem before raising."""

    def __init__(self, *, session: AsyncSession, lock: asyncio.Lock) -> None:
        self._session = session
        self._lock = lock
        self.problems = Problems()

    async def vocabulary(self, name: str, vocabulary: str, values: Sequence[str] | None) -> list[str] | None:
        """The known codes among `values` (None when the filter is not given); unknown ones are problems."""
        if values is None:
            return None
        async with self._lock:  # one statement at a time on the request's session
            return await vocabularies.check_codes(
                session=self._session,
                problems=self.problems,
                field=["filter", camel(name)],
                vocabulary=vocabulary,
                codes=validation.comparable_all(values),
                limit=MAX_FILTER_VALUES,
            )

    def countries(self, name: str, values: Sequence[str] | None) -> list[str] | None:
        """ISO 3166-1 alpha-2 codes, upper case (None when the filter is not given)."""
        if values is None:
            return None
        return validation.codes_list(
            self.problems, ["filter", camel(name)], values, validation.country, limit=MAX_FILTER_VALUES
        )

    def raise_if_any(self) -> None:
        """One BAD_USER_INPUT error listing every problem, if there is any."""
        if self.problems.items:
            raise bad_user_input(self.problems.items)
