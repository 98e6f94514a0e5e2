"""Writing to another organisation's record: one the caller may read answers FORBIDDEN saying what
is missing; one it may not read answers exactly as a missing id does. Neither changes anything."""

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, select

from api.auth.principal import Role
from api.initiatives.models import Participation
from api.organisations.models import Organisation, OrganisationStatus
from tests.factories import ALL_SCOPES, gid, graphql

TABLES = ("organisation", "membership", "initiative", "initiative_classification", "participation",
          "evidence_assessment", "finding", "best_practice", "practice_classification", "practice_evidence",
          "endorsement", "revision")


def _snapshot(db) -> dict[str, list[dict]]:  # noqa: ANN001
    """Every row of the tables a write could touch, read on a fresh connection."""
    db.expire_all()
    with db.get_bind().connect() as connection:
        return {
            name: [dict(row._mapping) for row in connection.execute(
                sa.select(table).order_by(*table.primary_key.columns))]
            for name, table in ((n, SQLModel.metadata.tables[n]) for n in TABLES)
        }


@dataclass(frozen=True)
class Write:
    """A mutation on one record: its name, input type, the input field naming the record, the other
    input fields, and its own refusal reason where it differs from the record kind's."""

    name: str
    input_type: str
    id_field: str = "id"
    extra: tuple[tuple[str, object], ...] = ()
    reason: str | None = None

    def send(self, client, record_id: str, token: str) -> dict:  # noqa: ANN001
        query = (f"mutation($input: {self.input_type}!) {{ {self.name}(input: $input) "
                 "{ userErrors { field code message } } }")
        return graphql(client, query, {"input": {self.id_field: record_id, **dict(self.extra)}}, token)


@dataclass
class Records:
    """Two of bravo's records of one kind, one alpha may read and one it may not, and why alpha is
    refused the readable one."""

    type_name: str
    public: int
    hidden: int
    reason: str


@pytest.fixture
def bravo_records(make, db) -> dict[str, Records]:  # noqa: ANN001
    alpha = make.organisation("alpha")
    bravo = make.organisation("bravo")
    make.organisation("charlie")
    public = make.initiative(bravo, "Bravo public", partners=[(alpha, "FUNDING")])
    hidden = make.initiative(bravo, "Bravo private", visibility="ORGANISATION",
                             partners=[(make.organisation("delta"), "FUNDING")])
    participation = {
        initiative.id: db.exec(select(Participation.id).where(Participation.initiative_id == initiative.id)).one()
        for initiative in (public, hidden)
    }
    pending = make.organisation("pending", status=OrganisationStatus.PENDING)
    initiative_reason = "Only the lead organisation can change this initiative."
    return {
        "alpha": alpha,
        "initiative": Records("Initiative", public.id, hidden.id, initiative_reason),
        "participation": Records("Participation", participation[public.id], participation[hidden.id],
                                 initiative_reason),
        "assessment": Records(
            "EvidenceAssessment",
            make.assessment(public, bravo, "Bravo's public reading").id,
            make.assessment(hidden, bravo, "Bravo's own reading", visibility="ORGANISATION").id,
            "Only the assessing organisation can change this assessment.",
        ),
        "practice": Records(
            "BestPractice",
            make.practice(bravo, "Public practice").id,
            make.practice(bravo, "Members' practice", visibility="ORGANISATION").id,
            "Only the proposing organisation can change this practice.",
        ),
        "organisation": Records(
            "Organisation", bravo.id, pending.id,
            "Only the organisation's own administrators and the Lab's secretariat can change this organisation.",
        ),
    }


WRITES = [
    ("initiative", Write("updateInitiative", "UpdateInitiativeInput", extra=(("title", "Taken over"),))),
    ("initiative", Write("deleteInitiative", "DeleteInitiativeInput")),
    ("initiative", Write("addParticipation", "AddParticipationInput", "initiative",
                         (("organisation", None), ("role", "FUNDING")))),
    ("participation", Write("removeParticipation", "RemoveParticipationInput")),
    # Now a draft of the next version (published after review): only the assessing organisation revises.
    ("assessment", Write("updateEvidenceAssessment", "UpdateEvidenceAssessmentInput", extra=(("limitations", "Taken"),),
                         reason="Only the assessing organisation can revise this assessment.")),
    ("assessment", Write("deleteEvidenceAssessment", "DeleteEvidenceAssessmentInput")),
    ("practice", Write("updateBestPractice", "UpdateBestPracticeInput", extra=(("title", "Taken over"),),
                       reason="Only the proposing organisation can revise this practice.")),
    ("practice", Write("deleteBestPractice", "BestPracticeIdInput")),
    ("practice", Write("withdrawBestPractice", "WithdrawBestPracticeInput", extra=(("reason", "Taken down"),))),
    ("organisation", Write("updateOrganisation", "UpdateOrganisationInput", extra=(("name", "Pwned"),))),
]


