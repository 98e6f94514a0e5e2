"""The seeded registry as its users meet it: through GraphQL, anonymously, each record with its source.

The first test starts the server with the README's run command (`coplab serve`) on an empty database
and queries it over HTTP; the others query a registry loaded with `coplab seed`.
"""

import os
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.core.settings import Settings
from tests.factories import graphql
from tests.seed.test_registry_files import (
    EXPECTED_INITIATIVES,
    EXPECTED_ORGANISATIONS,
    SEED_DOCUMENTS,
    normalise,
)
from tests.seed.test_seed_command import seeded
from tests.server import free_port
from tests.server import HTTP_TIMEOUT

ORGANISATIONS = """query ($after: String) {
  organisations(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { slug name acronym aliases misspellings status provenance { source passage } } }
  }
}"""
INITIATIVES = """{
  initiatives(first: 100, orderBy: TITLE_ASC) {
    edges { node {
      title actualStart actualStartPrecision
      leadOrganisation { slug }
      partOf { title }
      parts { title }
      participations { organisation { slug } role { code } }
      provenance { source passage note }
      assessments { study { title period } independence { code } provenance { source }
                    findings { proposedRating { code } notes } }
      outcomeRatings { outcome { code } rating { code } certainty { code } ruleId contributions { counted reason } }
      figures { statement }
    } }
  }
}"""
FIGURES = """{
  figures(first: 100) {
    totalCount
    edges { node {
      statement value unit denominator periodStart periodEnd periodPrecision visibility
      recordingOrganisation { slug } sourceOrganisation { slug }
      initiatives { title } harms { code } regions { code } countries { code }
      provenance { source passage note }
    } }
  }
}"""
PRACTICES = """{
  bestPractices(first: 100) {
    edges { node {
      title organisation { slug } endorsementCount evidenceBasis { code }
      evidence { study { title } }
      provenance { source passage note }
    } }
  }
}"""


