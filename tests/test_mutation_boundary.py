"""The mutation boundary: scope first, then input; conflicts become userErrors; nothing half-written."""

import pytest
from sqlmodel import func, select

from api.evidence.models import EvidenceAssessment
from tests.factories import gid, graphql

UPDATE = """mutation($id: ID!) { updateInitiative(input: {id: $id, title: "x"}) { userErrors { field code } } }"""


@pytest.mark.parametrize("scopes, code", [(None, "UNAUTHENTICATED"), ("initiatives:read", "FORBIDDEN")])
def test_the_scope_is_checked_before_any_input_is_read(client, make, scopes, code) -> None:
    organisation = make.organisation("inhope")
    token = make.token(organisation, scopes) if scopes else None
    # A global id of the wrong type would be NOT_FOUND; the missing scope must win.
    body = graphql(client, UPDATE, {"id": gid("Organisation", organisation.id)}, token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code


def test_a_nul_in_a_vocabulary_code_is_an_unknown_code(client, make, db) -> None:
    organisation = make.organisation("inhope")
    initiative = make.initiative(organisation)
    body = graphql(
        client,
        """mutation($input: CreateEvidenceAssessmentInput!) { createEvidenceAssessment(input: $input) {
             evidenceAssessment { id } userErrors { field code } } }""",
        {"input": {"initiative": gid("Initiative", initiative.id), "title": "Study", "independence": "SELF",
                   "studyDesign": "CASE\x00"}},
        make.token(organisation),
    )
    assert body["data"]["createEvidenceAssessment"]["userErrors"] == [
        {"field": ["input", "studyDesign"], "code": "INVALID_CODE"}
    ]
    db.rollback()
    assert db.exec(select(func.count()).select_from(EvidenceAssessment)).one() == 0


def test_a_constraint_caught_at_commit_is_a_conflict_and_nothing_is_written(client, make, db, monkeypatch) -> None:
    from api.organisations import service
    from api.organisations.models import Organisation

    lab = make.organisation("lab", secretariat=True)
    make.organisation("iwf")

    async def never_taken(*args, **kwargs) -> bool:  # noqa: ANN002, ANN003
        return False  # as if a concurrent request had not committed yet when the check ran

    monkeypatch.setattr(service, "_slug_taken", never_taken)
    body = graphql(
        client,
        """mutation { createOrganisation(input: {slug: "iwf", name: "Another", stakeholderType: "NGO"}) {
             organisation { id } userErrors { field code } } }""",
        token=make.token(lab, "lab:admin"),
    )
    assert body["data"]["createOrganisation"] == {"organisation": None, "userErrors": [{"field": ["input"], "code": "CONFLICT"}]}
    db.rollback()
    assert [o.name for o in db.exec(select(Organisation).where(Organisation.slug == "iwf"))] == ["Iwf"]
