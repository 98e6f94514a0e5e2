"""Outcome ratings through GraphQL: computed from the public evidence by the published rule set whenever
it changes, with the findings they weighed, the certainty trace and the history; a contributor's claim
stays a proposal. Assessments reach the ratings only when published after review; a draft rates nothing."""

from tests.evidence.operations import ASSESSMENT_FIELDS, CREATE, DELETE, UPDATE, create_input, finding, new_study
from tests.factories import gid, graphql
from tests.factories.reviews import ReviewPanel

RATINGS = """
query($id: ID!) { initiative(id: $id) { outcomeRatings {
  id outcome { code } rating { code } certainty { code } extent sustained independentlyReplicated selfEvaluatedOnly
  rulesetVersion ruleId
  contributions { findingId counted reason explanation finding { proposedRating { code } } }
  certaintyTrace { domain change level { code } explanation }
  history { rating { code } certainty { code } reason rulesetVersion }
} } }
"""


def _ratings(client, initiative, token=None) -> dict[str, dict]:  # noqa: ANN001
    body = graphql(client, RATINGS, {"id": gid("Initiative", initiative.id)}, token)
    return {r["outcome"]["code"]: r for r in body["data"]["initiative"]["outcomeRatings"]}


def _create(client, panel, token, initiative, **fields) -> dict:  # noqa: ANN001, ANN003
    """Draft the assessment with createEvidenceAssessment (which rates nothing yet), then publish it through
    review: the published assessment."""
    before = _ratings(client, initiative)
    payload = graphql(client, CREATE, {"input": create_input(initiative, **fields)}, token)["data"]
    assert payload["createEvidenceAssessment"]["userErrors"] == []
    assert payload["createEvidenceAssessment"]["revision"]["state"] == "DRAFT"
    assert _ratings(client, initiative) == before
    return panel.publish(token, create_input(initiative, **fields), ASSESSMENT_FIELDS)


def test_a_self_reported_negative_monitoring_claim_stays_a_proposal_and_rates_nothing(client, make, db) -> None:
    """The probe: CASE monitoring data, assessed by the lead, pointing the wrong way, claimed EFFECTIVE/HIGH."""
    panel = ReviewPanel(client, make, db)
    lead = make.organisation("lead")
    initiative = make.initiative(lead, status="IMPLEMENTATION")
    created = _create(
        client, panel, make.token(lead), initiative, independence="SELF", newStudy=new_study(studyDesign="CASE"),
        findings=[finding(outcome="RE-UPLOAD", effectDirection="NEGATIVE", significance="NOT-TESTED",
                          proposedRating="EFFECTIVE", proposedCertainty="HIGH")],
    )
    assert created["findings"][0]["proposedRating"] == {"code": "EFFECTIVE"}  # kept, as a claim
    assert created["findings"][0]["proposedCertainty"] == {"code": "HIGH"}

    rating = _ratings(client, initiative)["RE-UPLOAD"]
    assert rating["rating"] == {"code": "PIONEERING"}  # no evidence of an effect; the initiative is under way
    assert rating["certainty"] == {"code": "NOT-ASSESSED"}
    assert rating["extent"] == "NONE"
    (contribution,) = rating["contributions"]
    assert (contribution["counted"], contribution["reason"]) == (False, "DESCRIPTIVE-DESIGN")
    assert contribution["explanation"]
    assert contribution["finding"] == {"proposedRating": {"code": "EFFECTIVE"}}
    assert rating["history"] == [
        {"rating": {"code": "PIONEERING"}, "certainty": {"code": "NOT-ASSESSED"}, "reason": "NEW-EVIDENCE",
         "rulesetVersion": rating["rulesetVersion"]}
    ]


def test_ratings_follow_the_evidence_and_keep_their_history(client, make, db) -> None:
    panel = ReviewPanel(client, make, db)
    lead = make.organisation("lead")
    university, institute = make.organisation("university"), make.organisation("institute")
    initiative = make.initiative(lead)
    significant = finding(outcome="VICTIM-ID", effectSize=0.4, ciLow=0.2, ciHigh=0.6, riskOfBias="LOW")

    first = _create(client, panel, make.token(university), initiative, newStudy=new_study(studyDesign="DID"),
                    findings=[significant])
    rating = _ratings(client, initiative)["VICTIM-ID"]
    assert (rating["rating"]["code"], rating["extent"], rating["ruleId"]) == ("PROMISING", "SINGLE", "PROMISING")
    assert rating["contributions"][0]["counted"] is True
    assert rating["certaintyTrace"][0]["domain"] == "START"
    assert rating["certaintyTrace"][0]["change"] == 0

    # A second independent sample at SMS 3 or above: the body of evidence is now EFFECTIVE.
    _create(client, panel, make.token(institute), initiative, newStudy=new_study(title="Replication", studyDesign="PSM"),
            findings=[significant])
    rating = _ratings(client, initiative)["VICTIM-ID"]
    assert (rating["rating"]["code"], rating["extent"], rating["independentlyReplicated"]) == (
        "EFFECTIVE", "MULTIPLE", True,
    )

    # A correction of the first: its effect was not significant after all. Drafted, it changes nothing yet;
    # published as the next version, it moves the rating.
    correction = {"findings": [finding(outcome="VICTIM-ID", significance="NO", riskOfBias="LOW")]}
    drafted = graphql(
        client, UPDATE, {"input": {"id": first["id"], **correction}}, make.token(university)
    )["data"]["updateEvidenceAssessment"]
    assert drafted["userErrors"] == [] and drafted["revision"]["state"] == "DRAFT"
    assert _ratings(client, initiative)["VICTIM-ID"]["rating"] == {"code": "EFFECTIVE"}
    panel.publish(make.token(university), correction, revision_of=first["id"])
    assert _ratings(client, initiative)["VICTIM-ID"]["rating"] == {"code": "PROMISING"}

    deleted = graphql(client, DELETE, {"input": {"id": first["id"]}}, make.token(university))
    assert deleted["data"]["deleteEvidenceAssessment"]["userErrors"] == []
    rating = _ratings(client, initiative)["VICTIM-ID"]
    assert [(h["rating"]["code"], h["reason"]) for h in rating["history"]] == [
        ("PROMISING", "NEW-EVIDENCE"),
        ("EFFECTIVE", "NEW-EVIDENCE"),
        ("PROMISING", "CORRECTION"),
        ("PROMISING", "WITHDRAWAL"),  # the same rating, now resting on one sample: a lower certainty
    ]
    assert rating["history"][-1]["certainty"] != rating["history"][-2]["certainty"]
    assert [c["counted"] for c in rating["contributions"]] == [True]


