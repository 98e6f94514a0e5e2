"""Creating an assessment: read back through the initiative, `node` and the list; the independence
rule; which initiatives may be assessed."""

import pytest

from api.core.db import utcnow
from tests.evidence.operations import (
    CREATE,
    create_input,
    finding,
    initiative_updated_at,
    problems,
    stored_counts,
)
from tests.factories import gid, graphql


def test_create_with_two_findings_and_read_back(client, make, db) -> None:
    inhope = make.organisation("inhope", stakeholder_type="HOTLINE")
    ucl = make.organisation("ucl", stakeholder_type="ACAD", country="GB")
    initiative = make.initiative(inhope, "Notice and take-down")
    before = initiative_updated_at(db, initiative.id)
    token = make.token(ucl)

    body = graphql(
        client,
        CREATE,
        {
            "input": create_input(
                initiative,
                sampleSize=1200,
                setting="  Hotlines in 50 countries  ",
                followUp="24 months",
                referenceDoi="https://doi.org/10.1000/xyz-123",
                referenceUrl="https://example.org/report.pdf",
                publishedOn="2023-04-01",
                limitations="No control group.\nSelf-reported times.",
                conflictsOfInterest="None declared.",
                findings=[
                    finding(effectSize=-0.42, effectSizeMetric="Cohen's d", sourceScheme="CRIMESOLUTIONS",
                            sourceRating="Promising", notes="Median time to removal fell."),
                    finding(outcome="RE-UPLOAD", effectDirection="MIXED", rating="EMERGING", certainty="LOW"),
                ],
            )
        },
        token,
    )

    payload = body["data"]["createEvidenceAssessment"]
    assert payload["userErrors"] == []
    created = payload["evidenceAssessment"]
    assert created["assessingOrganisation"] == {"slug": "ucl"}  # server-owned: the caller's organisation
    assert created["initiative"] == {"title": "Notice and take-down"}
    assert created["independence"] == {"code": "INDEPENDENT"}
    assert created["studyDesign"] == {"code": "ITS"}
    assert created["setting"] == "Hotlines in 50 countries"
    assert created["referenceDoi"] == "10.1000/xyz-123"  # stored without the resolver prefix
    assert created["limitations"] == "No control group.\nSelf-reported times."
    assert created["publishedOn"] == "2023-04-01"
    assert created["visibility"] == "PUBLIC"
    assert created["findings"] == [
        {"outcome": {"code": "REMOVAL-TIME"}, "effectDirection": {"code": "POSITIVE"}, "effectSize": -0.42,
         "effectSizeMetric": "Cohen's d", "rating": {"code": "PROMISING"}, "certainty": {"code": "MODERATE"},
         "sourceScheme": {"code": "CRIMESOLUTIONS"}, "sourceRating": "Promising",
         "notes": "Median time to removal fell."},
        {"outcome": {"code": "RE-UPLOAD"}, "effectDirection": {"code": "MIXED"}, "effectSize": None,
         "effectSizeMetric": None, "rating": {"code": "EMERGING"}, "certainty": {"code": "LOW"},
         "sourceScheme": None, "sourceRating": None, "notes": None},
    ]
    assert stored_counts(db) == (1, 2)
    assert initiative_updated_at(db, initiative.id) > before

    through_initiative = graphql(
        client,
        """query($id: ID!) { initiative(id: $id) {
             assessments { id title assessingOrganisation { slug } findings { rating { code } } } } }""",
        {"id": gid("Initiative", initiative.id)},
    )["data"]["initiative"]
    assert through_initiative == {
        "assessments": [
            {"id": created["id"], "title": "Removal times in the hotline network",
             "assessingOrganisation": {"slug": "ucl"},
             "findings": [{"rating": {"code": "PROMISING"}}, {"rating": {"code": "EMERGING"}}]}
        ]
    }

    through_node = graphql(
        client,
        """query($id: ID!) { node(id: $id) { __typename ... on EvidenceAssessment {
             title findings { rating { code } } } } }""",
        {"id": created["id"]},
        make.token(inhope),
    )["data"]["node"]
    assert through_node == {
        "__typename": "EvidenceAssessment",
        "title": "Removal times in the hotline network",
        "findings": [{"rating": {"code": "PROMISING"}}, {"rating": {"code": "EMERGING"}}],
    }

    listed = graphql(client, "{ evidenceAssessments { totalCount edges { node { id } } } }")["data"]
    assert listed["evidenceAssessments"] == {"totalCount": 1, "edges": [{"node": {"id": created["id"]}}]}


def test_an_assessment_needs_no_findings(client, make, db) -> None:
    lead = make.organisation("lead")
    initiative = make.initiative(lead)
    payload = graphql(
        client, CREATE, {"input": create_input(initiative, independence="SELF")}, make.token(lead)
    )["data"]["createEvidenceAssessment"]
    assert payload["userErrors"] == []
    assert payload["evidenceAssessment"]["findings"] == []
    assert stored_counts(db) == (1, 0)


