"""Review before publication of best practices, end to end through GraphQL on both databases: an
organisation drafts a practice citing two assessments, two reviewers with no stake code it blind, their
disagreement on the evidence basis is reconciled and the agreed basis is what publishes as version 1; an
edit is version 2 with a diff of exactly what changed, reviewed by nobody from an organisation endorsing
it; every step out of turn is refused with nothing written; and a draft is seen by its authors and its
assigned reviewers only."""

import sqlalchemy as sa

from tests.factories import gid, graphql, user_errors
from tests.reviews.practice_workflow import REVISION, grant, practice_cast, practice_input, practice_review, reviewed
from tests.reviews.workflow import check_draft_readers, draft_input, review_input, sees, step

PRACTICES = "{ bestPractices { totalCount edges { node { id evidenceBasis { code } rationale } } } }"
VERSIONS = """
query ($id: ID!) { node(id: $id) { ... on BestPractice {
  rationale evidenceBasis { code }
  versions { number publication changeNote }
  first: version(number: 1) { snapshot }
  diff(from: 1, to: 2) { op path value }
} } }
"""
RECORD = "query ($id: ID!) { node(id: $id) { ... on Revision { recordType record { __typename ... on BestPractice { title } } } } }"


def _practices(client, token=None) -> list[dict]:  # noqa: ANN001
    body = graphql(client, PRACTICES, None, token)
    assert "errors" not in body, body
    connection = body["data"]["bestPractices"]
    assert connection["totalCount"] == len(connection["edges"])
    return [edge["node"] for edge in connection["edges"]]


def _rows(db) -> dict:  # noqa: ANN001
    with db.get_bind().connect() as connection:
        return {
            table: connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1")).all()
            for table in ("revision", "review_assignment", "disagreement", "record_version", "best_practice", "practice_evidence")
        }


