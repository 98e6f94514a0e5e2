"""The Lab's registry as `coplab seed` loads it: "members of INHOPE" answers with the hotlines the
documents name, each in its role and with its source; INHOPE sits on the WeProtect Global Alliance's
board; and no organisation is an OBSERVER of the Lab, for no document says any is."""

import time

import pytest
from fastapi.testclient import TestClient

from api.core.settings import Settings
from api.main import create_app
from tests.factories import graphql
from tests.seed.test_seed_command import seeded

NETWORK = """query($slug: String!) { organisation(slug: $slug) {
  id status
  memberOf { role { code } network { slug } provenance { source passage note } }
  networkMembers { role { code } member { slug status } provenance { source passage note } }
} }"""
MEMBERS_OF = """query($network: ID!) { organisations(first: 50, filter: {memberOf: $network}) {
  totalCount edges { node { slug } }
} }"""
STATUS_COUNT = "query($s: [OrganisationStatus!]) { organisations(filter: {statuses: $s}) { totalCount } }"


@pytest.fixture
def client(database_url, engine):  # noqa: ANN001, ANN201, ARG001  (engine: the registry is emptied afterwards)
    seeded(database_url)
    with TestClient(create_app(Settings(environment="test", database_url=database_url))) as client:
        yield client


def _organisation(client, slug: str) -> dict:  # noqa: ANN001
    return graphql(client, NETWORK, {"slug": slug})["data"]["organisation"]


def test_members_of_inhope_are_the_hotlines_the_documents_name(client) -> None:  # noqa: ANN001
    inhope = _organisation(client, "inhope")
    page = graphql(client, MEMBERS_OF, {"network": inhope["id"]})["data"]["organisations"]
    members = {edge["node"]["slug"] for edge in page["edges"]}
    assert members == {"point-de-contact", "afa", "kcsc", "esafety-commissioner", "ncmec", "iwf"}
    assert page["totalCount"] == 6
    roles = {m["member"]["slug"]: m["role"]["code"] for m in inhope["networkMembers"]}
    assert roles == {
        "afa": "FOUNDING-MEMBER",
        "esafety-commissioner": "MEMBER",
        "iwf": "MEMBER",
        "kcsc": "MEMBER",
        "ncmec": "MEMBER",
        "point-de-contact": "MEMBER",
    }
    # Every membership quotes its document.
    for membership in inhope["networkMembers"]:
        assert membership["provenance"] and all(p["source"].endswith(".txt") and p["passage"] for p in membership["provenance"])
    by_member = {m["member"]["slug"]: m for m in inhope["networkMembers"]}
    founding = [p["passage"] for p in by_member["afa"]["provenance"]]
    assert any("with AFA one of its founding members" in passage for passage in founding)
    through_afa = by_member["point-de-contact"]["provenance"][0]
    assert "via AFA, a member of the INHOPE international association" in through_afa["passage"]
    assert "AFA" in through_afa["note"]


def test_both_directions_of_the_relation(client) -> None:  # noqa: ANN001
    assert [(m["network"]["slug"], m["role"]["code"]) for m in _organisation(client, "iwf")["memberOf"]] == [("inhope", "MEMBER")]
    inhope = _organisation(client, "inhope")
    assert [(m["network"]["slug"], m["role"]["code"]) for m in inhope["memberOf"]] == [
        ("weprotect-global-alliance", "BOARD-MEMBER")
    ]
    [board] = inhope["memberOf"]
    assert board["provenance"][0]["source"] == "003_584094a32017ff9b.txt"
    assert "represented on the WePROTECT Board" in board["provenance"][0]["passage"]
    weprotect = _organisation(client, "weprotect-global-alliance")
    assert [(m["member"]["slug"], m["role"]["code"]) for m in weprotect["networkMembers"]] == [("inhope", "BOARD-MEMBER")]
    assert weprotect["memberOf"] == []


def test_no_organisation_is_an_observer_and_the_others_are_named(client) -> None:  # noqa: ANN001
    def count(*statuses: str) -> int:
        return graphql(client, STATUS_COUNT, {"s": list(statuses)})["data"]["organisations"]["totalCount"]

    assert (count("MEMBER"), count("NAMED"), count("OBSERVER")) == (13, 94, 0)
    assert count() == 107  # NAMED organisations are listed to anonymous callers, as OBSERVER ones were
    assert _organisation(client, "inhope")["status"] == "NAMED"
    assert _organisation(client, "point-de-contact")["status"] == "MEMBER"


def test_named_organisations_stay_searchable(client) -> None:  # noqa: ANN001
    """An initiative led by a NAMED organisation (INHOPE) is found by anonymous callers, by the
    organisation's name."""
    deadline = time.monotonic() + 120
    query = '{ searchInitiatives(query: "Association of Internet Hotline Providers") { hits { initiative { title } } } }'
    while True:
        found = (graphql(client, query)["data"] or {}).get("searchInitiatives")
        titles = [hit["initiative"]["title"] for hit in (found or {}).get("hits", [])]
        if "INHOPE hotline network notice and take-down" in titles:
            break
        assert time.monotonic() < deadline, f"not found: {titles}"
        time.sleep(0.1)
