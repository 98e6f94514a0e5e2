"""Who may draft, revise and withdraw assessments: scope, role and the assessing organisation.
createEvidenceAssessment and updateEvidenceAssessment save drafts (published after review);
deleteEvidenceAssessment withdraws, leaving a tombstone readable by id."""

import pytest

from api.auth.principal import Role
from tests.evidence.operations import (
    ASSESSMENT_FIELDS,
    CREATE,
    DELETE,
    UPDATE,
    create_input,
    finding,
    initiative_updated_at,
    problems,
    row_id,
    stored_assessment,
    stored_counts,
    stored_revisions,
)
from tests.factories import ALL_SCOPES, gid, graphql
from tests.factories.reviews import ReviewPanel

WITHOUT_WRITE = [s for s in ALL_SCOPES.split() if s != "assessments:write"]


def _arrange(make):  # noqa: ANN001, ANN202
    """An initiative led by `lead`, assessed publicly by `assessor`."""
    lead = make.organisation("lead")
    assessor = make.organisation("assessor")
    initiative = make.initiative(lead)
    assessment = make.assessment(initiative, assessor, "Original", ratings=["PROMISING"])
    return lead, assessor, initiative, assessment


def _operations(initiative, assessment) -> list[tuple[str, str, dict]]:  # noqa: ANN001
    assessment_id = gid("EvidenceAssessment", assessment.id)
    return [
        (CREATE, "createEvidenceAssessment", {"input": create_input(initiative, findings=[finding()])}),
        (UPDATE, "updateEvidenceAssessment", {"input": {"id": assessment_id, "limitations": "Changed",
                                                        "findings": [finding(proposedRating="HARMFUL")]}}),
        (DELETE, "deleteEvidenceAssessment", {"input": {"id": assessment_id}}),
    ]


@pytest.mark.parametrize("operation", [0, 1, 2], ids=["create", "update", "delete"])
@pytest.mark.parametrize(
    ("caller", "code"), [("no-write-scope", "FORBIDDEN"), ("anonymous", "UNAUTHENTICATED")]
)
def test_without_the_scope_or_a_token_is_a_top_level_error(client, make, db, operation, caller, code) -> None:
    lead, assessor, initiative, assessment = _arrange(make)
    token = make.token(assessor, WITHOUT_WRITE) if caller == "no-write-scope" else None
    before = initiative_updated_at(db, initiative.id)
    document, name, variables = _operations(initiative, assessment)[operation]

    body = graphql(client, document, variables, token)

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]
    assert body["errors"][0]["path"] == [name]
    assert stored_counts(db) == (1, 1)
    assert stored_assessment(db, assessment.id) == ("INDEPENDENT", "PUBLIC", None, ["PROMISING"])
    assert stored_revisions(db) == []
    assert initiative_updated_at(db, initiative.id) == before


def test_a_viewer_may_not_create(client, make, db) -> None:
    assessor = make.organisation("assessor")
    initiative = make.initiative(make.organisation("lead"))
    viewer = make.member(assessor, "viewer@assessor.example", Role.VIEWER)

    payload = graphql(
        client, CREATE, {"input": create_input(initiative)}, make.token(assessor, user=viewer)
    )["data"]["createEvidenceAssessment"]

    assert problems(payload) == [(["input"], "FORBIDDEN")]
    assert stored_counts(db) == (0, 0)
    assert stored_revisions(db) == []