def test_a_practice_is_reviewed_its_agreed_basis_published_and_its_edit_is_version_2(client, make, db) -> None:  # noqa: ANN001
    c = practice_cast(make, db)
    grant(client, c, "institute-a", "institute-b", "university")

    drafted = step(client, "draftBestPractice", practice_input(c), c.author)
    assert drafted["userErrors"] == []
    revision = drafted["revision"]
    assert (revision["state"], revision["round"], revision["baseVersion"]) == ("DRAFT", 0, None)
    assert revision["content"]["data"]["evidence_basis"] == "ASSESSMENTS"
    for reader in (c.author, c.outsider, None):  # a draft is in no list, even its authors'
        assert _practices(client, reader) == []

    # The draft is checked as createBestPractice checks a write, and stays editable until it is submitted.
    bad = step(client, "draftBestPractice", practice_input(c, revision=revision["id"], evidenceBasis="NOT-A-CODE"), c.author)
    assert user_errors(bad) == [(["input", "evidenceBasis"], "INVALID_CODE")]
    assert step(client, "submitRevision", {"id": revision["id"]}, c.author)["revision"]["state"] == "SUBMITTED"

    # The university assessed cited evidence: it has a stake. The two with none are drawn.
    staked = step(client, "assignReviewers", {"revision": revision["id"], "reviewers": [c.memberships["university"], c.memberships["institute-a"]]}, c.secretariat)
    assert user_errors(staked) == [(["input", "reviewers", "0"], "HAS_STAKE")]
    assert step(client, "assignReviewers", {"revision": revision["id"]}, c.secretariat)["revision"]["state"] == "IN_REVIEW"

    first, second = c.reviewers.values()
    assert step(client, "submitReview", practice_review(revision["id"]), first)["userErrors"] == []
    before = _rows(db)
    # A practice is coded as a practice: one support code per cited assessment, each a known one.
    assert user_errors(step(client, "submitReview", review_input(revision["id"]), second)) == [(["input", "practice"], "REQUIRED")]
    both = {**practice_review(revision["id"]), "studyDesign": "RCT"}
    assert user_errors(step(client, "submitReview", both, second)) == [(["input", "practice"], "INVALID_VALUE")]
    short = step(client, "submitReview", practice_review(revision["id"], support=("YES", "MAYBE", "NO")), second)
    assert user_errors(short) == [(["input", "practice", "support"], "INVALID_VALUE"), (["input", "practice", "support", "1"], "INVALID_VALUE")]
    assert user_errors(step(client, "submitReview", practice_review(revision["id"], evidence_basis="HUNCH"), second)) == [
        (["input", "practice", "evidenceBasis"], "INVALID_CODE")
    ]
    assert _rows(db) == before

    reconciling = step(client, "submitReview", practice_review(revision["id"], evidence_basis="CONSENSUS"), second, REVISION)["revision"]
    assert reconciling["state"] == "RECONCILIATION"
    (disagreement,) = reconciling["disagreements"]  # reviewers are drawn: either may be the first
    assert disagreement["field"] == "/evidenceBasis" and disagreement["resolution"] is None
    assert {disagreement["first"], disagreement["second"]} == {"ASSESSMENTS", "CONSENSUS"}
    assert reconciling["agreement"] == 3 / 4  # the basis, two support codes and the decision
    refused = step(client, "publishRevision", {"revision": revision["id"]}, c.secretariat, "revision { id }")
    assert user_errors(refused) == [(["input", "revision"], "OPEN_DISAGREEMENTS")]
    assert _practices(client) == []

    resolve = {"revision": revision["id"], "field": "/evidenceBasis", "value": "CONSENSUS"}
    assert step(client, "resolveDisagreement", resolve, c.secretariat)["userErrors"] == []
    published = step(client, "publishRevision", {"revision": revision["id"]}, c.secretariat, "revision { state publishedVersion } bestPractice { id evidenceBasis { code } } evidenceAssessment { id }")
    assert published["userErrors"] == [] and published["revision"] == {"state": "PUBLISHED", "publishedVersion": 1}
    assert published["evidenceAssessment"] is None
    record_id = published["bestPractice"]["id"]
    # The reviewers' agreed basis replaced the authors'.
    assert _practices(client) == [{"id": record_id, "evidenceBasis": {"code": "CONSENSUS"}, "rationale": None}]
    record = graphql(client, RECORD, {"id": revision["id"]}, c.author)["data"]["node"]
    assert record == {"recordType": "BEST_PRACTICE", "record": {"__typename": "BestPractice", "title": "Act on notices within a day"}}

    # An organisation endorsing the published practice now has a stake in its next version.
    endorse = "mutation ($id: ID!) { endorseBestPractice(input: {id: $id}) { userErrors { code } } }"
    assert graphql(client, endorse, {"id": record_id}, c.endorser)["data"]["endorseBestPractice"]["userErrors"] == []
    grant(client, c, "endorser")
    draft_2 = step(client, "draftBestPracticeRevision", {"id": record_id, "rationale": "Faster removal, fewer views.", "changeNote": "Rationale"}, c.author)
    assert draft_2["userErrors"] == [] and draft_2["revision"]["baseVersion"] == 1
    assert draft_2["revision"]["content"]["data"]["evidence_basis"] == "CONSENSUS"  # drafted from what is published
    assert _practices(client)[0]["rationale"] is None
    revision_2 = draft_2["revision"]["id"]
    assert step(client, "submitRevision", {"id": revision_2}, c.author)["userErrors"] == []
    endorsing = step(client, "assignReviewers", {"revision": revision_2, "reviewers": [c.memberships["endorser"], c.memberships["institute-a"]]}, c.secretariat)
    assert user_errors(endorsing) == [(["input", "reviewers", "0"], "HAS_STAKE")]
    first, second = c.reviewers.values()
    assert step(client, "assignReviewers", {"revision": revision_2}, c.secretariat)["userErrors"] == []
    for reviewer in (first, second):
        assert step(client, "submitReview", practice_review(revision_2, evidence_basis="CONSENSUS"), reviewer)["userErrors"] == []
    assert step(client, "publishRevision", {"revision": revision_2}, c.secretariat, "revision { publishedVersion }")["revision"] == {"publishedVersion": 2}

    node = graphql(client, VERSIONS, {"id": record_id})["data"]["node"]
    assert node["rationale"] == "Faster removal, fewer views." and node["evidenceBasis"] == {"code": "CONSENSUS"}
    assert node["versions"] == [
        {"number": 1, "publication": "REVIEWED", "changeNote": "A practice resting on two assessments."},
        {"number": 2, "publication": "REVIEWED", "changeNote": "Rationale"},
    ]
    assert node["first"]["snapshot"]["rationale"] is None
    assert node["first"]["snapshot"]["evidence"] == c.evidence
    assert node["diff"] == [{"op": "replace", "path": "/rationale", "value": "Faster removal, fewer views."}]


def test_practice_drafts_are_seen_by_their_authors_and_assigned_reviewers_only(client, make, db) -> None:  # noqa: ANN001
    c = practice_cast(make, db)
    grant(client, c, "institute-a", "institute-b", "university")
    revision_id = step(client, "draftBestPractice", practice_input(c), c.author)["revision"]["id"]
    # Its own organisation reads it with the scope that reads practices.
    assert sees(client, revision_id, make.token(c.authoring, "assessments:read", user=c.author_user)) == (False, 0)
    check_draft_readers(
        client,
        revision_id,
        author=c.author,
        secretariat=c.secretariat,
        reviewers=list(c.reviewers.values()),
        strangers=[c.outsider, c.endorser],
    )
    for reader in (c.author, c.secretariat, *c.reviewers.values()):  # a practice under review is in no list
        assert _practices(client, reader) == []


