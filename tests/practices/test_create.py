"""createBestPractice (deprecated): it saves a draft, published only after review; the happy path read back
every way once published, each bad input (no draft saved), and who may call it."""

import pytest

from api.auth.principal import Role
from tests.factories import gid, graphql
from tests.factories.reviews import ReviewPanel
from tests.practices.helpers import (
    CREATE,
    ENDORSE,
    LIST,
    NODE,
    NOTHING,
    db_id,
    errors,
    stored,
    stored_counts,
)

STATEMENT = "Route every report through the national hotline.\nTake material down within 24 hours."


def test_create_saves_a_draft_that_reads_back_through_list_and_node_once_reviewed(client, make, db) -> None:
    inhope = make.organisation("inhope")
    iwf = make.organisation("iwf")
    initiative = make.initiative(inhope, "Notice and take-down")
    first = make.assessment(initiative, iwf, "Removal times 2022")
    second = make.assessment(initiative, inhope, "Hotline network review")
    panel = ReviewPanel(client, make, db)
    token = make.token(inhope)

    created = graphql(client, CREATE, {"input": {
        "title": "  Notice and take-down through hotlines ",
        "statement": STATEMENT,
        "rationale": "Hotlines cut removal times.\n\nSee the cited assessments.",
        "evidenceBasis": "ASSESSMENTS",
        "harms": ["SOLICITATION", "CSAM-KNOWN", "CSAM-KNOWN"],
        "interventionTypes": ["RPT-HOT"],
        "evidence": [gid("EvidenceAssessment", second.id), gid("EvidenceAssessment", first.id)],
    }}, token)["data"]["createBestPractice"]
    assert created["userErrors"] == []
    # Nothing is published: the payload holds the draft, and no list or table holds a practice.
    assert created["bestPractice"] is None
    draft = created["revision"]
    assert (draft["state"], draft["recordType"], draft["record"], draft["baseVersion"]) == ("DRAFT", "BEST_PRACTICE", None, None)
    assert draft["content"]["data"]["evidence"] == sorted([first.id, second.id])
    assert graphql(client, LIST, {}, token)["data"]["bestPractices"]["totalCount"] == 0
    assert stored_counts(db) == {**NOTHING, "revision": 1}

    practice = panel.publish_practice_draft(token, draft, "id title statement visibility organisation { slug }")
    assert practice["title"] == "Notice and take-down through hotlines"
    assert practice["statement"] == STATEMENT
    assert practice["visibility"] == "PUBLIC"
    assert practice["organisation"] == {"slug": "inhope"}

    endorsed = graphql(client, ENDORSE, {"input": {"id": practice["id"]}}, make.token(iwf))
    assert endorsed["data"]["endorseBestPractice"]["userErrors"] == []

    listed = graphql(client, LIST, {})["data"]["bestPractices"]
    assert listed["totalCount"] == 1
    node = graphql(client, NODE, {"id": practice["id"]}, make.token(iwf))["data"]["node"]
    for read in (listed["edges"][0]["node"], node):
        assert read["id"] == practice["id"]
        assert read["organisation"] == {"slug": "inhope"}
        assert read["evidenceBasis"] == {"code": "ASSESSMENTS"}
        assert read["harms"] == [{"code": "CSAM-KNOWN"}, {"code": "SOLICITATION"}]
        assert read["interventionTypes"] == [{"code": "RPT-HOT"}]
        assert read["evidence"] == [
            {"id": gid("EvidenceAssessment", first.id), "study": {"title": "Removal times 2022"}},
            {"id": gid("EvidenceAssessment", second.id), "study": {"title": "Hotline network review"}},
        ]
        assert [e["organisation"] for e in read["endorsements"]] == [{"slug": "iwf"}]
        assert read["endorsements"][0]["endorsedAt"]
        assert read["endorsementCount"] == 1

    row, codes, cited, endorsers = stored(db, db_id(practice["id"]))
    assert row.organisation_id == inhope.id
    assert row.created_by == "client:test-client"
    assert codes == [("harm", "CSAM-KNOWN"), ("harm", "SOLICITATION"), ("intervention-type", "RPT-HOT")]
    assert cited == sorted([first.id, second.id])
    assert endorsers == [iwf.id]


