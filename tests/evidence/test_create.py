"""Creating an assessment: createEvidenceAssessment saves a draft; once published through review it reads
back through the initiative, `node` and the list; the independence rule; which initiatives may be assessed."""

import pytest

from api.core.db import utcnow
from tests.evidence.operations import (
    ASSESSMENT_FIELDS,
    CREATE,
    create_input,
    finding,
    initiative_updated_at,
    new_study,
    problems,
    stored_counts,
    stored_revisions,
    stored_studies,
)
from tests.factories import gid, graphql
from tests.factories.reviews import ReviewPanel


def test_create_saves_a_draft_and_once_published_reads_back_with_two_findings(client, make, db) -> None:
    inhope = make.organisation("inhope", stakeholder_type="HOTLINE")
    ucl = make.organisation("ucl", stakeholder_type="ACAD", country="GB")
    initiative = make.initiative(inhope, "Notice and take-down")
    before = initiative_updated_at(db, initiative.id)
    token = make.token(ucl)
    panel = ReviewPanel(client, make, db)
    values = create_input(
        initiative,
        newStudy=new_study(
            sampleSize=1200,
            setting="  Hotlines in 50 countries  ",
            referenceDoi="https://doi.org/10.1000/xyz-123",
            referenceUrl="https://example.org/report.pdf",
            publishedOn="2023-04-17",
            publishedPrecision="MONTH",
            countries=["fr", "DE"],
            peerReviewed=True,
            sampleKey="hotline-times-2022",
        ),
        followUp="24 months",
        limitations="No control group.\nSelf-reported times.",
        conflictsOfInterest="None declared.",
        findings=[
            finding(effectSize=-0.42, effectSizeMetric="Cohen's d", ciLow=-0.6, ciHigh=-0.2, pValue=0.01,
                    riskOfBias="SOME", followUpMonths=12, sourceScheme="CRIMESOLUTIONS",
                    sourceRating="Promising", notes="Median time to removal fell."),
            finding(outcome="RE-UPLOAD", effectDirection="MIXED", significance="NOT-TESTED",
                    comparison="PRE-POST", proposedRating="EMERGING", proposedCertainty="LOW"),
        ],
    )

    payload = graphql(client, CREATE, {"input": values}, token)["data"]["createEvidenceAssessment"]
    assert payload["userErrors"] == []
    assert payload["evidenceAssessment"] is None  # a draft: published only after review
    draft = payload["revision"]
    assert (draft["state"], draft["baseVersion"]) == ("DRAFT", None)
    assert draft["content"]["data"]["new_study"]["sample_key"] == "hotline-times-2022"
    assert [f["proposed_rating"] for f in draft["content"]["data"]["findings"]] == ["PROMISING", "EMERGING"]
    assert stored_counts(db) == (0, 0) and stored_studies(db) == 0
    assert stored_revisions(db) == [(None, "DRAFT")]
    unlisted = graphql(client, "{ evidenceAssessments { totalCount } }", token=token)["data"]
    assert unlisted["evidenceAssessments"] == {"totalCount": 0}

    created = panel.publish(token, values, ASSESSMENT_FIELDS)
    assert created["assessingOrganisation"] == {"slug": "ucl"}  # server-owned: the caller's organisation
    assert created["initiative"] == {"title": "Notice and take-down"}
    assert created["independence"] == {"code": "INDEPENDENT"}
    study = created["study"]
    assert study["studyDesign"] == {"code": "ITS"}
    assert study["organisation"] == {"slug": "ucl"}  # registered by the assessing organisation
    assert study["setting"] == "Hotlines in 50 countries"
    assert study["referenceDoi"] == "10.1000/xyz-123"  # stored without the resolver prefix
    assert (study["publishedOn"], study["publishedPrecision"]) == ("2023-04-01", "MONTH")  # the month's first day
    assert study["countries"] == [{"code": "FR"}, {"code": "DE"}]
    assert (study["peerReviewed"], study["sampleKey"], study["visibility"]) == (True, "hotline-times-2022", "PUBLIC")
    assert created["limitations"] == "No control group.\nSelf-reported times."
    assert created["visibility"] == "PUBLIC"
    assert created["findings"] == [
        {"outcome": {"code": "REMOVAL-TIME"}, "effectDirection": {"code": "POSITIVE"},
         "comparison": {"code": "UNMATCHED"},  # omitted: the strongest an interrupted time series gives
         "significance": {"code": "YES"}, "riskOfBias": {"code": "SOME"}, "effectSize": -0.42,
         "effectSizeMetric": "Cohen's d", "ciLow": -0.6, "ciHigh": -0.2, "pValue": 0.01, "followUpMonths": 12,
         "proposedRating": {"code": "PROMISING"}, "proposedCertainty": {"code": "MODERATE"},
         "sourceScheme": {"code": "CRIMESOLUTIONS"}, "sourceRating": "Promising",
         "notes": "Median time to removal fell."},
        {"outcome": {"code": "RE-UPLOAD"}, "effectDirection": {"code": "MIXED"}, "comparison": {"code": "PRE-POST"},
         "significance": {"code": "NOT-TESTED"}, "riskOfBias": None, "effectSize": None, "effectSizeMetric": None,
         "ciLow": None, "ciHigh": None, "pValue": None, "followUpMonths": None,
         "proposedRating": {"code": "EMERGING"}, "proposedCertainty": {"code": "LOW"},
         "sourceScheme": None, "sourceRating": None, "notes": None},
    ]
    assert stored_counts(db) == (1, 2)
    assert stored_studies(db) == 1
    assert initiative_updated_at(db, initiative.id) > before

    through_initiative = graphql(
        client,
        """query($id: ID!) { initiative(id: $id) {
             assessments { id study { title } assessingOrganisation { slug } findings { proposedRating { code } } } } }""",
        {"id": gid("Initiative", initiative.id)},
    )["data"]["initiative"]
    assert through_initiative == {
        "assessments": [
            {"id": created["id"], "study": {"title": "Removal times in the hotline network"},
             "assessingOrganisation": {"slug": "ucl"},
             "findings": [{"proposedRating": {"code": "PROMISING"}}, {"proposedRating": {"code": "EMERGING"}}]}
        ]
    }

    through_node = graphql(
        client,
        """query($id: ID!) { node(id: $id) { __typename ... on EvidenceAssessment {
             study { title } findings { proposedRating { code } } } } }""",
        {"id": created["id"]},
        make.token(inhope),
    )["data"]["node"]
    assert through_node == {
        "__typename": "EvidenceAssessment",
        "study": {"title": "Removal times in the hotline network"},
        "findings": [{"proposedRating": {"code": "PROMISING"}}, {"proposedRating": {"code": "EMERGING"}}],
    }

    listed = graphql(client, "{ evidenceAssessments { totalCount edges { node { id } } } }")["data"]
    assert listed["evidenceAssessments"] == {"totalCount": 1, "edges": [{"node": {"id": created["id"]}}]}