def test_only_self_evaluated_studies_never_make_effective(client, make, db) -> None:
    panel = ReviewPanel(client, make, db)
    lead = make.organisation("lead")
    initiative = make.initiative(lead)
    randomised = finding(outcome="HELP-SEEKING", riskOfBias="LOW", effectSize=0.5, ciLow=0.3, ciHigh=0.7)
    _create(client, panel, make.token(lead), initiative, independence="SELF", newStudy=new_study(studyDesign="RCT"),
            findings=[randomised])

    rating = _ratings(client, initiative)["HELP-SEEKING"]
    assert (rating["rating"]["code"], rating["selfEvaluatedOnly"]) == ("PROMISING", True)
    assert any(step["domain"] == "SELF-EVALUATION" and step["change"] < 0 for step in rating["certaintyTrace"])


def test_non_public_evidence_rates_nothing_for_anyone(client, make, db) -> None:
    panel = ReviewPanel(client, make, db)
    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    initiative = make.initiative(lead)
    _create(client, panel, make.token(assessor), initiative, visibility="ORGANISATION",
            newStudy=new_study(studyDesign="RCT", visibility="ORGANISATION"),
            findings=[finding(outcome="WELLBEING", riskOfBias="LOW")])

    for token in (None, make.token(assessor), make.token(lead)):
        assert _ratings(client, initiative, token) == {}
        count = graphql(client, '{ outcomeRatings { totalCount } initiatives(filter: {ratings: ["EFFECTIVE"]}) { totalCount } }',
                        token=token)["data"]
        assert count == {"outcomeRatings": {"totalCount": 0}, "initiatives": {"totalCount": 0}}


def test_a_rating_of_a_hidden_initiative_is_missing_for_those_who_cannot_read_it(client, make) -> None:
    lead = make.organisation("lead")
    initiative = make.initiative(lead, visibility="ORGANISATION")
    make.assessment(initiative, make.organisation("assessor"), ratings=["PROMISING"])
    query = "query($ids: [ID!]) { outcomeRatings(filter: {initiatives: $ids}) { totalCount edges { node { id } } } }"
    variables = {"ids": [gid("Initiative", initiative.id)]}

    mine = graphql(client, query, variables, make.token(lead))["data"]["outcomeRatings"]
    assert mine["totalCount"] == 1
    rating_id = mine["edges"][0]["node"]["id"]
    for token in (None, make.token(make.organisation("other"))):
        assert graphql(client, query, variables, token)["data"]["outcomeRatings"] == {"totalCount": 0, "edges": []}
        node = graphql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": rating_id}, token)
        missing = graphql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": gid("OutcomeRating", 99_999)}, token)
        assert node == missing


def test_a_status_change_is_recorded_when_it_moves_a_rating(client, make, db) -> None:
    panel = ReviewPanel(client, make, db)
    lead = make.organisation("lead")
    initiative = make.initiative(lead, status="IMPLEMENTATION")
    _create(client, panel, make.token(lead), initiative, independence="SELF", newStudy=new_study(studyDesign="CASE"),
            findings=[finding(outcome="REMOVAL-TIME", significance="NOT-TESTED")])
    assert _ratings(client, initiative)["REMOVAL-TIME"]["rating"] == {"code": "PIONEERING"}

    updated = graphql(
        client, "mutation($input: UpdateInitiativeInput!) { updateInitiative(input: $input) { userErrors { code } } }",
        {"input": {"id": gid("Initiative", initiative.id), "status": "CLOSED"}}, make.token(lead),
    )["data"]["updateInitiative"]
    assert updated["userErrors"] == []
    rating = _ratings(client, initiative)["REMOVAL-TIME"]
    assert rating["rating"] == {"code": "NOT-RATED"}
    assert [h["reason"] for h in rating["history"]] == ["NEW-EVIDENCE", "SUBJECT"]


def test_a_best_practice_is_rated_on_the_public_evidence_it_cites(client, make, db) -> None:
    inhope = make.organisation("inhope")
    cited = make.assessment(make.initiative(inhope), make.organisation("university"), ratings=["PROMISING"])
    published = ReviewPanel(client, make, db).publish_practice(
        make.token(inhope),
        {"title": "Hash matching", "statement": "Match known images.", "evidenceBasis": "ASSESSMENTS",
         "evidence": [gid("EvidenceAssessment", cited.id)]},
        "outcomeRatings { outcome { code } rating { code } }",
    )
    assert published["outcomeRatings"] == [{"outcome": {"code": "REMOVAL-TIME"}, "rating": {"code": "PROMISING"}}]