def test_practice_steps_out_of_turn_are_refused_and_write_nothing(client, make, db) -> None:  # noqa: ANN001
    c = practice_cast(make, db)
    grant(client, c, "institute-a", "institute-b")
    hidden = make.assessment(make.initiative(make.organisation("private-lead"), "Private"), make.organisation("private-lab"), "Hidden", visibility="PRIVATE")
    elsewhere = make.practice(make.organisation("other-coalition"), "Another practice")
    revision_id = step(client, "draftBestPractice", practice_input(c), c.author)["revision"]["id"]
    assessment_draft = step(client, "draftEvidenceAssessment", draft_input(c.initiative), c.author)["revision"]["id"]

    before = _rows(db)
    # A draft's content is checked as a write: an assessment the authors cannot read is missing to them.
    unreadable = step(client, "draftBestPractice", practice_input(c, evidence=[c.evidence[0], gid("EvidenceAssessment", hidden.id)]), c.author)
    assert user_errors(unreadable) == [(["input", "evidence", "1"], "NOT_FOUND")]
    resting = step(client, "draftBestPractice", practice_input(c, evidence=[]), c.author)
    assert user_errors(resting) == [(["input", "evidence"], "INVALID_VALUE")]
    # A draft of another kind of record is not a practice's draft to change.
    crossed = step(client, "draftBestPractice", practice_input(c, revision=assessment_draft), c.author)
    assert user_errors(crossed) == [(["input", "revision"], "INVALID_VALUE")]
    # Only the proposing organisation drafts a practice's next version; someone else's draft is missing to them.
    other = step(client, "draftBestPracticeRevision", {"id": gid("BestPractice", elsewhere.id), "rationale": "Mine now"}, c.author)
    assert user_errors(other) == [(["input", "id"], "FORBIDDEN")]
    assert user_errors(step(client, "submitRevision", {"id": revision_id}, c.outsider)) == [(["input", "id"], "NOT_FOUND")]
    assert user_errors(step(client, "publishRevision", {"revision": revision_id}, c.secretariat, "revision { id }")) == [(["input", "revision"], "NOT_FOUND")]
    # Drafting, submitting and withdrawing a practice needs `practices:write`, whatever else the token holds.
    narrow = make.token(c.authoring, "assessments:write practices:read", user=c.author_user)
    assert user_errors(step(client, "submitRevision", {"id": revision_id}, narrow)) == [(["input"], "FORBIDDEN")]
    assert user_errors(step(client, "withdrawRevision", {"id": revision_id, "reason": "No"}, narrow)) == [(["input"], "FORBIDDEN")]
    assert _rows(db) == before

    step(client, "submitRevision", {"id": revision_id}, c.author)
    before = _rows(db)
    assert user_errors(step(client, "publishRevision", {"revision": revision_id}, c.secretariat, "revision { id }")) == [(["input", "revision"], "NEEDS_TWO_REVIEWS")]
    assert user_errors(step(client, "draftBestPractice", practice_input(c, revision=revision_id), c.author)) == [(["input", "revision"], "LOCKED")]
    assert user_errors(step(client, "submitRevision", {"id": revision_id}, c.author)) == [(["input", "id"], "LOCKED")]
    assert _rows(db) == before

    # Changes requested: back with its authors, who change it and submit it again for a second round.
    reconciled = reviewed(client, c, revision_id, decision="REVISE")
    assert [d["field"] for d in reconciled["disagreements"]] == ["/decision"]
    step(client, "resolveDisagreement", {"revision": revision_id, "field": "/decision", "value": "REVISE"}, c.secretariat)
    assert user_errors(step(client, "publishRevision", {"revision": revision_id}, c.secretariat, "revision { id }")) == [(["input", "revision"], "NOT_ACCEPTED")]
    sent_back = step(client, "requestChanges", {"revision": revision_id, "message": "Cite the survey's limits."}, c.secretariat)
    assert sent_back["revision"]["state"] == "CHANGES_REQUESTED"
    changed = step(client, "draftBestPractice", practice_input(c, revision=revision_id, rationale="The survey is small."), c.author)
    assert changed["userErrors"] == [] and changed["revision"]["content"]["data"]["rationale"] == "The survey is small."
    assert step(client, "submitRevision", {"id": revision_id}, c.author)["revision"]["round"] == 2
    withdrawn = step(client, "withdrawRevision", {"id": revision_id, "reason": "Merged into another practice."}, c.author, "revision { state }")
    assert withdrawn["revision"] == {"state": "WITHDRAWN"}
    # A tombstone, still resolvable by its id.
    tombstone = graphql(client, "query ($id: ID!) { node(id: $id) { ... on Revision { state withdrawnReason } } }", {"id": revision_id}, c.author)
    assert tombstone["data"]["node"] == {"state": "WITHDRAWN", "withdrawnReason": "Merged into another practice."}
    assert _practices(client, c.author) == [{"id": gid("BestPractice", elsewhere.id), "evidenceBasis": {"code": "CONSENSUS"}, "rationale": None}]