def test_consensus_needs_no_evidence_and_members_visibility_is_kept(client, make, db) -> None:
    ecpat = make.organisation("ecpat")
    token = make.token(ecpat)
    created = graphql(client, CREATE, {"input": {
        "title": "Use the Luxembourg Guidelines' terms", "statement": "Say child sexual abuse material.",
        "evidenceBasis": "CONSENSUS", "visibility": "MEMBERS",
    }}, token)["data"]["createBestPractice"]
    assert created["userErrors"] == [] and created["bestPractice"] is None
    assert created["revision"]["content"]["data"]["visibility"] == "MEMBERS"
    published = ReviewPanel(client, make, db).publish_practice_draft(
        token, created["revision"], "visibility evidence { id } harms { code }"
    )
    assert published["visibility"] == "MEMBERS"
    assert published["evidence"] == [] and published["harms"] == []


def test_a_contributor_proposes_as_themselves_and_a_viewer_may_not(client, make, db) -> None:
    thorn = make.organisation("thorn")
    contributor = make.member(thorn, "contributor@thorn.example", Role.CONTRIBUTOR)
    viewer = make.member(thorn, "viewer@thorn.example", Role.VIEWER)
    given = {"input": {"title": "Safety by design", "statement": "Build it in.", "evidenceBasis": "CONSENSUS"}}

    refused = graphql(client, CREATE, given, make.token(thorn, user=viewer))["data"]["createBestPractice"]
    assert errors(refused) == [(["input"], "FORBIDDEN")]
    assert refused["revision"] is None
    assert stored_counts(db) == NOTHING

    author = make.token(thorn, user=contributor)
    created = graphql(client, CREATE, given, author)["data"]["createBestPractice"]
    assert created["userErrors"] == []
    published = ReviewPanel(client, make, db).publish_practice_draft(author, created["revision"])
    row, *_ = stored(db, db_id(published["id"]))
    assert row.created_by == f"user:{contributor.id}"


@pytest.fixture
def citable(make) -> dict:
    """Global ids of assessments: one the caller may cite, one hidden from it, and ids that match nothing."""
    inhope = make.organisation("inhope")
    other = make.organisation("other")
    mine = make.assessment(make.initiative(inhope), inhope, "Ours")
    hidden = make.assessment(make.initiative(other, visibility="ORGANISATION"), other, "Theirs", visibility="ORGANISATION")
    return {
        "org": inhope,
        "mine": gid("EvidenceAssessment", mine.id),
        "hidden": gid("EvidenceAssessment", hidden.id),
        "unknown": gid("EvidenceAssessment", 999_999),
        "wrong_type": gid("Initiative", mine.initiative_id),
    }


