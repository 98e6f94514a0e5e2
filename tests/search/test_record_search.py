"""`searchEvidence` and `searchBestPractices` through the real app and the change log: publication
through review puts a record in its index (a draft never), withdrawal takes it out, a study correction
and an organisation's new name reach the documents; and, on both engines, what a caller finds, counts and
is told the total of is exactly what the domains' `readable` rules let it read."""

from collections import Counter

import pytest
from sqlmodel import select

from api.auth.principal import ANONYMOUS, Principal, PrincipalKind
from api.auth.scopes import Scope
from api.evidence import service as evidence_service
from api.evidence.models import EvidenceAssessment, Study
from api.organisations.models import OrganisationStatus
from api.practices import service as practices_service
from api.search.backend import SearchRequest
from api.search.changes import Position
from api.search.embedded import EmbeddedBackend
from api.search.indexer import drain
from api.search.models import BEST_PRACTICE, EVIDENCE
from api.search.record_access import evidence_access_filter, practice_access_filter
from api.search.record_schemas import index_uid
from api.search.records import RECORD_INDEXES
from tests.evidence.operations import create_input, finding, new_study
from tests.factories import gid, graphql, mutate, set_columns
from tests.factories.reviews import ReviewPanel
from tests.search.indexing import caught_up, fast, with_sessions
from tests.webhooks.receiver import wait_for

EVIDENCE_QUERY = """
query($query: String!, $filter: EvidenceSearchFilter, $facets: [EvidenceSearchFacet!]) {
  searchEvidence(query: $query, filter: $filter, facets: $facets) {
    totalHits facetDistribution { facet values { value label count } }
    hits { evidenceAssessment { id study { title } } highlights { field text matches { start length } } }
  }
}
"""
PRACTICE_QUERY = """
query($query: String!, $filter: BestPracticeSearchFilter, $facets: [BestPracticeSearchFacet!]) {
  searchBestPractices(query: $query, filter: $filter, facets: $facets) {
    totalHits facetDistribution { facet values { value label count } }
    hits { bestPractice { id title } highlights { field text } }
  }
}
"""


def _evidence(client, token: str | None = None, query: str = "", **variables) -> dict:  # noqa: ANN001, ANN003
    body = graphql(client, EVIDENCE_QUERY, {"query": query, **variables}, token)
    assert "errors" not in body, body
    return body["data"]["searchEvidence"]


def _practices(client, token: str | None = None, query: str = "", **variables) -> dict:  # noqa: ANN001, ANN003
    body = graphql(client, PRACTICE_QUERY, {"query": query, **variables}, token)
    assert "errors" not in body, body
    return body["data"]["searchBestPractices"]


def test_publication_puts_an_assessment_in_the_index_and_withdrawal_takes_it_out(app, client, make, db, engine) -> None:  # noqa: ANN001
    initiative = make.initiative(make.organisation("lead"), "Notice and take-down", status="IMPLEMENTATION")
    token = make.token(make.organisation("university"))
    panel = ReviewPanel(client, make, db)
    values = create_input(
        initiative, newStudy=new_study(title="A randomised trial of take-down notices", studyDesign="RCT"),
        findings=[finding(riskOfBias="LOW", effectSize=0.4, ciLow=0.2, ciHigh=0.6)],
    )
    draft = mutate(client, "draftEvidenceAssessment", values, token, "revision { id }")
    assert draft["userErrors"] == []
    wait_for(lambda: caught_up(app, engine), what="the search index")
    assert _evidence(client, token, "randomised")["totalHits"] == 0  # a draft is never indexed

    assessment_id = panel.publish(token, values)["id"]
    wait_for(lambda: caught_up(app, engine), what="the search index")
    for reader in (None, token):
        found = _evidence(client, reader, "randomized take-down", facets=["STUDY_DESIGN", "INDEPENDENCE"])
        assert found["totalHits"] == 1
        hit = found["hits"][0]
        assert hit["evidenceAssessment"] == {"id": assessment_id, "study": {"title": "A randomised trial of take-down notices"}}
        title = next(h for h in hit["highlights"] if h["field"] == "studyTitle")
        assert title["text"][title["matches"][0]["start"]:][:10] == "randomised"  # a spelling variant matched
        design = found["facetDistribution"][0]
        assert design["facet"] == "STUDY_DESIGN" and [(v["value"], v["count"]) for v in design["values"]] == [("RCT", 1)]
        assert design["values"][0]["label"] != "RCT"  # the vocabulary's label
        # The initiative's title is searched too.
        assert _evidence(client, reader, "notice")["totalHits"] == 1
        assert _evidence(client, reader, "", filter={"studyDesigns": ["CRCT"]})["totalHits"] == 0
    # An unknown code is a clear error naming the argument, never a filter that matches nothing.
    refused = graphql(client, EVIDENCE_QUERY, {"query": "", "filter": {"studyDesigns": ["NOPE"]}})
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["problems"][0]["field"] == ["filter", "studyDesigns", "0"]

    payload = mutate(client, "withdrawEvidenceAssessment", {"id": assessment_id, "reason": "Counted twice."}, token,
                     "evidenceAssessment { id }")
    assert payload["userErrors"] == []
    wait_for(lambda: caught_up(app, engine), what="the search index")
    for reader in (None, token):
        gone = _evidence(client, reader, "randomised", facets=["STUDY_DESIGN"])
        assert (gone["totalHits"], gone["hits"], gone["facetDistribution"][0]["values"]) == (0, [], [])