@pytest.mark.parametrize("independence", ["INDEPENDENT", "PEER-REVIEWED"])
@pytest.mark.parametrize("assessor", ["lead", "partner"])
def test_lead_and_partners_can_only_assess_as_self(client, make, db, assessor: str, independence: str) -> None:
    lead = make.organisation("lead")
    partner = make.organisation("partner")
    initiative = make.initiative(lead, partners=[(partner, "EVALUATOR")])
    token = make.token(lead if assessor == "lead" else partner)

    refused = graphql(
        client, CREATE, {"input": create_input(initiative, independence=independence, findings=[finding()])}, token
    )["data"]["createEvidenceAssessment"]
    assert refused["evidenceAssessment"] is None
    assert problems(refused) == [(["input", "independence"], "INVALID_VALUE")]
    assert "SELF" in refused["userErrors"][0]["message"]
    assert stored_counts(db) == (0, 0)

    accepted = graphql(client, CREATE, {"input": create_input(initiative, independence="SELF")}, token)
    assert accepted["data"]["createEvidenceAssessment"]["userErrors"] == []
    assert stored_counts(db) == (1, 0)


def test_an_unrelated_organisation_may_assess_as_independent(client, make, db) -> None:
    initiative = make.initiative(make.organisation("lead"), partners=[(make.organisation("partner"), "FUNDING")])
    payload = graphql(
        client, CREATE, {"input": create_input(initiative, independence="PEER-REVIEWED")},
        make.token(make.organisation("university")),
    )["data"]["createEvidenceAssessment"]
    assert payload["userErrors"] == []
    assert payload["evidenceAssessment"]["independence"] == {"code": "PEER-REVIEWED"}


@pytest.mark.parametrize(
    "target",
    ["missing", "organisation-only-of-another", "deleted", "not-an-initiative-id"],
)
def test_initiatives_the_caller_cannot_read_are_not_found(client, make, db, target: str) -> None:
    mine = make.organisation("mine")
    other = make.organisation("other")
    hidden = make.initiative(other, "Internal pilot", visibility="ORGANISATION")
    deleted = make.initiative(other, "Withdrawn")
    deleted.deleted_at = utcnow()
    db.add(deleted)
    db.commit()
    initiative_id = {
        "missing": gid("Initiative", 999_999),
        "organisation-only-of-another": gid("Initiative", hidden.id),
        "deleted": gid("Initiative", deleted.id),
        "not-an-initiative-id": gid("Organisation", other.id),
    }[target]

    payload = graphql(
        client, CREATE, {"input": {**create_input(hidden), "initiative": initiative_id}}, make.token(mine)
    )["data"]["createEvidenceAssessment"]
    assert payload["evidenceAssessment"] is None
    assert problems(payload) == [(["input", "initiative"], "NOT_FOUND")]
    assert stored_counts(db) == (0, 0)


def test_a_malformed_initiative_id_is_invalid_id_and_nothing_is_written(client, make, db) -> None:
    mine = make.organisation("mine")
    initiative = make.initiative(mine, "Pilot")
    payload = graphql(
        client, CREATE, {"input": {**create_input(initiative), "initiative": gid("Initiative", "abc")}}, make.token(mine)
    )["data"]["createEvidenceAssessment"]
    assert payload["evidenceAssessment"] is None
    assert problems(payload) == [(["input", "initiative"], "INVALID_ID")]
    assert stored_counts(db) == (0, 0)


def test_a_hidden_initiative_gets_the_answer_for_a_missing_one(client, make) -> None:
    other = make.organisation("other")
    hidden = make.initiative(other, "Internal pilot", visibility="ORGANISATION")
    token = make.token(make.organisation("mine"))

    def answer(initiative_id: str) -> list[dict]:
        body = graphql(client, CREATE, {"input": {**create_input(hidden), "initiative": initiative_id}}, token)
        return body["data"]["createEvidenceAssessment"]["userErrors"]

    assert answer(gid("Initiative", hidden.id)) == answer(gid("Initiative", 999_999))


def test_every_problem_is_reported_at_once(client, make, db) -> None:
    payload = graphql(
        client,
        CREATE,
        {
            "input": {
                "initiative": gid("Initiative", 999_999),
                "title": " ",
                "independence": "NEUTRAL",
                "studyDesign": "RCT",
                "referenceDoi": "doi 10/123",
                "referenceUrl": "www.example.org",
                "sampleSize": -5,
                "findings": [finding(), finding(rating="GREAT", certainty="SURE")],
            }
        },
        make.token(make.organisation("mine")),
    )["data"]["createEvidenceAssessment"]
    assert sorted(problems(payload)) == sorted(
        [
            (["input", "initiative"], "NOT_FOUND"),
            (["input", "title"], "BLANK"),
            (["input", "independence"], "INVALID_CODE"),
            (["input", "referenceDoi"], "INVALID_VALUE"),
            (["input", "referenceUrl"], "INVALID_URL"),
            (["input", "sampleSize"], "INVALID_VALUE"),
            (["input", "findings", "1", "rating"], "INVALID_CODE"),
            (["input", "findings", "1", "certainty"], "INVALID_CODE"),
        ]
    )
    assert stored_counts(db) == (0, 0)
