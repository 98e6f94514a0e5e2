"""Organisation-only assessments: seen by the assessor, the initiative's lead and partners; hidden
from everyone else in every read path and every count. Ratings rest on public evidence only, so a
hidden assessment rates nothing, for anyone."""

import pytest

from tests.factories import ALL_SCOPES, gid, graphql

READ = """
query($id: ID!, $initiative: ID!) {
  node(id: $id) { id }
  nodes(ids: [$id]) { id }
  all: evidenceAssessments { totalCount edges { node { id } } }
  victims: evidenceAssessments(filter: {outcomes: ["VICTIM-ID"]}) { totalCount edges { node { id } } }
  ofInitiative: evidenceAssessments(filter: {initiatives: [$initiative]}) { totalCount }
  initiatives(filter: {ratings: ["HARMFUL"]}) { totalCount edges { node { id } } }
  initiative(id: $initiative) { assessments { id } }
}
"""

CALLERS = [
    pytest.param("assessor", True, id="assessing-organisation"),
    pytest.param("lead", True, id="initiative-lead"),
    pytest.param("partner", True, id="initiative-partner"),
    pytest.param("third", False, id="third-organisation"),
    pytest.param("assessor-without-read-scope", False, id="assessor-without-assessments-read"),
    pytest.param("anonymous", False, id="anonymous"),
]


@pytest.mark.parametrize(("caller", "sees"), CALLERS)
def test_an_organisation_only_assessment_is_seen_by_its_assessor_lead_and_partners_only(client, make, caller: str, sees: bool) -> None:
    lead = make.organisation("lead")
    partner = make.organisation("partner")
    assessor = make.organisation("assessor", stakeholder_type="ACAD")
    third = make.organisation("third")
    initiative = make.initiative(lead, "Hotline network", partners=[(partner, "IMPLEMENTING")])
    hidden = make.assessment(initiative, assessor, "Unpublished evaluation", visibility="ORGANISATION",
                             ratings=["HARMFUL", "EMERGING"])
    public = make.assessment(initiative, assessor, "Published evaluation", ratings=["PROMISING"])
    # Another initiative rated HARMFUL in the open, so the counts are not trivially empty.
    other = make.initiative(third, "Awareness campaign")
    make.assessment(other, third, "Campaign monitoring", independence="SELF", ratings=["HARMFUL"])
    token = {
        "assessor": lambda: make.token(assessor),
        "lead": lambda: make.token(lead),
        "partner": lambda: make.token(partner),
        "third": lambda: make.token(third),
        "assessor-without-read-scope": lambda: make.token(
            assessor, [s for s in ALL_SCOPES.split() if s != "assessments:read"]
        ),
        "anonymous": lambda: None,
    }[caller]()
    hidden_id = gid("EvidenceAssessment", hidden.id)
    public_id = gid("EvidenceAssessment", public.id)
    initiative_id = gid("Initiative", initiative.id)

    data = graphql(client, READ, {"id": hidden_id, "initiative": initiative_id}, token)["data"]

    all_ids = [e["node"]["id"] for e in data["all"]["edges"]]
    victim_ids = [e["node"]["id"] for e in data["victims"]["edges"]]
    initiative_ids = [e["node"]["id"] for e in data["initiatives"]["edges"]]
    assessment_ids = [a["id"] for a in data["initiative"]["assessments"]]
    if sees:
        assert data["node"] == {"id": hidden_id} and data["nodes"] == [{"id": hidden_id}]
        assert hidden_id in all_ids and data["all"]["totalCount"] == 3
        assert victim_ids == [hidden_id] and data["victims"]["totalCount"] == 1
        assert data["ofInitiative"]["totalCount"] == 2
        assert assessment_ids == [hidden_id, public_id]
    else:
        assert data["node"] is None and data["nodes"] == [None]
        assert hidden_id not in all_ids and data["all"]["totalCount"] == 2
        assert victim_ids == [] and data["victims"]["totalCount"] == 0
        assert data["ofInitiative"]["totalCount"] == 1
        assert assessment_ids == [public_id]
    # The hidden HARMFUL finding rates nothing: only the other initiative's public one does.
    assert initiative_id not in initiative_ids and data["initiatives"]["totalCount"] == 1


def test_assessments_of_a_hidden_initiative_are_hidden(client, make) -> None:
    lead = make.organisation("lead")
    assessor = make.organisation("assessor")
    initiative = make.initiative(lead, "Internal pilot", visibility="ORGANISATION", partners=[(assessor, "EVALUATOR")])
    assessment = make.assessment(initiative, assessor, "Public write-up", independence="SELF", ratings=["HARMFUL"])
    query = """query($id: ID!) { node(id: $id) { id }
                 evidenceAssessments(filter: {outcomes: ["REMOVAL-TIME"]}) { totalCount } }"""
    variables = {"id": gid("EvidenceAssessment", assessment.id)}

    for token in (None, make.token(make.organisation("third"))):
        assert graphql(client, query, variables, token)["data"] == {
            "node": None,
            "evidenceAssessments": {"totalCount": 0},
        }
    assert graphql(client, query, variables, make.token(assessor))["data"]["evidenceAssessments"] == {
        "totalCount": 1
    }
