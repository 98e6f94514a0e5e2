"""Drafts, whatever their state, are in no list, count, search hit or facet, export or rating: the answers
every reader gets, and the public and full exports, are the same before and after revisions exist in
every state (drafts of new records and of the next version of a published one, and inquiries on a
rating under review). Maps come with the
evidence-and-gap map and read published records only, as these do."""

import hashlib
from pathlib import Path

import sqlalchemy as sa

from api.exports.writer import write_export
from api.exports.entities import Scope
from tests.factories import gid, graphql
from tests.search.indexing import caught_up
from tests.webhooks.receiver import wait_for
from tests.reviews.workflow import cast, draft_input, grant_reviewers, reviewed, step

READS = """
query ($initiative: ID!) {
  initiatives { totalCount edges { node { id updatedAt } } }
  evidenceAssessments { totalCount edges { node { id limitations findings { riskOfBias { code } } } } }
  studies { totalCount edges { node { id title } } }
  outcomeRatings { totalCount edges { node { id rating { code } certainty { code } } } }
  initiative(id: $initiative) {
    assessments { id } outcomeRatings { id rating { code } inquiries { id } } versions { number }
  }
  ratingInquiries { totalCount edges { node { id } } }
  searchInitiatives(query: "", facets: [STATUS, RATINGS]) {
    totalHits hits { initiative { id } } facetDistribution { facet values { value count } }
  }
  q: searchInitiatives(query: "randomised trial take-down") { totalHits }
}
"""


def _answers(client, c, initiative) -> list[dict]:  # noqa: ANN001
    answers = []
    for reader in (None, c.author, c.outsider, c.secretariat, *c.reviewers.values()):
        body = graphql(client, READS, {"initiative": gid("Initiative", initiative.id)}, reader)
        assert "errors" not in body, body
        answers.append(body["data"])
    return answers


def _exports(engine: sa.Engine, directory: Path) -> dict[str, str]:
    digests = {}
    for scope in (Scope.PUBLIC, Scope.ALL):
        target = directory / scope.value
        write_export(engine=engine, directory=target, scope=scope, dated_by_data=True)
        for path in sorted(target.iterdir()):
            digests[f"{scope.value}/{path.name}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def test_revisions_in_every_state_change_no_answer_and_no_export(app, client, make, db, engine, tmp_path) -> None:  # noqa: ANN001
    c = cast(make, db)
    grant_reviewers(client, c)
    make.assessment(c.initiative, make.organisation("published-assessor"), ratings=["PROMISING"])
    wait_for(lambda: caught_up(app, engine), what="the search index")  # the search index has applied the published assessment
    before, exported = _answers(client, c, c.initiative), _exports(engine, tmp_path / "before")
    assert before[0]["evidenceAssessments"]["totalCount"] == 1

    def new_draft() -> str:
        return step(client, "draftEvidenceAssessment", draft_input(c.initiative), c.author)["revision"]["id"]

    new_draft()  # DRAFT
    step(client, "submitRevision", {"id": new_draft()}, c.author)  # SUBMITTED
    in_review = new_draft()
    step(client, "submitRevision", {"id": in_review}, c.author)
    step(client, "assignReviewers", {"revision": in_review}, c.secretariat)  # IN_REVIEW
    reviewed(client, c, new_draft(), riskOfBias="HIGH")  # RECONCILIATION, with a disagreement
    sent_back = new_draft()
    reviewed(client, c, sent_back, decision="REVISE")
    step(client, "resolveDisagreement", {"revision": sent_back, "field": "/decision", "value": "REVISE"}, c.secretariat)
    assert step(client, "requestChanges", {"revision": sent_back, "message": "Report the attrition."}, c.secretariat)["revision"]["state"] == "CHANGES_REQUESTED"
    withdrawn = new_draft()
    assert step(client, "withdrawRevision", {"id": withdrawn, "reason": "Duplicate."}, c.author)["revision"]["state"] == "WITHDRAWN"

    # Inquiries on the published rating, by the lead, which has a stake: drafted, submitted, in review.
    (rating,) = before[0]["initiative"]["outcomeRatings"]
    inquiry = {"rating": rating["id"], "grounds": "MISSING-STUDY", "text": "A second trial is missing."}

    def new_inquiry() -> str:
        return step(client, "draftRatingInquiry", inquiry, c.staked_reviewer)["revision"]["id"]

    new_inquiry()
    step(client, "submitRevision", {"id": new_inquiry()}, c.staked_reviewer)
    questioned = new_inquiry()
    step(client, "submitRevision", {"id": questioned}, c.staked_reviewer)
    assert step(client, "assignReviewers", {"revision": questioned}, c.secretariat)["revision"]["state"] == "IN_REVIEW"

    wait_for(lambda: caught_up(app, engine), what="the search index")
    assert _answers(client, c, c.initiative) == before
    assert _exports(engine, tmp_path / "after") == exported
