"""Who sees which figures: another organisation's non-public figure behaves exactly like a missing one in
lists, counts, node lookups, nested lists, filters and mutations; a readable figure shows only the
initiatives the reader may read."""

from datetime import UTC, datetime

import pytest

from api.organisations.models import OrganisationStatus
from tests.factories import gid, graphql, set_columns
from tests.figures.operations import DELETE, INITIATIVE_FIGURES, LIST, NODE, NODES, UPDATE, statements

CALLERS = {
    # caller: statements it should see among INHOPE's PUBLIC, MEMBERS and ORGANISATION figures
    "anonymous": ["Public"],
    "another member": ["Members", "Public"],
    "another member without assessments:read": ["Public"],
    "a pending organisation": ["Public"],
    "the recording organisation": ["Members", "Organisation", "Public"],
}


def _token(make, caller: str, recorder, other, pending) -> str | None:  # noqa: ANN001
    return {
        "anonymous": lambda: None,
        "another member": lambda: make.token(other),
        "another member without assessments:read": lambda: make.token(other, "initiatives:read practices:read"),
        "a pending organisation": lambda: make.token(pending),
        "the recording organisation": lambda: make.token(recorder),
    }[caller]()


@pytest.mark.parametrize(("caller", "expected"), list(CALLERS.items()), ids=list(CALLERS))
def test_lists_counts_nodes_and_nested_lists_show_only_what_the_caller_may_read(client, make, caller, expected) -> None:
    inhope = make.organisation("inhope")
    other = make.organisation("other")
    pending = make.organisation("pending", status=OrganisationStatus.PENDING)
    network = make.initiative(inhope, "Hotline network")
    figures = {
        name: make.figure(inhope, name, visibility=name.upper(), initiatives=[network], harms=["CSAM-KNOWN"],
                          countries=["NL"], regions=["EUROPE"], source=inhope)
        for name in ("Public", "Members", "Organisation")
    }
    token = _token(make, caller, inhope, other, pending)

    body = graphql(client, LIST, {"orderBy": "CREATED_AT_DESC"}, token)
    assert sorted(statements(body)) == expected
    assert body["data"]["figures"]["totalCount"] == len(expected)
    for name, figure in figures.items():
        node = graphql(client, NODE, {"id": gid("Figure", figure.id)}, token)["data"]["node"]
        assert (node is not None) == (name in expected), name
    ids = [gid("Figure", figures[name].id) for name in ("Public", "Members", "Organisation")] + [gid("Figure", 999_999)]
    nodes = graphql(client, NODES, {"ids": ids}, token)["data"]["nodes"]
    assert [n is not None for n in nodes] == [name in expected for name in ("Public", "Members", "Organisation", "-")]
    nested = graphql(client, INITIATIVE_FIGURES, {"id": gid("Initiative", network.id)}, token)["data"]["node"]
    assert sorted(f["statement"] for f in nested["figures"]) == expected
    # Every filter matches only what the caller may read, and counts only that.
    for given in (
        {"initiatives": [gid("Initiative", network.id)]},
        {"harms": ["CSAM-KNOWN"]},
        {"countries": ["NL"]},
        {"regions": ["EUROPE"]},
        {"sourceOrganisations": [gid("Organisation", inhope.id)]},
        {"period": {"start": 2022, "end": 2022}},
        {"units": ["images and videos"]},
    ):
        filtered = graphql(client, LIST, {"filter": given}, token)["data"]["figures"]
        assert (sorted(statements({"data": {"figures": filtered}})), filtered["totalCount"]) == (expected, len(expected))


def test_changing_another_organisations_hidden_figure_is_answered_as_a_missing_one(client, make, db) -> None:
    inhope = make.organisation("inhope")
    hidden = make.figure(inhope, "Internal count", visibility="ORGANISATION")
    token = make.token(make.organisation("other"))

    for document, name, extra in ((UPDATE, "updateFigure", {"unit": "hotlines"}), (DELETE, "deleteFigure", {})):
        theirs = graphql(client, document, {"input": {"id": gid("Figure", hidden.id), **extra}}, token)["data"][name]
        missing = graphql(client, document, {"input": {"id": gid("Figure", 999_999), **extra}}, token)["data"][name]
        assert theirs == missing
        assert theirs["userErrors"] == [{"field": ["input", "id"], "code": "NOT_FOUND", "message": "No figure with this id."}]
    db.refresh(hidden)
    assert (hidden.unit, hidden.deleted_at) == ("images and videos", None)


def test_deleted_figures_are_hidden_even_from_their_recorder(client, make, db) -> None:
    inhope = make.organisation("inhope")
    initiative = make.initiative(inhope)
    figure = make.figure(inhope, "Gone", initiatives=[initiative])
    set_columns(db, figure, deleted_at=datetime(2024, 5, 1, tzinfo=UTC))
    token = make.token(inhope)
    assert graphql(client, LIST, {}, token)["data"]["figures"]["totalCount"] == 0
    assert graphql(client, NODE, {"id": gid("Figure", figure.id)}, token)["data"]["node"] is None
    nested = graphql(client, INITIATIVE_FIGURES, {"id": gid("Initiative", initiative.id)}, token)["data"]["node"]
    assert nested["figures"] == []


def test_a_figure_from_an_organisation_the_reader_may_not_see_is_hidden(client, make) -> None:
    pending = make.organisation("pending", status=OrganisationStatus.PENDING)
    inhope = make.organisation("inhope")
    sourced = make.figure(inhope, "From a pending organisation", source=pending)
    recorded = make.figure(pending, "Recorded by a pending organisation")
    for figure in (sourced, recorded):
        assert graphql(client, NODE, {"id": gid("Figure", figure.id)})["data"]["node"] is None
    assert graphql(client, LIST, {}, make.token(make.organisation("other")))["data"]["figures"]["totalCount"] == 0
    # The pending organisation reads itself, so it reads both.
    assert sorted(statements(graphql(client, LIST, {}, make.token(pending)))) == [
        "From a pending organisation", "Recorded by a pending organisation",
    ]


def test_a_public_figure_shows_only_the_initiatives_the_reader_may_read(client, make) -> None:
    inhope = make.organisation("inhope")
    iwf = make.organisation("iwf")
    open_one = make.initiative(inhope, "Open network")
    internal = make.initiative(iwf, "Internal pilot", visibility="ORGANISATION")
    figure = make.figure(inhope, "Shared figure", initiatives=[open_one, internal])

    def shown(token: str | None) -> tuple[list[str], list[str]]:
        node = graphql(client, NODE, {"id": gid("Figure", figure.id)}, token)["data"]["node"]
        listed = graphql(client, LIST, {}, token)["data"]["figures"]["edges"][0]["node"]
        return [i["title"] for i in node["initiatives"]], [i["title"] for i in listed["initiatives"]]

    assert shown(make.token(iwf)) == (["Open network", "Internal pilot"],) * 2
    assert shown(make.token(inhope)) == (["Open network"],) * 2
    assert shown(None) == (["Open network"],) * 2
    # Filtering by the hidden initiative finds nothing for those who may not read it.
    by_hidden = {"filter": {"initiatives": [gid("Initiative", internal.id)]}}
    assert graphql(client, LIST, by_hidden, make.token(inhope))["data"]["figures"]["totalCount"] == 0
    assert graphql(client, LIST, by_hidden, make.token(iwf))["data"]["figures"]["totalCount"] == 1
