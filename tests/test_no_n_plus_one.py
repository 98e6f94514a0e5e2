"""Nested fields load through per-request DataLoaders: the statement count does not grow with the page."""

from datetime import date

import pytest

from api.figures.models import Figure, FigureClassification, FigureInitiative
from tests.factories import ACTOR, graphql, sql_statements

PAGE = """
query($first: Int!) {
  initiatives(first: $first) {
    totalCount
    edges { node {
      title
      status { label }
      harms { label }
      countries { name }
      leadOrganisation { name stakeholderType { label } }
      participations { role { label } organisation { name } }
      assessments { study { title studyDesign { label } } findings { proposedRating { code } } }
      outcomeRatings { rating { label } certaintyTrace { level { label } } history { reason } }
      figures { statement value sourceOrganisation { name } harms { label } countries { name } initiatives { title } }
    } }
  }
}
"""


def _arrange(make, db, count: int) -> None:  # noqa: ANN001
    organisations = [make.organisation(f"org-{i}") for i in range(5)]
    for i in range(count):
        initiative = make.initiative(
            organisations[i % 5],
            f"Initiative {i}",
            harms=["CSAM-KNOWN", "SOLICITATION"],
            partners=[(organisations[(i + 1) % 5], "IMPLEMENTING"), (organisations[(i + 2) % 5], "FUNDING")],
        )
        make.assessment(initiative, organisations[(i + 3) % 5], f"Assessment {i}", ratings=["EMERGING", "PROMISING"])
        figure = Figure(
            recording_organisation_id=organisations[(i + 4) % 5].id,
            source_organisation_id=organisations[(i + 1) % 5].id,
            statement=f"Figure {i}",
            value=float(i),
            unit="reports",
            period_start=date(2022, 1, 1),
            period_end=date(2022, 1, 1),
            period_precision="YEAR",
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        db.add(figure)
        db.flush()
        db.add_all([
            FigureInitiative(figure_id=figure.id, initiative_id=initiative.id),
            FigureClassification(figure_id=figure.id, scheme="harm", code="CSAM-NEW"),
            FigureClassification(figure_id=figure.id, scheme="country", code="NL"),
        ])
    db.commit()


def _run_counting(client, app, query: str, variables: dict, token: str | None) -> tuple[dict, int]:  # noqa: ANN001
    """The response body and how many SQL statements answering it took."""
    with sql_statements(app) as statements:
        body = graphql(client, query, variables, token)
    assert "errors" not in body, body
    return body, len(statements)


def _statements_for_page(client, app, first: int, token: str) -> tuple[int, int]:  # noqa: ANN001
    body, count = _run_counting(client, app, PAGE, {"first": first}, token)
    edges = body["data"]["initiatives"]["edges"]
    assert all(len(e["node"]["participations"]) == 2 and len(e["node"]["assessments"]) == 1 for e in edges)
    assert all(len(e["node"]["figures"]) == 1 and e["node"]["figures"][0]["initiatives"] for e in edges)
    return len(edges), count


@pytest.mark.parametrize("anonymous", [True, False], ids=["anonymous", "member"])
def test_statement_count_is_independent_of_page_size(client, app, make, db, anonymous: bool) -> None:
    _arrange(make, db, 100)
    token = None if anonymous else make.token(make.organisation("reader"))
    graphql(client, "{ viewer { kind } }", token=token)  # warm the signing-key cache
    small_rows, small = _statements_for_page(client, app, 10, token)
    large_rows, large = _statements_for_page(client, app, 100, token)
    assert (small_rows, large_rows) == (10, 100)
    assert large == small, f"{small} statements for 10 initiatives but {large} for 100"
    # Principal, page, count, organisations (lead, partners, assessors, figure sources), participations,
    # assessments, findings, classifications, figures with their classifications and initiatives,
    # vocabulary terms: a small constant.
    assert small <= 14


PAGE_WITH_FRAGMENTS = """
query($first: Int!) {
  initiatives(first: $first) {
    totalCount
    edges { node { ...Card ... on Initiative { assessments { ...Study } } } }
  }
}
fragment Card on Initiative {
  title
  status { label }
  harms { label }
  countries { name }
  leadOrganisation { name stakeholderType { label } }
  participations { role { label } organisation { name } }
  outcomeRatings { rating { label } certaintyTrace { level { label } } history { reason } }
  figures { ...Context }
}
fragment Context on Figure {
  statement value sourceOrganisation { name } harms { label } countries { name } initiatives { title }
}
fragment Study on EvidenceAssessment { study { title studyDesign { label } } findings { proposedRating { code } } }
"""


def test_fragments_load_ahead_like_inline_fields(client, app, make, db) -> None:
    _arrange(make, db, 30)
    inline, inline_count = _run_counting(client, app, PAGE, {"first": 30}, None)
    fragments, fragments_count = _run_counting(client, app, PAGE_WITH_FRAGMENTS, {"first": 30}, None)
    assert fragments == inline
    assert fragments_count == inline_count


def test_a_page_loads_only_the_nested_records_it_selects(client, app, make, db) -> None:
    _arrange(make, db, 30)
    body, count = _run_counting(client, app, "{ initiatives(first: 30) { edges { node { title } } } }", {}, None)
    assert len(body["data"]["initiatives"]["edges"]) == 30
    assert count == 1  # the page itself: no organisations, participations, assessments or classifications
    body, count = _run_counting(
        client, app, "{ initiatives(first: 30) { edges { node { title leadOrganisation { name } } } } }", {}, None
    )
    leads = {e["node"]["leadOrganisation"]["name"] for e in body["data"]["initiatives"]["edges"]}
    assert leads == {f"Org {i}" for i in range(5)}
    assert count == 2


NETWORKS_PAGE = """
query($first: Int!) {
  organisations(first: $first) {
    edges { node {
      name
      memberOf { role { label } network { name } provenance { source } }
      networkMembers { role { label } member { name stakeholderType { label } } }
    } }
  }
}
"""


def _networks_page(client, app, first: int, token: str | None) -> tuple[int, int]:  # noqa: ANN001
    body, count = _run_counting(client, app, NETWORKS_PAGE, {"first": first}, token)
    edges = body["data"]["organisations"]["edges"]
    members = [e for e in edges if e["node"]["memberOf"]]
    assert all(len(e["node"]["memberOf"]) == 2 for e in members)
    assert any(len(e["node"]["networkMembers"]) > 1 for e in edges)
    return len(edges), count


@pytest.mark.parametrize("anonymous", [True, False], ids=["anonymous", "member"])
def test_network_memberships_of_a_page_load_in_a_constant_number_of_statements(client, app, make, anonymous: bool) -> None:  # noqa: ANN001
    # "Alliance …" comes first by name: every page holds the three networks and some of their members.
    networks = [make.organisation(f"alliance-{i}", stakeholder_type="MSP") for i in range(3)]
    for i in range(60):
        member = make.organisation(f"hotline-{i:02d}", stakeholder_type="HOTLINE")
        make.network_member(member, networks[i % 3], "MEMBER", [{"source": "a document"}])
        make.network_member(member, networks[(i + 1) % 3], "BOARD-MEMBER")
    token = None if anonymous else make.token(make.organisation("reader"))
    graphql(client, "{ viewer { kind } }", token=token)  # warm the signing-key cache
    small_rows, small = _networks_page(client, app, 10, token)
    large_rows, large = _networks_page(client, app, 60, token)
    assert (small_rows, large_rows) == (10, 60)
    assert large == small, f"{small} statements for 10 organisations but {large} for 60"
    # Principal (with a token), page, memberships as member, as network, the other organisations, vocabulary terms.
    assert small <= 6, small