def test_a_published_practice_is_found_and_withdrawal_takes_it_out(app, client, make, db, engine) -> None:  # noqa: ANN001
    coalition = make.organisation("coalition")
    token = make.token(coalition)
    panel = ReviewPanel(client, make, db)
    values = {
        "title": "Escalate urgent reports to the police",
        "statement": "Agree an escalation path with the police before launching a hotline.",
        "evidenceBasis": "CONSENSUS",
        "harms": ["CSAM-KNOWN"],
    }
    practice_id = panel.publish_practice(token, values)["id"]
    wait_for(lambda: caught_up(app, engine), what="the search index")
    found = _practices(client, None, "escalation police", facets=["HARMS", "EVIDENCE_BASIS"])
    assert found["totalHits"] == 1 and found["hits"][0]["bestPractice"]["id"] == practice_id
    assert {f["facet"]: [(v["value"], v["count"]) for v in f["values"]] for f in found["facetDistribution"]} == {
        "HARMS": [("CSAM-KNOWN", 1)], "EVIDENCE_BASIS": [("CONSENSUS", 1)],
    }
    assert _practices(client, None, "", filter={"harms": ["SOLICITATION"]})["totalHits"] == 0

    payload = mutate(client, "withdrawBestPractice", {"id": practice_id, "reason": "Superseded."}, token, "bestPractice { id }")
    assert payload["userErrors"] == []
    wait_for(lambda: caught_up(app, engine), what="the search index")
    assert _practices(client, None, "escalation")["totalHits"] == 0


def test_a_study_correction_and_an_organisation_rename_reach_the_documents(app, client, make, db, engine) -> None:  # noqa: ANN001
    university = make.organisation("university")
    initiative = make.initiative(make.organisation("lead"), "Helpline")
    assessment = make.assessment(initiative, university, "A survey of helpline callers")
    make.practice(university, "Answer within a day")
    wait_for(lambda: caught_up(app, engine), what="the search index")
    assert _evidence(client, None, "callers")["totalHits"] == 1

    study = db.get(Study, assessment.study_id)
    set_columns(db, study, title="A survey of helpline users")  # a correction, as updateStudy writes it
    set_columns(db, university, name="Zeppelin Institute")
    wait_for(lambda: caught_up(app, engine), what="the search index")
    assert _evidence(client, None, "callers")["totalHits"] == 0
    assert _evidence(client, None, "users")["totalHits"] == 1
    renamed = _evidence(client, None, "zeppelin")
    assert renamed["totalHits"] == 1
    assert "Zeppelin Institute" in [h["text"] for h in renamed["hits"][0]["highlights"] if h["field"] == "organisations"]

    set_columns(db, university, status=OrganisationStatus.SUSPENDED)  # no longer listed: its records leave
    wait_for(lambda: caught_up(app, engine), what="the search index")
    assert _evidence(client, None, "users")["totalHits"] == 0
    assert _practices(client, None, "answer")["totalHits"] == 0


def _user(organisation_id: int, *, member: bool = True, scopes: frozenset[Scope] | None = None, **extra: bool) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        subject=f"user-of-{organisation_id}",
        organisation_id=organisation_id,
        organisation_is_member=member,
        scopes=frozenset({Scope.INITIATIVES_READ, Scope.ASSESSMENTS_READ, Scope.PRACTICES_READ}) if scopes is None else scopes,
        **extra,
    )


@pytest.fixture(params=["embedded", "meilisearch"])
def record_indexes(request: pytest.FixtureRequest):  # noqa: ANN201
    """Fresh, empty evidence and best-practice indexes of each engine."""
    if request.param == "embedded":
        yield {kind: EmbeddedBackend(index.schema) for kind, index in RECORD_INDEXES.items()}
        return
    from api.search.meilisearch_backend import MeilisearchBackend

    server = request.getfixturevalue("meilisearch_server")
    uid = server.index_uid("records")
    try:
        backends = {
            kind: MeilisearchBackend(server.url, server.master_key, index_uid=index_uid(uid, kind), schema=index.schema)
            for kind, index in RECORD_INDEXES.items()
        }
        for backend in backends.values():
            backend.ensure_index()  # as the indexer does first
        yield backends
    finally:
        server.delete_indexes(prefix=uid)


