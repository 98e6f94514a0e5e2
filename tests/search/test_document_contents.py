"""What a search document shows: each organisation name once, damaged spellings matched but never
shown, and only what an anonymous reader of the initiative may see: no pending or suspended
partner's name, stakeholder type, or rating of its assessments, in hits, highlights, facets or
filters. The index follows an organisation's admission and suspension."""

import time

import pytest

from api.organisations.models import OrganisationStatus
from api.search.backend import LIST_SEPARATOR
from tests.factories import gid, lab_admin_token, mutate, set_columns
from tests.search.test_graphql_search import found, index_everything, titles

TITLE = "Cross-border notice and take-down"
HIDDEN = {"pending": "Zephyrine Collective", "suspended": "Quillmark Trust"}


@pytest.fixture
def registry(make, db) -> dict:  # noqa: ANN001
    # NAMED, as the seeded registry has it: a lead listed publicly like an observer.
    inhope = make.organisation("inhope", stakeholder_type="INGO", status=OrganisationStatus.NAMED)
    set_columns(
        db,
        inhope,
        name="INHOPE - Association of Internet Hotline Providers",
        acronym="INHOPE",
        aliases=["INHOPE", "Inhope", "inhope international association", "INHOPE International Association"],
        misspellings=["Ihnope", "inhope"],
    )
    italia = make.organisation("tdh-italia", stakeholder_type="NGO")
    set_columns(db, italia, name="Terre des Hommes Italia", misspellings=["Terre des Hommes ltalia"])
    pending = make.organisation("pending", stakeholder_type="ACAD", status=OrganisationStatus.PENDING)
    set_columns(db, pending, name=HIDDEN["pending"], aliases=["Zephyrine"], misspellings=["Zephyrlne"])
    suspended = make.organisation("suspended", stakeholder_type="FUND", status=OrganisationStatus.SUSPENDED)
    set_columns(db, suspended, name=HIDDEN["suspended"])
    initiative = make.initiative(
        inhope,
        TITLE,
        partners=[(italia, "IMPLEMENTING"), (pending, "IMPLEMENTING"), (suspended, "FUNDING")],
    )
    # Public assessments: one by an admitted organisation, and two by organisations nobody may read.
    make.assessment(initiative, italia, ratings=["PROMISING"])
    make.assessment(initiative, pending, ratings=["HARMFUL"])
    make.assessment(initiative, suspended, ratings=["EMERGING"])
    return {"inhope": inhope, "italia": italia, "pending": pending, "suspended": suspended, "initiative": initiative}


@pytest.fixture
def indexed(client, registry) -> dict:  # noqa: ANN001
    index_everything(client)
    return registry


def highlight(result: dict, field: str) -> dict:
    [hit] = result["hits"]
    return next(h for h in hit["highlights"] if h["field"] == field)


def test_organisation_names_show_once_each_in_their_canonical_spelling(client, indexed) -> None:  # noqa: ANN001
    organisations = highlight(found(client, query="inhope"), "organisations")
    assert organisations["text"].split(LIST_SEPARATOR) == [
        "INHOPE - Association of Internet Hotline Providers",
        "INHOPE",
        "inhope international association",
        "Terre des Hommes Italia",
    ]
    matched = [organisations["text"][m["start"] : m["start"] + m["length"]] for m in organisations["matches"]]
    assert matched == ["INHOPE", "INHOPE", "inhope"]


@pytest.mark.parametrize("query", ["ltalia", "Ihnope"])
def test_a_misspelling_finds_the_initiative_but_no_highlight_shows_it(client, indexed, query) -> None:  # noqa: ANN001
    result = found(client, query=query)
    assert titles(result) == [TITLE]
    [hit] = result["hits"]
    shown = " ".join(h["text"] for h in hit["highlights"])
    assert "ltalia" not in shown and "Ihnope" not in shown
    assert {h["field"] for h in hit["highlights"]} <= {"title", "summary", "organisations", "description", "classifications"}


@pytest.mark.parametrize("status", sorted(HIDDEN))
def test_a_hidden_partner_cannot_be_found_by_its_names(client, indexed, status) -> None:  # noqa: ANN001
    name = HIDDEN[status]
    for query in (name, name.split()[0], *indexed[status].misspellings):
        assert found(client, query=query, matchingStrategy="ALL")["totalHits"] == 0, query