@pytest.mark.parametrize(
    ("operation", "reason"),
    [("update", "Only the assessing organisation can revise this assessment."),  # a draft of the next version
     ("delete", "Only the assessing organisation can change this assessment.")],
)
def test_another_organisation_that_can_read_the_assessment_is_forbidden_with_the_reason(
    client, make, db, operation: str, reason: str
) -> None:
    lead, assessor, initiative, assessment = _arrange(make)
    assessment_id = gid("EvidenceAssessment", assessment.id)
    for outsider in (lead, make.organisation("other")):
        token = make.token(outsider)
        read = graphql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": assessment_id}, token)
        assert read["data"]["node"] == {"id": assessment_id}  # public: readable, but not theirs to change

        document, name, variables = _operations(initiative, assessment)[1 if operation == "update" else 2]
        payload = graphql(client, document, variables, token)["data"][name]

        assert payload["userErrors"] == [{"field": ["input", "id"], "code": "FORBIDDEN", "message": reason}]
        assert stored_assessment(db, assessment.id) == ("INDEPENDENT", "PUBLIC", None, ["PROMISING"])
        assert stored_revisions(db) == []


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_another_organisation_that_cannot_read_the_assessment_gets_what_a_missing_one_gets(
    client, make, db, operation: str
) -> None:
    lead, assessor, initiative, _ = _arrange(make)
    hidden = make.assessment(initiative, assessor, "Original", visibility="ORGANISATION", ratings=["PROMISING"])
    token = make.token(make.organisation("other"))
    document, name, variables = _operations(initiative, hidden)[1 if operation == "update" else 2]

    theirs = graphql(client, document, variables, token)
    missing = graphql(client, document, {"input": {**variables["input"], "id": gid("EvidenceAssessment", 999)}}, token)

    assert theirs == missing
    assert problems(theirs["data"][name]) == [(["input", "id"], "NOT_FOUND")]
    assert stored_assessment(db, hidden.id) == ("INDEPENDENT", "ORGANISATION", None, ["PROMISING"])
    assert stored_revisions(db) == []


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_ids_of_other_types_are_not_found(client, make, db, operation: str) -> None:
    lead, assessor, initiative, assessment = _arrange(make)
    document, name, _ = _operations(initiative, assessment)[1 if operation == "update" else 2]
    payload = graphql(
        client, document, {"input": {"id": gid("Initiative", initiative.id)}}, make.token(assessor)
    )["data"][name]
    assert problems(payload) == [(["input", "id"], "NOT_FOUND")]
    assert stored_assessment(db, assessment.id) == ("INDEPENDENT", "PUBLIC", None, ["PROMISING"])
    assert stored_revisions(db) == []


def test_the_assessing_organisation_drafts_the_next_version_and_its_findings_replace_the_published_ones(
    client, make, db
) -> None:
    lead, assessor, initiative, assessment = _arrange(make)
    assessment_id = gid("EvidenceAssessment", assessment.id)
    before = initiative_updated_at(db, initiative.id)
    token = make.token(assessor)
    changes = {"limitations": "Revised", "visibility": "MEMBERS",
               "findings": [finding(proposedRating="NO-EFFECT"), finding(outcome="WELLBEING", proposedRating="HARMFUL")]}

    payload = graphql(client, UPDATE, {"input": {"id": assessment_id, **changes}}, token)["data"]["updateEvidenceAssessment"]

    assert payload["userErrors"] == []
    assert payload["evidenceAssessment"] is None  # the published record is unchanged until the draft is published
    draft = payload["revision"]["content"]["data"]
    assert (draft["limitations"], draft["visibility"]) == ("Revised", "MEMBERS")
    assert draft["independence"] == "INDEPENDENT"  # omitted: as published
    assert [f["proposed_rating"] for f in draft["findings"]] == ["NO-EFFECT", "HARMFUL"]
    assert stored_revisions(db) == [(assessment.id, "DRAFT")]
    assert stored_assessment(db, assessment.id) == ("INDEPENDENT", "PUBLIC", None, ["PROMISING"])
    assert initiative_updated_at(db, initiative.id) == before

    updated = ReviewPanel(client, make, db).publish(token, changes, ASSESSMENT_FIELDS, revision_of=assessment_id)
    assert (updated["limitations"], updated["visibility"]) == ("Revised", "MEMBERS")
    assert updated["independence"] == {"code": "INDEPENDENT"}  # omitted: unchanged
    assert [f["proposedRating"]["code"] for f in updated["findings"]] == ["NO-EFFECT", "HARMFUL"]
    assert stored_assessment(db, assessment.id) == ("INDEPENDENT", "MEMBERS", None, ["NO-EFFECT", "HARMFUL"])
    assert stored_counts(db) == (1, 2)
    assert initiative_updated_at(db, initiative.id) > before

    kept = graphql(
        client, UPDATE, {"input": {"id": assessment_id, "followUp": "12 months"}}, token
    )["data"]["updateEvidenceAssessment"]["revision"]["content"]["data"]
    assert kept["follow_up"] == "12 months"
    assert [f["proposed_rating"] for f in kept["findings"]] == ["NO-EFFECT", "HARMFUL"]  # findings omitted: kept


def test_a_refused_update_changes_nothing(client, make, db) -> None:
    lead, assessor, initiative, assessment = _arrange(make)
    before = initiative_updated_at(db, initiative.id)
    payload = graphql(
        client,
        UPDATE,
        {"input": {"id": gid("EvidenceAssessment", assessment.id), "limitations": "Revised",
                   "findings": [finding(proposedRating="NO-EFFECT"), finding(proposedCertainty="CERTAIN")]}},
        make.token(assessor),
    )["data"]["updateEvidenceAssessment"]
    assert problems(payload) == [(["input", "findings", "1", "proposedCertainty"], "INVALID_CODE")]
    assert stored_assessment(db, assessment.id) == ("INDEPENDENT", "PUBLIC", None, ["PROMISING"])
    assert stored_revisions(db) == []
    assert initiative_updated_at(db, initiative.id) == before


