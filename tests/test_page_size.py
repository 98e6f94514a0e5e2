"""One page-size limit, COPLAB_MAX_PAGE_SIZE, bounds every list's `first` and search's `hitsPerPage` alike."""

import pytest

from api.core.settings import Settings
from tests.factories import graphql
from tests.search.test_graphql_search import index_everything

LIMIT = 3
INITIATIVES = ("One", "Two", "Three", "Four")

LIST = "query($first: Int) { initiatives(first: $first) { pageInfo { hasNextPage } edges { node { title } } } }"
NESTED = """
query($first: Int) {
  organisations(first: 1) { edges { node { initiatives(first: $first) { edges { node { title } } } } } }
}
"""
SEARCH = "query($hitsPerPage: Int!) { searchInitiatives(hitsPerPage: $hitsPerPage) { totalHits hits { initiative { title } } } }"


@pytest.fixture
def settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The test settings, with the page-size limit set through its environment variable."""
    monkeypatch.setenv("COPLAB_MAX_PAGE_SIZE", str(LIMIT))
    return Settings(environment=settings.environment, database_url=settings.database_url, data_dir=settings.data_dir)


@pytest.fixture
def registry(client, make) -> None:  # noqa: ANN001
    lead = make.organisation("iwf")
    for title in INITIATIVES:
        make.initiative(lead, title)
    index_everything(client)


def _refusal(body: dict) -> str:
    assert body["data"] is None, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return error["message"]


def test_the_setting_is_read_from_its_environment_variable(settings: Settings) -> None:
    assert settings.max_page_size == LIMIT


def test_a_list_pages_up_to_the_setting_and_refuses_more(client, registry) -> None:  # noqa: ANN001
    page = graphql(client, LIST, {"first": LIMIT})["data"]["initiatives"]
    assert (len(page["edges"]), page["pageInfo"]["hasNextPage"]) == (LIMIT, True)
    assert f"between 1 and {LIMIT}, not {LIMIT + 1}" in _refusal(graphql(client, LIST, {"first": LIMIT + 1}))


def test_a_nested_list_refuses_more_than_the_setting(client, registry) -> None:  # noqa: ANN001
    nested = graphql(client, NESTED, {"first": LIMIT})["data"]["organisations"]["edges"][0]["node"]["initiatives"]
    assert len(nested["edges"]) == LIMIT
    assert f"between 1 and {LIMIT}, not {LIMIT + 1}" in _refusal(graphql(client, NESTED, {"first": LIMIT + 1}))


def test_search_pages_up_to_the_setting_and_refuses_more(client, registry) -> None:  # noqa: ANN001
    result = graphql(client, SEARCH, {"hitsPerPage": LIMIT})["data"]["searchInitiatives"]
    assert (len(result["hits"]), result["totalHits"]) == (LIMIT, len(INITIATIVES))
    body = graphql(client, SEARCH, {"hitsPerPage": LIMIT + 1})
    assert f"Must be between 1 and {LIMIT}." in _refusal(body)
    assert [p["field"] for p in body["errors"][0]["extensions"]["problems"]] == [["hitsPerPage"]]
