"""bestPractices: filters, orderings, pages, and a constant number of SQL statements per page."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from api.core.db import utcnow
from tests.factories import gid, graphql
from tests.practices.helpers import LIST, titles


@pytest.fixture
def catalogue(make, db) -> dict:
    """Four practices by two organisations, classified, cited and endorsed differently."""
    inhope = make.organisation("inhope")
    iwf = make.organisation("iwf")
    thorn = make.organisation("thorn")
    study = make.assessment(make.initiative(inhope), inhope)
    practices = [
        make.practice(inhope, "Hotline take-down", evidence_basis="ASSESSMENTS", evidence=[study.id],
                      harms=["CSAM-KNOWN"], intervention_types=["RPT-HOT"], endorsed_by=[iwf, thorn]),
        make.practice(inhope, "Hash matching at upload", harms=["CSAM-KNOWN", "CSAM-NEW"],
                      intervention_types=["DET-HASH"], endorsed_by=[thorn]),
        make.practice(iwf, "Grooming classifiers", harms=["SOLICITATION"], intervention_types=["DET-CLS"]),
        make.practice(iwf, "100%_legal basis for detection", evidence_basis="LEGAL-MANDATE", intervention_types=["LEG"]),
    ]
    # Distinct update times, oldest first, so the default order is the reverse of creation.
    for age, practice in enumerate(reversed(practices)):
        practice.updated_at = utcnow() - timedelta(hours=age + 1)
        db.add(practice)
    db.commit()
    return {"inhope": inhope, "iwf": iwf, "thorn": thorn}


FILTERS = [
    ("harms", lambda c: {"harms": ["CSAM-NEW", "SOLICITATION"]}, ["Grooming classifiers", "Hash matching at upload"]),
    ("intervention types", lambda c: {"interventionTypes": ["DET-HASH", "DET-CLS"]},
     ["Grooming classifiers", "Hash matching at upload"]),
    ("evidence basis", lambda c: {"evidenceBasis": ["ASSESSMENTS", "LEGAL-MANDATE"]},
     ["100%_legal basis for detection", "Hotline take-down"]),
    ("proposing organisation", lambda c: {"organisations": [gid("Organisation", c["iwf"].id)]},
     ["100%_legal basis for detection", "Grooming classifiers"]),
    ("endorsed by", lambda c: {"endorsedBy": [gid("Organisation", c["thorn"].id)]},
     ["Hash matching at upload", "Hotline take-down"]),
    ("endorsed by either", lambda c: {"endorsedBy": [gid("Organisation", c["iwf"].id), gid("Organisation", c["thorn"].id)]},
     ["Hash matching at upload", "Hotline take-down"]),
    ("title words, case-folded", lambda c: {"query": "HASH"}, ["Hash matching at upload"]),
    ("title words taken literally", lambda c: {"query": "%_"}, ["100%_legal basis for detection"]),
    ("filters combine", lambda c: {"harms": ["CSAM-KNOWN"], "endorsedBy": [gid("Organisation", c["iwf"].id)]},
     ["Hotline take-down"]),
    ("an id of another type matches nothing", lambda c: {"organisations": [gid("BestPractice", 1)]}, []),
]


@pytest.mark.parametrize(("make_filter", "expected"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS])
def test_each_filter(client, catalogue, make_filter, expected) -> None:
    body = graphql(client, LIST, {"filter": make_filter(catalogue), "orderBy": "TITLE_ASC"})
    assert titles(body) == expected
    assert body["data"]["bestPractices"]["totalCount"] == len(expected)


def test_orderings_and_pages(client, catalogue) -> None:
    newest_first = ["100%_legal basis for detection", "Grooming classifiers", "Hash matching at upload", "Hotline take-down"]
    assert titles(graphql(client, LIST, {})) == newest_first
    by_title = titles(graphql(client, LIST, {"orderBy": "TITLE_ASC"}))
    assert by_title == sorted(newest_first)

    seen: list[str] = []
    after = None
    while True:
        page = graphql(client, LIST, {"first": 3, "after": after, "orderBy": "TITLE_ASC"})["data"]["bestPractices"]
        seen += [e["node"]["title"] for e in page["edges"]]
        assert page["totalCount"] == 4
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == by_title


def test_nested_fields_cost_the_same_number_of_statements_for_one_practice_or_many(client, app, make, db) -> None:
    inhope = make.organisation("inhope")
    endorsers = [make.organisation(f"endorser-{i}") for i in range(3)]
    initiative = make.initiative(inhope)
    for i in range(6):
        study = make.assessment(initiative, inhope, f"Study {i}")
        make.practice(inhope, f"Practice {i}", evidence_basis="ASSESSMENTS", evidence=[study.id],
                      harms=["CSAM-KNOWN", "EXTORTION"], intervention_types=["RPT-HOT"], endorsed_by=endorsers)
    token = make.token(inhope)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        statements.append(statement)

    sa.event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
    try:
        def cost(first: int) -> int:
            statements.clear()
            body = graphql(client, LIST, {"first": first}, token)
            assert len(body["data"]["bestPractices"]["edges"]) == first
            assert all(e["node"]["endorsementCount"] == 3 for e in body["data"]["bestPractices"]["edges"])
            return len(statements)

        cost(1)  # the first request also loads the signing keys
        assert cost(1) == cost(6)
    finally:
        sa.event.remove(app.state.engine.sync_engine, "before_cursor_execute", count)
