"""Withdrawing a published assessment (`withdrawEvidenceAssessment`): it leaves every list, rating and
search at once, and its id still resolves, for whoever could read it, as a tombstone with when and why it
was withdrawn and its versions. A withdrawal without a reason is refused and writes nothing."""

import pytest
import sqlalchemy as sa

from api.activity.models import Activity
from tests.evidence.operations import (
    create_input,
    finding,
    initiative_updated_at,
    new_study,
    problems,
    row_id,
    stored_assessment,
)
from tests.factories import gid, graphql, mutate
from tests.factories.reviews import ReviewPanel
from tests.search.indexing import caught_up
from tests.webhooks.receiver import wait_for

WITHDRAWN = "evidenceAssessment { id withdrawnAt withdrawnReason }"
HOLDERS = """
query ($initiative: ID!, $ratings: [String!]) {
  evidenceAssessments { totalCount edges { node { id } } }
  outcomeRatings { totalCount }
  initiatives(filter: {ratings: $ratings}) { totalCount }
  initiative(id: $initiative) { assessments { id } outcomeRatings { rating { code } } }
  searchInitiatives(query: "", filter: {ratings: $ratings}) { totalHits }
}
"""
TOMBSTONE = """
query ($id: ID!) { node(id: $id) { id ... on EvidenceAssessment {
  withdrawnAt withdrawnReason limitations versions { number } study { title }
} } }
"""


def _published(client, make, db) -> tuple[object, str, str]:  # noqa: ANN001
    """A public assessment published through review in two versions: its initiative, its id, and its
    author's token."""
    initiative = make.initiative(make.organisation("lead"), status="IMPLEMENTATION")
    token = make.token(make.organisation("university"))
    panel = ReviewPanel(client, make, db)
    values = create_input(
        initiative, newStudy=new_study(title="A randomised trial of take-down notices", studyDesign="RCT"),
        findings=[finding(riskOfBias="LOW", effectSize=0.4, ciLow=0.2, ciHigh=0.6)],
    )
    assessment_id = panel.publish(token, values)["id"]
    panel.publish(token, {"limitations": "One country only."}, revision_of=assessment_id)
    return initiative, assessment_id, token


def _holders(client, initiative, ratings: list[str], token: str | None) -> dict:  # noqa: ANN001
    body = graphql(client, HOLDERS, {"initiative": gid("Initiative", initiative.id), "ratings": ratings}, token)
    assert "errors" not in body, body
    return body["data"]


def test_a_withdrawn_assessment_resolves_by_id_as_a_tombstone_and_no_list_rating_or_search_holds_it(
    app, client, make, db, engine  # noqa: ANN001
) -> None:
    initiative, assessment_id, token = _published(client, make, db)
    wait_for(lambda: caught_up(app, engine), what="the search index")
    ratings = [r["rating"]["code"] for r in _holders(client, initiative, [], None)["initiative"]["outcomeRatings"]]
    assert ratings  # the published assessment rates its outcome
    for reader in (None, token):
        held = _holders(client, initiative, ratings, reader)
        assert held["evidenceAssessments"]["edges"] == [{"node": {"id": assessment_id}}]
        assert held["outcomeRatings"]["totalCount"] == 1 and held["initiatives"]["totalCount"] == 1
        assert held["initiative"]["assessments"] == [{"id": assessment_id}]
        assert held["searchInitiatives"]["totalHits"] == 1

    payload = mutate(
        client, "withdrawEvidenceAssessment", {"id": assessment_id, "reason": "  The sample was counted twice.  "},
        token, WITHDRAWN,
    )
    assert payload["userErrors"] == []
    assert payload["evidenceAssessment"]["withdrawnAt"] is not None
    assert payload["evidenceAssessment"]["withdrawnReason"] == "The sample was counted twice."

    wait_for(lambda: caught_up(app, engine), what="the search index")
    for reader in (None, token):  # the author and an anonymous reader alike
        assert _holders(client, initiative, ratings, reader) == {
            "evidenceAssessments": {"totalCount": 0, "edges": []},
            "outcomeRatings": {"totalCount": 0},
            "initiatives": {"totalCount": 0},
            "initiative": {"assessments": [], "outcomeRatings": []},
            "searchInitiatives": {"totalHits": 0},
        }
        tombstone = graphql(client, TOMBSTONE, {"id": assessment_id}, reader)["data"]["node"]
        assert tombstone == {
            "id": assessment_id,
            "withdrawnAt": payload["evidenceAssessment"]["withdrawnAt"],
            "withdrawnReason": "The sample was counted twice.",
            "limitations": "One country only.",  # as its last version published it
            "versions": [{"number": 1}, {"number": 2}],
            "study": {"title": "A randomised trial of take-down notices"},
        }


def _activity_count(db) -> int:  # noqa: ANN001
    with db.get_bind().connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(Activity)).scalar_one()


@pytest.mark.parametrize(("reason", "code"), [("", "BLANK"), ("  \n ", "BLANK")], ids=["empty", "blank"])
def test_a_withdrawal_without_a_reason_is_refused_and_nothing_is_written(
    client, make, db, reason: str, code: str  # noqa: ANN001
) -> None:
    initiative, assessment_id, token = _published(client, make, db)
    before = (stored_assessment(db, row_id(assessment_id)), initiative_updated_at(db, initiative.id), _activity_count(db))

    payload = mutate(client, "withdrawEvidenceAssessment", {"id": assessment_id, "reason": reason}, token, WITHDRAWN)

    assert payload["evidenceAssessment"] is None
    assert problems(payload) == [(["input", "reason"], code)]
    assert (stored_assessment(db, row_id(assessment_id)), initiative_updated_at(db, initiative.id), _activity_count(db)) == before
    assert before[0][2] is None  # still published
    assert graphql(client, TOMBSTONE, {"id": assessment_id})["data"]["node"]["withdrawnAt"] is None


def test_a_withdrawal_that_omits_the_reason_is_a_schema_error_and_nothing_is_written(client, make, db) -> None:  # noqa: ANN001
    initiative, assessment_id, token = _published(client, make, db)
    before = (stored_assessment(db, row_id(assessment_id)), initiative_updated_at(db, initiative.id), _activity_count(db))

    body = graphql(
        client,
        "mutation ($input: WithdrawEvidenceAssessmentInput!) { withdrawEvidenceAssessment(input: $input) { userErrors { code } } }",
        {"input": {"id": assessment_id}},
        token,
    )

    assert body["data"] is None
    assert "reason" in body["errors"][0]["message"]
    assert (stored_assessment(db, row_id(assessment_id)), initiative_updated_at(db, initiative.id), _activity_count(db)) == before