def test_the_independence_rule_holds_on_update(client, make, db) -> None:
    lead = make.organisation("lead")
    initiative = make.initiative(lead)
    own = make.assessment(initiative, lead, "Own monitoring", independence="SELF")
    payload = graphql(
        client, UPDATE, {"input": {"id": gid("EvidenceAssessment", own.id), "independence": "INDEPENDENT"}},
        make.token(lead),
    )["data"]["updateEvidenceAssessment"]
    assert problems(payload) == [(["input", "independence"], "INVALID_VALUE")]
    assert stored_revisions(db) == []


def test_contributors_revise_only_their_own_and_editors_delete(client, make, db) -> None:
    initiative = make.initiative(make.organisation("lead"))
    assessor = make.organisation("assessor")
    alice = make.member(assessor, "alice@assessor.example", Role.CONTRIBUTOR)
    bob = make.member(assessor, "bob@assessor.example", Role.CONTRIBUTOR)
    editor = make.member(assessor, "erin@assessor.example", Role.EDITOR)
    created = ReviewPanel(client, make, db).publish(make.token(assessor, user=alice), create_input(initiative))

    def call(document: str, name: str, user, **fields: object) -> dict:  # noqa: ANN001
        token = make.token(assessor, user=user)
        return graphql(client, document, {"input": {"id": created["id"], **fields}}, token)["data"][name]

    drafts = stored_revisions(db)
    assert problems(call(UPDATE, "updateEvidenceAssessment", bob, limitations="Bob's")) == [(["input", "id"], "FORBIDDEN")]
    assert stored_revisions(db) == drafts
    assert call(UPDATE, "updateEvidenceAssessment", alice, limitations="Alice's")["userErrors"] == []
    assert stored_revisions(db)[len(drafts):] == [(row_id(created["id"]), "DRAFT")]
    assert problems(call(DELETE, "deleteEvidenceAssessment", alice)) == [(["input", "id"], "FORBIDDEN")]
    assert stored_counts(db) == (1, 0)
    assert stored_assessment(db, row_id(created["id"]))[2] is None  # not withdrawn
    deleted = call(DELETE, "deleteEvidenceAssessment", editor)
    assert deleted == {"deletedId": created["id"], "userErrors": []}
    assert stored_assessment(db, row_id(created["id"]))[2] is not None


def test_delete_withdraws_the_assessment_from_everywhere_but_its_id(client, make, db) -> None:
    lead, assessor, initiative, assessment = _arrange(make)
    assessment_id = gid("EvidenceAssessment", assessment.id)
    before = initiative_updated_at(db, initiative.id)

    payload = graphql(client, DELETE, {"input": {"id": assessment_id}}, make.token(assessor))
    assert payload["data"]["deleteEvidenceAssessment"] == {"deletedId": assessment_id, "userErrors": []}

    independence, _, deleted_at, ratings = stored_assessment(db, assessment.id)
    assert (independence, ratings) == ("INDEPENDENT", ["PROMISING"]) and deleted_at is not None
    assert initiative_updated_at(db, initiative.id) > before
    token = make.token(assessor)
    read = graphql(
        client,
        """query($id: ID!, $initiative: ID!) {
             node(id: $id) { id ... on EvidenceAssessment { withdrawnAt withdrawnReason } }
             evidenceAssessments(filter: {outcomes: ["REMOVAL-TIME"]}) { totalCount }
             initiatives(filter: {ratings: ["PROMISING"]}) { totalCount }
             initiative(id: $initiative) { assessments { id } } }""",
        {"id": assessment_id, "initiative": gid("Initiative", initiative.id)},
        token,
    )["data"]
    tombstone = read.pop("node")
    assert tombstone["withdrawnAt"] is not None  # resolvable by id, as a tombstone with a generic reason
    assert (tombstone["id"], tombstone["withdrawnReason"]) == (assessment_id, "Withdrawn by its assessing organisation.")
    assert read == {
        "evidenceAssessments": {"totalCount": 0},
        "initiatives": {"totalCount": 0},
        "initiative": {"assessments": []},
    }
    again = graphql(client, DELETE, {"input": {"id": assessment_id}}, token)["data"]["deleteEvidenceAssessment"]
    assert problems(again) == [(["input", "id"], "NOT_FOUND")]
