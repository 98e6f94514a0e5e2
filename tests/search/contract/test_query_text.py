"""The query text is only ever words to look for: SQL, filter and FTS metacharacters in it are
literal text; they raise no error, widen no filter and find nothing extra."""

import pytest

from api.search.filters import Equals
from tests.search.contract.support import ids, index, initiative, search

HOTLINES = {"1", "2"}


@pytest.fixture
def registry(engine):  # noqa: ANN001, ANN201
    index(
        engine,
        [
            initiative("1", title="National hotline", status="PIPELINE"),
            initiative("2", title="Hotline network", status="IMPLEMENTATION"),
            initiative("3", title="Grooming awareness", status="IMPLEMENTATION"),
            initiative("4", title="Sextortion helpline", status="CLOSED"),
        ],
    )
    return engine


@pytest.mark.parametrize(
    "query",
    ["hotline OR 1=1", "hotline %", "hotline \\", "hotline -- ;", "hotline AND status", "hotline *"],
)
def test_words_around_metacharacters_are_searched_as_words(registry, query: str) -> None:  # noqa: ANN001
    # Under the default (last) strategy the trailing words are dropped; "hotline" still leads.
    result = search(registry, query)

    assert set(ids(result)) == HOTLINES
    assert result.total_hits == 2


@pytest.mark.parametrize(
    "query",
    [
        'hotline"',
        '"hotline',
        "hotline'",
        "hotline' OR '1'='1",
        'hotline" OR "1"="1',
        "hotline%",
        "hotline\\",
        "hot%",
        "hotline NEAR(grooming)",
        "hotline:*",
        "hotline) OR (id EXISTS",
        "hotline' UNION SELECT title FROM initiative --",
    ],
)
def test_metacharacters_find_nothing_extra(registry, query: str) -> None:  # noqa: ANN001
    result = search(registry, query)

    assert set(ids(result)) <= HOTLINES
    assert result.total_hits == len(result.hits)


@pytest.mark.parametrize("query", ["OR 1=1", "id = 1", "' OR ''='", "status = CLOSED", "NOT hotline"])
def test_filter_or_sql_syntax_is_not_obeyed(registry, query: str) -> None:  # noqa: ANN001
    # None of these words is in any document, and the first word of a query must match.
    result = search(registry, query)

    assert (ids(result), result.total_hits) == ([], 0)


@pytest.mark.parametrize("query", ['"', "'", "%", "\\", '""', "*", "(", ")", "--", ";", "\\\"'%"])
def test_punctuation_alone_never_widens_the_filter(registry, query: str) -> None:  # noqa: ANN001
    result = search(registry, query, filter=Equals("status", "IMPLEMENTATION"))

    assert set(ids(result)) <= {"2", "3"}
    assert result.total_hits == len(result.hits)
