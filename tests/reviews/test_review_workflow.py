"""Review before publication, end to end through GraphQL on both databases: an organisation drafts an
assessment, two reviewers with no stake code it blind, their disagreement is reconciled, it publishes as
version 1 and its ratings update; an edit is version 2 with a diff of exactly what changed, while version 1
stays readable; and every step taken out of turn is refused with nothing written."""

import sqlalchemy as sa

from api.activity.models import Activity
from tests.factories import gid, graphql
from tests.reviews.workflow import REVISION, cast, check_draft_readers, draft_input, grant_reviewers, review_input, reviewed, step

EVIDENCE = """
query ($id: ID!) { initiative(id: $id) {
  assessments { id limitations findings { riskOfBias { code } } }
  outcomeRatings { outcome { code } rating { code } }
} }
"""
VERSIONS = """
query ($id: ID!) { node(id: $id) { ... on EvidenceAssessment {
  limitations
  versions { number publication changeNote }
  first: version(number: 1) { snapshot }
  diff(from: 1, to: 2) { op path value }
} } }
"""


def _evidence(client, initiative, token=None) -> dict:  # noqa: ANN001
    body = graphql(client, EVIDENCE, {"id": gid("Initiative", initiative.id)}, token)
    assert "errors" not in body, body
    return body["data"]["initiative"]