BAD_INPUTS = [
    ("unknown harm", {"harms": ["CSAM-KNOWN", "GROOMING"]}, ["harms", "1"], "INVALID_CODE"),
    ("unknown intervention type", {"interventionTypes": ["DET-MAGIC"]}, ["interventionTypes", "0"], "INVALID_CODE"),
    ("unknown evidence basis", {"evidenceBasis": "HUNCH"}, ["evidenceBasis"], "INVALID_CODE"),
    ("harm code in the wrong vocabulary", {"interventionTypes": ["CSAM-KNOWN"]}, ["interventionTypes", "0"], "INVALID_CODE"),
    ("assessments basis without evidence", {"evidenceBasis": "ASSESSMENTS"}, ["evidence"], "INVALID_VALUE"),
    ("assessments basis with an empty list", {"evidenceBasis": "ASSESSMENTS", "evidence": []}, ["evidence"], "INVALID_VALUE"),
    ("unknown assessment", {"evidence": ["mine", "unknown"]}, ["evidence", "1"], "NOT_FOUND"),
    ("unreadable assessment", {"evidence": ["hidden"]}, ["evidence", "0"], "NOT_FOUND"),
    ("id of another type", {"evidence": ["wrong_type"]}, ["evidence", "0"], "NOT_FOUND"),
    ("too many assessments", {"evidence": ["mine"] * 51}, ["evidence"], "TOO_MANY"),
    ("over-long statement", {"statement": "x" * 4001}, ["statement"], "TOO_LONG"),
    ("over-long title", {"title": "x" * 301}, ["title"], "TOO_LONG"),
    ("blank statement", {"statement": " \n "}, ["statement"], "BLANK"),
    ("blank title", {"title": "   "}, ["title"], "BLANK"),
    ("control character in the statement", {"statement": "Report\x00it"}, ["statement"], "CONTROL_CHARACTERS"),
    ("control character in the title", {"title": "Report\x1bit"}, ["title"], "CONTROL_CHARACTERS"),
    ("line break in the title", {"title": "Report\nit"}, ["title"], "CONTROL_CHARACTERS"),
    ("control character in the rationale", {"rationale": "Why\x07"}, ["rationale"], "CONTROL_CHARACTERS"),
]


@pytest.mark.parametrize(("change", "field", "code"), [case[1:] for case in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_reported_and_nothing_is_written(client, make, db, citable, change, field, code) -> None:
    given = {"title": "Hotlines", "statement": "Report it.", "evidenceBasis": "CONSENSUS", "harms": ["CSAM-KNOWN"]}
    given.update(change)
    if "evidence" in change:
        given["evidence"] = [citable[name] for name in change["evidence"]]
    payload = graphql(client, CREATE, {"input": given}, make.token(citable["org"]))["data"]["createBestPractice"]
    assert payload["bestPractice"] is None and payload["revision"] is None
    assert errors(payload) == [(["input", *field], code)]
    assert stored_counts(db) == NOTHING


def test_every_problem_is_reported_at_once(client, make, db, citable) -> None:
    given = {"title": "", "statement": "x" * 4001, "evidenceBasis": "ASSESSMENTS", "harms": ["NOPE"],
             "evidence": [citable["hidden"], citable["mine"]]}
    payload = graphql(client, CREATE, {"input": given}, make.token(citable["org"]))["data"]["createBestPractice"]
    assert sorted(errors(payload)) == sorted([
        (["input", "title"], "BLANK"),
        (["input", "statement"], "TOO_LONG"),
        (["input", "harms", "0"], "INVALID_CODE"),
        (["input", "evidence", "0"], "NOT_FOUND"),
    ])
    assert stored_counts(db) == NOTHING


def test_a_hidden_assessment_gets_the_same_answer_as_a_missing_one(client, make, citable) -> None:
    def attempt(name: str) -> list[dict]:
        given = {"title": "T", "statement": "S", "evidenceBasis": "ASSESSMENTS", "evidence": [citable[name]]}
        return graphql(client, CREATE.replace("userErrors { field code }", "userErrors { field code message }"),
                       {"input": given}, make.token(citable["org"]))["data"]["createBestPractice"]["userErrors"]

    assert attempt("hidden") == attempt("unknown")


@pytest.mark.parametrize(
    ("scopes", "top_level_code"),
    [(None, "UNAUTHENTICATED"), ("practices:read initiatives:write assessments:write", "FORBIDDEN")],
    ids=["anonymous", "without practices:write"],
)
def test_callers_without_the_right_are_refused_and_nothing_is_written(client, make, db, scopes, top_level_code) -> None:
    inhope = make.organisation("inhope")
    token = make.token(inhope, scopes) if scopes else None
    body = graphql(client, CREATE, {"input": {"title": "T", "statement": "S", "evidenceBasis": "CONSENSUS"}}, token)
    assert body["data"] is None or body["data"]["createBestPractice"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == [top_level_code]
    assert stored_counts(db) == NOTHING