def test_an_assessment_needs_no_findings(client, make, db) -> None:
    lead = make.organisation("lead")
    initiative = make.initiative(lead)
    published = ReviewPanel(client, make, db).publish(
        make.token(lead), create_input(initiative, independence="SELF"), "findings { outcome { code } }"
    )
    assert published["findings"] == []
    assert stored_counts(db) == (1, 0)


@pytest.mark.parametrize(
    ("assessor", "refused", "accepted"),
    [("lead", "INDEPENDENT", "SELF"), ("lead", "PARTICIPANT", "SELF"), ("partner", "INDEPENDENT", "PARTICIPANT"),
     ("partner", "INDEPENDENT", "SELF")],
)
def test_lead_and_partners_are_never_independent(client, make, db, assessor: str, refused: str, accepted: str) -> None:
    lead = make.organisation("lead")
    partner = make.organisation("partner")
    initiative = make.initiative(lead, partners=[(partner, "EVALUATOR")])
    token = make.token(lead if assessor == "lead" else partner)

    answer = graphql(
        client, CREATE, {"input": create_input(initiative, independence=refused, findings=[finding()])}, token
    )["data"]["createEvidenceAssessment"]
    assert answer["evidenceAssessment"] is None
    assert problems(answer) == [(["input", "independence"], "INVALID_VALUE")]
    assert "SELF" in answer["userErrors"][0]["message"]
    assert stored_counts(db) == (0, 0)
    assert stored_revisions(db) == []
    assert stored_studies(db) == 0

    answer = graphql(client, CREATE, {"input": create_input(initiative, independence=accepted)}, token)
    assert answer["data"]["createEvidenceAssessment"]["userErrors"] == []
    assert answer["data"]["createEvidenceAssessment"]["revision"]["state"] == "DRAFT"
    assert stored_revisions(db) == [(None, "DRAFT")]
    published = ReviewPanel(client, make, db).publish(
        token, create_input(initiative, independence=accepted), "independence { code }"
    )
    assert published["independence"] == {"code": accepted}
    assert stored_counts(db) == (1, 0)