def all_organisations(client) -> list[dict]:  # noqa: ANN001
    found, after = [], None
    while True:
        page = graphql(client, ORGANISATIONS, {"after": after})["data"]["organisations"]
        found += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def test_the_readme_run_command_serves_the_seeded_registry(database_url, engine, tmp_path) -> None:  # noqa: ARG001  (engine: emptied afterwards)
    port = free_port()
    env = {**os.environ, "COPLAB_DATABASE_URL": database_url, "COPLAB_DATA_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                response = httpx.post(f"{base}/graphql", json={"query": "{ initiatives(first: 50) { edges { node { title provenance { source } } } } }"}, timeout=HTTP_TIMEOUT)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        titles = {edge["node"]["title"] for edge in response.json()["data"]["initiatives"]["edges"]}
        assert set(EXPECTED_INITIATIVES) <= titles
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def client(database_url, engine):  # noqa: ANN001, ANN201, ARG001  (engine: the registry is emptied afterwards)
    seeded(database_url)
    with TestClient(create_app(Settings(environment="test", database_url=database_url))) as client:
        yield client


def test_every_organisation_the_documents_name_is_there_with_its_source(client) -> None:
    organisations = all_organisations(client)
    assert len(organisations) == 107
    labels = {
        normalise(label)
        for o in organisations
        for label in [o["name"], *o["aliases"], *o["misspellings"], *([o["acronym"]] if o["acronym"] else [])]
    }
    missing = [name for name in EXPECTED_ORGANISATIONS if normalise(name) not in labels]
    assert not missing
    for o in organisations:
        assert o["provenance"] and all(p["source"] in SEED_DOCUMENTS and p["passage"] for p in o["provenance"]), o
    statuses = {o["slug"]: o["status"] for o in organisations}
    assert statuses["google"] == "MEMBER" and statuses["inhope"] == "NAMED"


def test_every_initiative_is_there_with_its_source_lead_parts_and_evidence(client) -> None:
    initiatives = {e["node"]["title"]: e["node"] for e in graphql(client, INITIATIVES)["data"]["initiatives"]["edges"]}
    assert sorted(initiatives) == sorted(EXPECTED_INITIATIVES)
    for node in initiatives.values():
        assert any(p["source"] in SEED_DOCUMENTS and p["passage"] for p in node["provenance"]), node["title"]

    centre = initiatives["French Safer Internet Centre"]
    assert centre["leadOrganisation"] is None
    assert any(p["source"] == "seed/registry/initiatives.yaml" and "no lead" in p["note"] for p in centre["provenance"])
    assert sorted(p["title"] for p in centre["parts"]) == [
        "Internet Sans Crainte", "Net Ecoute helpline", "Point de Contact reporting hotline",
    ]
    assert initiatives["Internet Sans Crainte"]["partOf"] == {"title": "French Safer Internet Centre"}
    assert (centre["actualStart"], centre["actualStartPrecision"]) == ("2009-07-01", "DAY")
    network = initiatives["INHOPE hotline network notice and take-down"]
    assert (network["actualStart"], network["actualStartPrecision"]) == ("1999-11-01", "MONTH")  # "created in November 1999"
    assert network["leadOrganisation"] == {"slug": "inhope"}
    assert {"organisation": {"slug": "iwf"}, "role": {"code": "IMPLEMENTING"}} in network["participations"]

    assessments = [a for node in initiatives.values() for a in node["assessments"]]
    # Only the studies of an initiative's effect; the figures that size the problem are figures.
    assert len(assessments) == 2
    assert sum(len(a["findings"]) for a in assessments) == 2
    for assessment in assessments:
        assert all(p["source"] in SEED_DOCUMENTS for p in assessment["provenance"])
        assert all(finding["proposedRating"] is None for finding in assessment["findings"])
    # Neither study can show an effect (a count of reports is context, an expert account is descriptive):
    # the rule set sets both aside, and rates on nothing.
    ratings = {title: node["outcomeRatings"] for title, node in initiatives.items() if node["outcomeRatings"]}
    assert {title: [(r["outcome"]["code"], r["rating"]["code"], r["certainty"]["code"]) for r in rated]
            for title, rated in ratings.items()} == {
        "Voluntary detection of child sexual abuse by online platforms": [
            ("REPORT-VOLUME", "PIONEERING", "NOT-ASSESSED")],
        "INHOPE hotline network notice and take-down": [("REMOVAL-TIME", "PIONEERING", "NOT-ASSESSED")],
    }
    assert sorted(c["reason"] for rated in ratings.values() for r in rated for c in r["contributions"]) == [
        "CONTEXT-OUTCOME", "DESCRIPTIVE-DESIGN"]
    assert sorted(f["statement"] for f in initiatives["NCMEC CyberTipline"]["figures"]) == [
        "88.3 million images and videos of child sexual abuse online were reported last year.",
        "Platforms detected 99% of the 88.3 million images and videos of child sexual abuse online reported last year.",
        "Reports of grooming increased by 82% from 2021 to 2022.",
    ]


def test_every_figure_is_there_with_its_period_unit_and_source(client) -> None:
    page = graphql(client, FIGURES)["data"]["figures"]
    assert page["totalCount"] == 16
    figures = {edge["node"]["statement"]: edge["node"] for edge in page["edges"]}
    for figure in figures.values():
        assert figure["unit"] and figure["periodStart"] <= figure["periodEnd"]
        assert figure["visibility"] == "PUBLIC" and figure["recordingOrganisation"] is None
        assert figure["provenance"] and all(p["source"] in SEED_DOCUMENTS and p["passage"] for p in figure["provenance"])
    reported = figures["88.3 million images and videos of child sexual abuse online were reported last year."]
    assert (reported["value"], reported["unit"], reported["periodStart"], reported["periodPrecision"]) == (
        88_300_000.0, "images and videos", "2022-01-01", "YEAR")
    assert reported["sourceOrganisation"] == {"slug": "ncmec"}
    assert reported["initiatives"] == [{"title": "NCMEC CyberTipline"}]
    grooming = figures["Reports of grooming increased by 82% from 2021 to 2022."]
    assert (grooming["value"], grooming["unit"], grooming["periodStart"], grooming["periodEnd"]) == (
        82.0, "% change", "2021-01-01", "2022-01-01")
    meta = figures["In January 2023 alone, Meta disabled more than 490,000 accounts for violating its child safety policies."]
    assert (meta["value"], meta["periodStart"], meta["periodPrecision"]) == (490_000.0, "2023-01-01", "MONTH")
    # Given in words only: no value.
    arachnid = next(f for s, f in figures.items() if s.startswith("Almost half"))
    assert (arachnid["value"], arachnid["unit"]) == (None, "%")
    polling = next(f for s, f in figures.items() if "68 %" in s)
    assert polling["regions"] == [{"code": "EU"}] and polling["sourceOrganisation"] == {"slug": "ecpat-international"}
    # The year filter finds what the registry says of 2021.
    of_2021 = graphql(client, '{ figures(first: 100, filter: {period: {start: 2021, end: 2021}}) { totalCount } }')
    assert of_2021["data"]["figures"]["totalCount"] == 7


def test_provenance_names_each_seed_document_by_its_title_publisher_date_and_url(client) -> None:
    """A reader sees the document a fact came from, not a file name: sources.yaml, served on Provenance."""
    query = """{ organisations(first: 100, filter: {query: "Point de Contact"}) { edges { node {
                   slug provenance { source document { key title kind publisher date url note } } } } } }"""
    nodes = {e["node"]["slug"]: e["node"] for e in graphql(client, query)["data"]["organisations"]["edges"]}
    documents = {p["source"]: p["document"] for p in nodes["point-de-contact"]["provenance"]}
    assert documents["000_34f25971e2aada83.txt"] | {"note": None} == {
        "key": "000_34f25971e2aada83.txt",
        "title": "Strengthening the protection of minors online: the President of the Republic brings together the "
                 "main Tech actors at the Elysée Palace",
        "kind": "press release", "publisher": "Point de Contact", "date": "2022-11-10", "url": None, "note": None,
    }
    assert "no address of its own" in documents["000_34f25971e2aada83.txt"]["note"]
    letter = graphql(client, """{ bestPractices(first: 100) { edges { node { title provenance {
                                   source document { title publisher date url } } } } } }""")["data"]
    detection = next(e["node"] for e in letter["bestPractices"]["edges"] if e["node"]["title"].startswith("Keep a legal"))
    cited = [p["document"] for p in detection["provenance"] if p["source"] == "001_85538bccebee7c49.txt"]
    assert cited and cited[0] == {
        "title": "80+ Child Rights Organisations Urge EU leaders Not to Step Back in Protecting Children Online",
        "publisher": "ECPAT International", "date": "2023-11-09",
        "url": "https://www.childsafetyineurope.com/wp-content/uploads/2023/11/2023.11.09_ECLAG-Open-Letter-on-LIBE-"
               "Compromise-PG.pdf",
    }
    # A seed file's own note is not a source document.
    assert all(p["document"] is None for p in detection["provenance"] if p["source"].startswith("seed/registry/"))


def test_every_seeded_rating_is_what_the_published_rule_set_computes(client) -> None:
    """Computed afresh beside the stored ratings, the current rule set changes none of them."""
    data = graphql(client, """{ ratingRuleset { version current }
                                 outcomeRatings(first: 100) { totalCount edges { node { rulesetVersion } } } }""")["data"]
    version = data["ratingRuleset"]["version"]
    assert data["ratingRuleset"]["current"] is True
    assert data["outcomeRatings"]["totalCount"] > 0
    assert {e["node"]["rulesetVersion"] for e in data["outcomeRatings"]["edges"]} == {version}
    diff = graphql(client, "query($v: String!) { ratingRulesetDiff(version: $v) { fromVersion changeCount } }",
                   {"v": version})["data"]["ratingRulesetDiff"]
    assert diff == {"fromVersion": version, "changeCount": 0}


def test_best_practices_cite_their_evidence_and_endorsers(client) -> None:
    practices = {e["node"]["title"]: e["node"] for e in graphql(client, PRACTICES)["data"]["bestPractices"]["edges"]}
    assert len(practices) == 8
    for node in practices.values():
        if node["evidenceBasis"]["code"] == "ASSESSMENTS":
            assert node["evidence"], node["title"]
        assert node["endorsementCount"] > 0
        assert any(p["source"] in SEED_DOCUMENTS for p in node["provenance"])
    detection = next(p for title, p in practices.items() if title.startswith("Keep a legal basis"))
    assert detection["organisation"] == {"slug": "ecpat-international"}
    assert detection["endorsementCount"] >= 84
    assert [e["study"]["title"] for e in detection["evidence"]] == [
        "58% drop in reports in 2021 while platforms had no legal basis to detect"]
    assert any(p["source"] == "seed/registry/practices.yaml" and p["note"] for p in detection["provenance"])


def test_an_initiative_with_no_lead_is_found_and_edited_by_no_organisation(client, db, make) -> None:  # noqa: ANN001
    from sqlmodel import select

    from api.initiatives.models import Initiative
    from api.organisations.models import Organisation
    from tests.factories import gid

    centre = db.exec(select(Initiative).where(Initiative.title == "French Safer Internet Centre")).one()
    point_de_contact = db.exec(select(Organisation).where(Organisation.slug == "point-de-contact")).one()
    token = make.token(point_de_contact)  # a participant of the centre, with every scope
    changed = graphql(
        client,
        'mutation ($id: ID!) { updateInitiative(input: {id: $id, title: "Taken over"}) '
        "{ initiative { title } userErrors { field code message } } }",
        {"id": gid("Initiative", centre.id)},
        token=token,
    )["data"]["updateInitiative"]
    assert changed == {"initiative": None, "userErrors": [{
        "field": ["input", "id"], "code": "FORBIDDEN",
        "message": "No organisation leads this initiative, so none can change it."}]}
    db.refresh(centre)
    assert centre.title == "French Safer Internet Centre"

    # The server's indexer builds its index from the database after start; wait until it holds all 19.
    deadline = time.monotonic() + 120
    # Until the app's index is built searches answer SEARCH_UNAVAILABLE (data null), then all 19 are there.
    while ((graphql(client, '{ searchInitiatives { totalHits } }')["data"] or {}).get("searchInitiatives") or {}).get("totalHits", 0) < 19:
        assert time.monotonic() < deadline, "the search index never caught up with the database"
        time.sleep(0.1)
    found = graphql(client, '{ searchInitiatives(query: "Safer Internet Centre") { totalHits hits { initiative { title } } } }')
    titles = [hit["initiative"]["title"] for hit in found["data"]["searchInitiatives"]["hits"]]
    assert "French Safer Internet Centre" in titles


SEEDED_VERSIONS = """
{ initiatives(first: 100) { edges { node { versions { number publication publishedBy { slug } } } } }
  evidenceAssessments(first: 100) { edges { node { versions { number publication } } } }
  bestPractices(first: 100) { edges { node { versions { number publication } } } } }
"""


def test_every_seeded_record_is_published_version_1_that_nobody_has_reviewed(client) -> None:
    data = graphql(client, SEEDED_VERSIONS)["data"]
    for records in data.values():
        assert records["edges"]
        for edge in records["edges"]:
            (version,) = edge["node"]["versions"]
            assert (version["number"], version["publication"]) == (1, "UNREVIEWED")
            assert version.get("publishedBy") is None