def test_what_a_search_finds_and_counts_is_what_the_readable_rule_lets_the_caller_read(
    make, db, database_url, record_indexes  # noqa: ANN001
) -> None:
    lead = make.organisation("lead")
    partner = make.organisation("partner", status=OrganisationStatus.OBSERVER)
    university = make.organisation("university")
    other = make.organisation("other")
    pending = make.organisation("pending", status=OrganisationStatus.PENDING)
    public = make.initiative(lead, "Hotline network")
    private = make.initiative(lead, "Hotline pilot", visibility="ORGANISATION", partners=[(partner, "PARTNER")])
    led_by_pending = make.initiative(pending, "Hotline trial")
    made = [
        make.assessment(public, university, "Hotline public trial", study_design="RCT"),
        make.assessment(public, university, "Hotline members trial", visibility="MEMBERS", study_design="QED"),
        make.assessment(public, university, "Hotline own trial", visibility="ORGANISATION", study_design="QED"),
        make.assessment(private, other, "Hotline private initiative trial", study_design="RCT"),
        make.assessment(public, pending, "Hotline unlisted assessor trial", study_design="RCT"),
        make.assessment(led_by_pending, university, "Hotline unlisted lead trial", study_design="RCT"),
    ]
    withdrawn = make.assessment(public, university, "Hotline withdrawn trial")
    set_columns(db, withdrawn, deleted_at=withdrawn.created_at)
    make.practice(university, "Hotline guidance", harms=["CSAM-KNOWN"])
    make.practice(university, "Hotline members guidance", visibility="MEMBERS", harms=["SOLICITATION"])
    make.practice(other, "Hotline own guidance", visibility="ORGANISATION", harms=["CSAM-KNOWN"])
    make.practice(pending, "Hotline unlisted guidance", harms=["CSAM-KNOWN"])
    assert len(made) == 6

    # The whole change log, as every indexer follows it.
    settings = fast(database_url)
    with_sessions(settings, lambda sessions: drain(
        sessions=sessions, backend=EmbeddedBackend(), position=Position(), others=record_indexes,
    ))
    callers = {
        "anonymous": ANONYMOUS,
        "university (member)": _user(university.id),
        "partner (observer)": _user(partner.id, member=False),
        "lead": _user(lead.id),
        "other without read scopes": _user(other.id, scopes=frozenset()),
        "other": _user(other.id),
        "pending": _user(pending.id),
        "secretariat": _user(make.organisation("secretariat").id, organisation_is_secretariat=True,
                             scopes=frozenset({Scope.LAB_ADMIN})),
    }
    for name, principal in callers.items():
        readable = {str(i) for i in db.exec(evidence_service.readable_ids(principal)).all()}
        designs = Counter(
            db.exec(select(Study.study_design).join(EvidenceAssessment, EvidenceAssessment.study_id == Study.id).where(
                EvidenceAssessment.id.in_([int(i) for i in readable]))).all()  # type: ignore[union-attr]
        )
        result = record_indexes[EVIDENCE].search(SearchRequest(
            query="hotline", filter=evidence_access_filter(principal), facets=("study_design",), hits_per_page=50,
        ))
        assert {h.id for h in result.hits} == readable, name
        assert result.total_hits == len(readable), name
        assert result.facet_distribution == {"study_design": dict(designs)}, name

        readable_practices = {str(p.id) for p in db.exec(practices_service.readable(principal)).all()}
        found = record_indexes[BEST_PRACTICE].search(SearchRequest(
            query="hotline", filter=practice_access_filter(principal), facets=("harms",), hits_per_page=50,
        ))
        assert {h.id for h in found.hits} == readable_practices, name
        assert found.total_hits == len(readable_practices), name
    # Someone reads each kind, and nobody the withdrawn one.
    assert str(withdrawn.id) not in record_indexes[EVIDENCE].document_ids()


def test_writes_queue_the_records_whose_documents_they_change(make, db, engine) -> None:  # noqa: ANN001
    from tests.search.indexing import queued_records

    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM search_outbox")
    university, other = make.organisation("university"), make.organisation("other")
    initiative = make.initiative(make.organisation("lead"), "Helpline")
    assessment = make.assessment(initiative, university, "A survey")
    practice = make.practice(other, "Answer within a day", harms=["CSAM-KNOWN"])
    assert set(queued_records(engine, EVIDENCE)) == {assessment.id}
    assert set(queued_records(engine, BEST_PRACTICE)) == {practice.id}

    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM search_outbox")
    set_columns(db, db.get(Study, assessment.study_id), title="A survey, corrected")
    assert set(queued_records(engine, EVIDENCE)) == {assessment.id}
    set_columns(db, other, name="Another name")
    assert set(queued_records(engine, BEST_PRACTICE)) == {practice.id}
    set_columns(db, other, website="https://other.example.org")  # in no document: queues nothing more
    assert len(queued_records(engine, BEST_PRACTICE)) == 1