def _charlie_id(db) -> int:  # noqa: ANN001
    return db.exec(select(Organisation.id).where(Organisation.slug == "charlie")).one()


def _with_partner(write: Write, db) -> Write:  # noqa: ANN001
    if write.name != "addParticipation":
        return write
    extra = dict(write.extra) | {"organisation": gid("Organisation", _charlie_id(db))}
    return Write(write.name, write.input_type, write.id_field, tuple(extra.items()), write.reason)


@pytest.mark.parametrize(("kind", "write"), WRITES, ids=[w.name for _, w in WRITES])
def test_a_readable_record_of_another_organisation_is_forbidden_with_the_reason(
    client, make, db, bravo_records, kind: str, write: Write  # noqa: ANN001
) -> None:
    records = bravo_records[kind]
    write = _with_partner(write, db)
    token = make.token(bravo_records["alpha"], user=make.member(bravo_records["alpha"], "a@alpha.example", Role.ADMIN))
    before = _snapshot(db)

    body = write.send(client, gid(records.type_name, records.public), token)

    assert body == {"data": {write.name: {"userErrors": [
        {"field": ["input", write.id_field], "code": "FORBIDDEN", "message": write.reason or records.reason}]}}}
    assert _snapshot(db) == before


@pytest.mark.parametrize(("kind", "write"), WRITES, ids=[w.name for _, w in WRITES])
def test_a_hidden_record_of_another_organisation_answers_exactly_like_a_missing_one(
    client, make, db, bravo_records, kind: str, write: Write  # noqa: ANN001
) -> None:
    records = bravo_records[kind]
    write = _with_partner(write, db)
    token = make.token(bravo_records["alpha"], user=make.member(bravo_records["alpha"], "a@alpha.example", Role.ADMIN))
    before = _snapshot(db)

    hidden = write.send(client, gid(records.type_name, records.hidden), token)
    missing = write.send(client, gid(records.type_name, 999_999), token)

    assert hidden == missing
    assert [e["code"] for e in hidden["data"][write.name]["userErrors"]] == ["NOT_FOUND"]
    assert _snapshot(db) == before


def test_a_role_too_low_for_a_readable_record_says_which_role_is_needed(client, make, db) -> None:  # noqa: ANN001
    bravo = make.organisation("bravo")
    initiative = make.initiative(bravo, "Bravo public")
    contributor = make.member(bravo, "c@bravo.example", Role.CONTRIBUTOR)
    before = _snapshot(db)

    body = Write("updateInitiative", "UpdateInitiativeInput", extra=(("title", "Mine now"),)).send(
        client, gid("Initiative", initiative.id), make.token(bravo, user=contributor))

    assert body["data"]["updateInitiative"]["userErrors"] == [{
        "field": ["input", "id"], "code": "FORBIDDEN",
        "message": "This needs the editor role in your organisation; contributors change only the initiatives "
                   "they created.",
    }]
    assert _snapshot(db) == before


@pytest.mark.parametrize(
    ("scopes", "role", "reason"),
    [
        (ALL_SCOPES, Role.EDITOR, "This needs the admin role in your organisation."),
        (" ".join(s for s in ALL_SCOPES.split() if s != "org:admin"), Role.ADMIN,
         "The access token lacks the scope org:admin."),
    ],
    ids=["role", "scope"],
)
def test_changing_ones_own_organisation_without_the_right_says_what_is_missing(
    client, make, db, scopes: str, role: Role, reason: str  # noqa: ANN001
) -> None:
    bravo = make.organisation("bravo")
    person = make.member(bravo, "p@bravo.example", role)
    before = _snapshot(db)

    body = Write("updateOrganisation", "UpdateOrganisationInput", extra=(("name", "Renamed"),)).send(
        client, gid("Organisation", bravo.id), make.token(bravo, scopes, user=person))

    assert body["data"]["updateOrganisation"]["userErrors"] == [
        {"field": ["input", "id"], "code": "FORBIDDEN", "message": reason}]
    assert _snapshot(db) == before