def test_an_unrelated_organisation_may_assess_as_independent(client, make, db) -> None:
    initiative = make.initiative(make.organisation("lead"), partners=[(make.organisation("partner"), "FUNDING")])
    token = make.token(make.organisation("university"))
    payload = graphql(
        client, CREATE, {"input": create_input(initiative, independence="INDEPENDENT")}, token
    )["data"]["createEvidenceAssessment"]
    assert payload["userErrors"] == []
    assert payload["revision"]["content"]["data"]["independence"] == "INDEPENDENT"
    published = ReviewPanel(client, make, db).publish(
        token, create_input(initiative, independence="INDEPENDENT"), "independence { code } assessingOrganisation { slug }"
    )
    assert published == {"independence": {"code": "INDEPENDENT"}, "assessingOrganisation": {"slug": "university"}}


def test_a_registered_study_is_coded_again_by_another_organisation(client, make, db) -> None:
    initiative = make.initiative(make.organisation("lead"))
    panel = ReviewPanel(client, make, db)
    first = panel.publish(make.token(make.organisation("university")), create_input(initiative), "study { id }")
    second = panel.publish(
        make.token(make.organisation("institute")),
        {**create_input(initiative), "newStudy": None, "study": first["study"]["id"]},
        "study { id } assessingOrganisation { slug }",
    )
    assert second["study"]["id"] == first["study"]["id"]
    assert second["assessingOrganisation"] == {"slug": "institute"}
    assert stored_studies(db) == 1 and stored_counts(db) == (2, 0)


@pytest.mark.parametrize("which", ["both", "neither", "hidden"])
def test_the_study_is_named_once_and_must_be_readable(client, make, db, which: str) -> None:
    other = make.organisation("other")
    initiative = make.initiative(make.organisation("lead"))
    hidden = make.study(other, "Internal report", visibility="ORGANISATION")
    variables = {
        "both": {"study": gid("Study", hidden.id)},
        "neither": {"newStudy": None},
        "hidden": {"newStudy": None, "study": gid("Study", hidden.id)},
    }[which]
    payload = graphql(
        client, CREATE, {"input": {**create_input(initiative), **variables}}, make.token(make.organisation("mine"))
    )["data"]["createEvidenceAssessment"]
    assert problems(payload) == [(["input", "study"], "NOT_FOUND" if which == "hidden" else "REQUIRED")]
    assert stored_counts(db) == (0, 0)
    assert stored_revisions(db) == []
    assert stored_studies(db) == 1


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
    assert stored_revisions(db) == []


def test_a_malformed_initiative_id_is_invalid_id_and_nothing_is_written(client, make, db) -> None:
    mine = make.organisation("mine")
    initiative = make.initiative(mine, "Pilot")
    payload = graphql(
        client, CREATE, {"input": {**create_input(initiative), "initiative": gid("Initiative", "abc")}}, make.token(mine)
    )["data"]["createEvidenceAssessment"]
    assert payload["evidenceAssessment"] is None
    assert problems(payload) == [(["input", "initiative"], "INVALID_ID")]
    assert stored_counts(db) == (0, 0)
    assert stored_revisions(db) == []


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
                "newStudy": {"title": " ", "studyDesign": "RCT", "referenceDoi": "doi 10/123",
                             "referenceUrl": "www.example.org", "sampleSize": -5},
                "independence": "NEUTRAL",
                "findings": [finding(), finding(proposedRating="GREAT", proposedCertainty="SURE")],
            }
        },
        make.token(make.organisation("mine")),
    )["data"]["createEvidenceAssessment"]
    assert sorted(problems(payload)) == sorted(
        [
            (["input", "initiative"], "NOT_FOUND"),
            (["input", "newStudy", "title"], "BLANK"),
            (["input", "independence"], "INVALID_CODE"),
            (["input", "newStudy", "referenceDoi"], "INVALID_VALUE"),
            (["input", "newStudy", "referenceUrl"], "INVALID_URL"),
            (["input", "newStudy", "sampleSize"], "INVALID_VALUE"),
            (["input", "findings", "1", "proposedRating"], "INVALID_CODE"),
            (["input", "findings", "1", "proposedCertainty"], "INVALID_CODE"),
        ]
    )
    assert stored_counts(db) == (0, 0)
    assert stored_revisions(db) == []