def _errors(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def test_a_draft_is_reviewed_reconciled_and_published_and_its_edit_is_version_2(client, make, db) -> None:  # noqa: ANN001
    c = cast(make, db)
    grant_reviewers(client, c)

    drafted = step(client, "draftEvidenceAssessment", draft_input(c.initiative), c.author)
    assert drafted["userErrors"] == []
    revision = drafted["revision"]
    assert (revision["state"], revision["round"], revision["baseVersion"]) == ("DRAFT", 0, None)
    for reader in (c.author, c.outsider, None):  # a draft is in no list and no rating, even its authors'
        assert _evidence(client, c.initiative, reader) == {"assessments": [], "outcomeRatings": []}

    # The draft is checked like a write, and stays editable until it is submitted.
    bad = step(client, "draftEvidenceAssessment", draft_input(c.initiative, revision=revision["id"], independence="NOT-A-CODE"), c.author)
    assert _errors(bad) == [(["input", "independence"], "INVALID_CODE")]
    assert step(client, "submitRevision", {"id": revision["id"]}, c.author)["revision"]["state"] == "SUBMITTED"
    locked = step(client, "draftEvidenceAssessment", draft_input(c.initiative, revision=revision["id"], changeNote="Later"), c.author)
    assert _errors(locked) == [(["input", "revision"], "LOCKED")]

    # A reviewer from the lead organisation has a stake; two with none are drawn.
    staked = step(client, "assignReviewers", {"revision": revision["id"], "reviewers": [c.memberships["lead-hotline"], c.memberships["institute-a"]]}, c.secretariat)
    assert _errors(staked) == [(["input", "reviewers", "0"], "HAS_STAKE")]
    assigned = step(client, "assignReviewers", {"revision": revision["id"]}, c.secretariat)
    assert assigned["revision"]["state"] == "IN_REVIEW"

    first, second = c.reviewers.values()
    assert step(client, "submitReview", review_input(revision["id"]), first)["userErrors"] == []
    practice_coding = {"revision": revision["id"], "practice": {"evidenceBasis": "ASSESSMENTS", "support": []}, "decision": "ACCEPT"}
    assert _errors(step(client, "submitReview", practice_coding, second)) == [(["input", "studyDesign"], "REQUIRED")]
    blind = step(client, "publishRevision", {"revision": revision["id"]}, c.secretariat, "revision { id }")
    assert _errors(blind) == [(["input", "revision"], "NEEDS_TWO_REVIEWS")]
    own_only = graphql(client, "query ($id: ID!) { node(id: $id) { ... on Revision { reviews { mine coding } } } }", {"id": revision["id"]}, second)
    assert own_only["data"]["node"]["reviews"] == [{"mine": True, "coding": None}]  # the first review stays hidden

    reconciling = step(client, "submitReview", review_input(revision["id"], riskOfBias="SOME"), second)["revision"]
    assert reconciling["state"] == "RECONCILIATION"
    (disagreement,) = reconciling["disagreements"]  # reviewers are drawn: either may be the first
    assert disagreement["field"] == "/findings/0/riskOfBias" and disagreement["resolution"] is None
    assert {disagreement["first"], disagreement["second"]} == {"LOW", "SOME"}
    assert 0 < reconciling["agreement"] < 1
    refused = step(client, "publishRevision", {"revision": revision["id"]}, c.secretariat, "revision { id }")
    assert _errors(refused) == [(["input", "revision"], "OPEN_DISAGREEMENTS")]
    assert _evidence(client, c.initiative) == {"assessments": [], "outcomeRatings": []}

    resolved = step(client, "resolveDisagreement", {"revision": revision["id"], "field": "/findings/0/riskOfBias", "value": "LOW"}, c.secretariat)
    assert resolved["userErrors"] == []
    published = step(client, "publishRevision", {"revision": revision["id"]}, c.secretariat, "revision { state publishedVersion } evidenceAssessment { id }")
    assert published["userErrors"] == [] and published["revision"] == {"state": "PUBLISHED", "publishedVersion": 1}
    record_id = published["evidenceAssessment"]["id"]
    evidence = _evidence(client, c.initiative)
    assert evidence["assessments"] == [{"id": record_id, "limitations": None, "findings": [{"riskOfBias": {"code": "LOW"}}]}]
    assert [r["outcome"]["code"] for r in evidence["outcomeRatings"]] == ["REMOVAL-TIME"]

    # The next version: drafted from what is published, reviewed again; version 1 stays what it was.
    draft_2 = step(client, "draftEvidenceAssessmentRevision", {"id": record_id, "limitations": "One country only.", "changeNote": "Limitations"}, c.author)
    assert draft_2["userErrors"] == [] and draft_2["revision"]["baseVersion"] == 1
    assert _evidence(client, c.initiative)["assessments"][0]["limitations"] is None
    assert reviewed(client, c, draft_2["revision"]["id"])["disagreements"] == []
    assert step(client, "publishRevision", {"revision": draft_2["revision"]["id"]}, c.secretariat, "revision { publishedVersion }")["revision"] == {"publishedVersion": 2}

    node = graphql(client, VERSIONS, {"id": record_id})["data"]["node"]
    assert node["limitations"] == "One country only."
    assert node["versions"] == [
        {"number": 1, "publication": "REVIEWED", "changeNote": "First assessment of the trial."},
        {"number": 2, "publication": "REVIEWED", "changeNote": "Limitations"},
    ]
    assert node["first"]["snapshot"]["limitations"] is None
    assert node["diff"] == [{"op": "replace", "path": "/limitations", "value": "One country only."}]

    # Per reviewer pair: round 1 disagreed on one of its 13 coded fields, round 2 on none.
    pairs = "{ reviewerAgreement { reviewers rounds fieldsAgreed fieldsCompared agreement } }"
    (pair,) = graphql(client, pairs, token=c.secretariat)["data"]["reviewerAgreement"]
    assert sorted(pair["reviewers"]) == ["reviewer", "reviewer"] and pair["rounds"] == 2
    assert (pair["fieldsAgreed"], pair["fieldsCompared"]) == (25, 26) and pair["agreement"] == 25 / 26
    assert graphql(client, pairs, token=c.outsider)["data"]["reviewerAgreement"] == []

    with db.get_bind().connect() as connection:
        kinds = connection.execute(sa.select(Activity.kind, Activity.subject_type).order_by(Activity.id)).all()
    assert [k for k, t in kinds if t == "EvidenceAssessment"] == ["PUBLISHED", "PUBLISHED"]


def test_drafts_are_seen_by_their_authors_and_assigned_reviewers_only(client, make, db) -> None:  # noqa: ANN001
    c = cast(make, db)
    grant_reviewers(client, c)
    revision_id = step(client, "draftEvidenceAssessment", draft_input(c.initiative), c.author)["revision"]["id"]
    check_draft_readers(
        client,
        revision_id,
        author=c.author,
        secretariat=c.secretariat,
        reviewers=list(c.reviewers.values()),
        strangers=[c.outsider, c.staked_reviewer],
    )


def test_steps_out_of_turn_are_refused_and_write_nothing(client, make, db) -> None:  # noqa: ANN001
    c = cast(make, db)
    grant_reviewers(client, c)
    revision_id = step(client, "draftEvidenceAssessment", draft_input(c.initiative), c.author)["revision"]["id"]

    def rows() -> dict:
        with db.get_bind().connect() as connection:
            return {
                table: connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1")).all()
                for table in ("revision", "review_assignment", "disagreement", "record_version", "evidence_assessment")
            }

    before = rows()
    # Someone else's draft is missing to them; a reviewer cannot review their own organisation's record
    # (not assigned); nobody publishes an unreviewed draft.
    assert _errors(step(client, "submitRevision", {"id": revision_id}, c.outsider)) == [(["input", "id"], "NOT_FOUND")]
    assert _errors(step(client, "submitReview", review_input(revision_id), c.staked_reviewer)) == [(["input", "revision"], "NOT_FOUND")]
    assert _errors(step(client, "publishRevision", {"revision": revision_id}, c.secretariat, "revision { id }")) == [(["input", "revision"], "NOT_FOUND")]
    assign = "mutation ($input: AssignReviewersInput!) { assignReviewers(input: $input) { userErrors { code } } }"
    refused = graphql(client, assign, {"input": {"revision": revision_id}}, c.author)  # not the secretariat
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert rows() == before

    step(client, "submitRevision", {"id": revision_id}, c.author)
    before = rows()
    assert _errors(step(client, "publishRevision", {"revision": revision_id}, c.secretariat, "revision { id }")) == [(["input", "revision"], "NEEDS_TWO_REVIEWS")]
    assert _errors(step(client, "draftEvidenceAssessment", draft_input(c.initiative, revision=revision_id), c.author)) == [(["input", "revision"], "LOCKED")]
    assert _errors(step(client, "submitRevision", {"id": revision_id}, c.author)) == [(["input", "id"], "LOCKED")]
    assert rows() == before
