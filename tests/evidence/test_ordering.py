"""`studies(orderBy:)`: every study exactly once across pages, undated ones last."""

from datetime import date

import pytest

from tests.factories import graphql

PAGE = """
query($after: String, $order: StudyOrder!) {
  studies(first: 2, after: $after, orderBy: $order) {
    totalCount
    edges { node { title publishedOn } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _titles(client, order: str) -> list[str]:  # noqa: ANN001
    titles: list[str] = []
    after = None
    while True:
        connection = graphql(client, PAGE, {"after": after, "order": order})["data"]["studies"]
        assert connection["totalCount"] == 6
        titles += [e["node"]["title"] for e in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return titles
        after = connection["pageInfo"]["endCursor"]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        pytest.param(None, ["2022", "undated b", "2024", "2019 b", "undated a", "2019 a"], id="default"),
        pytest.param("CREATED_AT_DESC", ["2022", "undated b", "2024", "2019 b", "undated a", "2019 a"], id="created"),
        pytest.param("PUBLISHED_ON_DESC", ["2024", "2022", "2019 b", "2019 a", "undated b", "undated a"],
                     id="published"),
    ],
)
def test_pages_follow_the_order(client, make, order: str | None, expected: list[str]) -> None:
    lead = make.organisation("lead")
    for title, published_on in [
        ("2019 a", date(2019, 3, 1)),
        ("undated a", None),
        ("2019 b", date(2019, 3, 1)),
        ("2024", date(2024, 1, 31)),
        ("undated b", None),
        ("2022", date(2022, 12, 1)),
    ]:
        make.study(lead, title, published_on=published_on)

    if order is None:
        body = graphql(client, "{ studies(first: 100) { edges { node { title } } } }")
        titles = [e["node"]["title"] for e in body["data"]["studies"]["edges"]]
    else:
        titles = _titles(client, order)
    assert titles == expected


def test_a_cursor_of_another_order_is_refused(client, make) -> None:
    lead = make.organisation("lead")
    for title in ("a", "b", "c"):
        make.study(lead, title)
    cursor = graphql(client, PAGE, {"order": "CREATED_AT_DESC"})["data"]["studies"]["pageInfo"]["endCursor"]
    body = graphql(client, PAGE, {"order": "PUBLISHED_ON_DESC", "after": cursor})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