def test_no_highlight_shows_a_hidden_partner(client, indexed) -> None:  # noqa: ANN001
    organisations = highlight(found(client, query="hommes"), "organisations")
    assert not any(name in organisations["text"] for name in (*HIDDEN.values(), "Zephyrine"))


def test_hidden_partners_are_not_counted_in_stakeholder_types(client, indexed) -> None:  # noqa: ANN001
    result = found(client, facets=["STAKEHOLDER_TYPES"])
    [facet] = result["facetDistribution"]
    assert {v["value"]: v["count"] for v in facet["values"]} == {"INGO": 1, "NGO": 1}
    for code in ("ACAD", "FUND"):
        assert found(client, filter={"stakeholderTypes": [code]})["totalHits"] == 0, code
    assert found(client, filter={"stakeholderTypes": ["NGO"]})["totalHits"] == 1


def test_assessments_of_organisations_nobody_may_read_are_not_rated(client, indexed) -> None:  # noqa: ANN001
    result = found(client, facets=["RATINGS"])
    [facet] = result["facetDistribution"]
    assert {v["value"]: v["count"] for v in facet["values"]} == {"PROMISING": 1}
    for code in ("HARMFUL", "NO-EFFECT"):
        assert found(client, filter={"ratings": [code]})["totalHits"] == 0, code
    assert found(client, filter={"ratings": ["PROMISING"]})["totalHits"] == 1


def test_the_secretariat_sees_the_same_documents(client, make, indexed) -> None:  # noqa: ANN001
    """One document serves every caller: it holds what anyone who may read the initiative may see."""
    admin = lab_admin_token(make)
    assert found(client, admin, query=HIDDEN["pending"], matchingStrategy="ALL")["totalHits"] == 0


def _search_until(client, query: str, total: int) -> dict:  # noqa: ANN001
    """The search once the app's in-process indexer has drained the outbox."""
    deadline = time.monotonic() + 15
    while True:
        result = found(client, query=query, matchingStrategy="ALL", facets=["STAKEHOLDER_TYPES", "RATINGS"])
        if result["totalHits"] == total or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def test_the_index_follows_suspension_and_admission(client, make, indexed) -> None:  # noqa: ANN001
    admin = lab_admin_token(make)
    italia = gid("Organisation", indexed["italia"].id)
    assert found(client, query="Terre des Hommes Italia", matchingStrategy="ALL")["totalHits"] == 1

    payload = mutate(client, "setOrganisationStatus", {"id": italia, "status": "SUSPENDED"}, admin)
    assert payload["userErrors"] == []
    result = _search_until(client, "Terre des Hommes Italia", 0)
    assert result["totalHits"] == 0
    everything = found(client, facets=["STAKEHOLDER_TYPES", "RATINGS"])
    assert {f["facet"]: [v["value"] for v in f["values"]] for f in everything["facetDistribution"]} == {
        "STAKEHOLDER_TYPES": ["INGO"],
        "RATINGS": [],
    }

    pending = gid("Organisation", indexed["pending"].id)
    payload = mutate(client, "setOrganisationStatus", {"id": pending, "status": "MEMBER"}, admin)
    assert payload["userErrors"] == []
    result = _search_until(client, HIDDEN["pending"], 1)
    assert titles(result) == [TITLE]
    counts = {f["facet"]: {v["value"]: v["count"] for v in f["values"]} for f in result["facetDistribution"]}
    assert counts == {"STAKEHOLDER_TYPES": {"INGO": 1, "ACAD": 1}, "RATINGS": {"HARMFUL": 1}}


def test_a_renamed_organisation_is_found_by_its_new_name(client, make, indexed) -> None:  # noqa: ANN001
    admin = lab_admin_token(make)
    italia = gid("Organisation", indexed["italia"].id)
    payload = mutate(client, "updateOrganisation", {"id": italia, "name": "Terre des Hommes Roma"}, admin)
    assert payload["userErrors"] == []
    assert titles(_search_until(client, "Roma", 1)) == [TITLE]
