"""endorseBestPractice and withdrawEndorsement: once per organisation, readable practices only."""

import pytest
from sqlmodel import Session, select

from api.auth.principal import Role
from api.organisations.models import OrganisationStatus
from api.practices.models import Endorsement
from tests.factories import gid, graphql
from tests.practices.helpers import ENDORSE, LIST, NODE, WITHDRAW, errors, stored, titles


def test_endorse_once_then_withdraw_once(client, make, db) -> None:
    inhope = make.organisation("inhope")
    iwf = make.organisation("iwf")
    practice = make.practice(inhope)
    practice_id = gid("BestPractice", practice.id)
    token = make.token(iwf)

    endorsed = graphql(client, ENDORSE, {"input": {"id": practice_id}}, token)["data"]["endorseBestPractice"]
    assert endorsed == {"bestPractice": {"endorsementCount": 1, "endorsements": [{"organisation": {"slug": "iwf"}}]},
                        "userErrors": []}
    twice = graphql(client, ENDORSE, {"input": {"id": practice_id}}, token)["data"]["endorseBestPractice"]
    assert errors(twice) == [(["input", "id"], "DUPLICATE")]
    assert stored(db, practice.id)[3] == [iwf.id]

    withdrawn = graphql(client, WITHDRAW, {"input": {"id": practice_id}}, token)["data"]["withdrawEndorsement"]
    assert withdrawn == {"bestPractice": {"endorsementCount": 0}, "userErrors": []}
    again = graphql(client, WITHDRAW, {"input": {"id": practice_id}}, token)["data"]["withdrawEndorsement"]
    assert errors(again) == [(["input", "id"], "NOT_FOUND")]
    assert stored(db, practice.id)[3] == []


def test_the_endorser_is_recorded(client, make, db) -> None:
    inhope = make.organisation("inhope")
    iwf = make.organisation("iwf")
    editor = make.member(iwf, "editor@iwf.example", Role.EDITOR)
    practice = make.practice(inhope)
    body = graphql(client, ENDORSE, {"input": {"id": gid("BestPractice", practice.id)}}, make.token(iwf, user=editor))
    assert body["data"]["endorseBestPractice"]["userErrors"] == []
    with Session(db.get_bind()) as fresh:
        assert fresh.exec(select(Endorsement.endorsed_by)).all() == [f"user:{editor.id}"]


@pytest.mark.parametrize("document", [ENDORSE, WITHDRAW], ids=["endorse", "withdraw"])
def test_a_hidden_practice_is_not_found_like_a_missing_one(client, make, db, document) -> None:
    inhope = make.organisation("inhope")
    iwf = make.organisation("iwf")
    hidden = make.practice(inhope, visibility="ORGANISATION", endorsed_by=[iwf])
    token = make.token(iwf)
    name = "endorseBestPractice" if document is ENDORSE else "withdrawEndorsement"
    theirs = graphql(client, document, {"input": {"id": gid("BestPractice", hidden.id)}}, token)["data"][name]
    missing = graphql(client, document, {"input": {"id": gid("BestPractice", 999_999)}}, token)["data"][name]
    assert errors(theirs) == [(["input", "id"], "NOT_FOUND")]
    assert theirs["userErrors"] == missing["userErrors"]
    assert stored(db, hidden.id)[3] == [iwf.id]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CONTRIBUTOR])
def test_endorsing_needs_an_editor(client, make, db, role) -> None:
    inhope = make.organisation("inhope")
    iwf = make.organisation("iwf")
    person = make.member(iwf, "someone@iwf.example", role)
    practice = make.practice(inhope)
    body = graphql(client, ENDORSE, {"input": {"id": gid("BestPractice", practice.id)}}, make.token(iwf, user=person))
    assert errors(body["data"]["endorseBestPractice"]) == [(["input", "id"], "FORBIDDEN")]
    assert stored(db, practice.id)[3] == []


@pytest.mark.parametrize(
    ("scopes", "top_level_code"),
    [(None, "UNAUTHENTICATED"), ("practices:read", "FORBIDDEN")],
    ids=["anonymous", "without practices:write"],
)
@pytest.mark.parametrize("document", [ENDORSE, WITHDRAW], ids=["endorse", "withdraw"])
def test_callers_without_the_right_change_nothing(client, make, db, scopes, top_level_code, document) -> None:
    inhope = make.organisation("inhope")
    iwf = make.organisation("iwf")
    practice = make.practice(inhope, endorsed_by=[iwf])
    token = make.token(iwf, scopes) if scopes else None
    body = graphql(client, document, {"input": {"id": gid("BestPractice", practice.id)}}, token)
    assert [e["extensions"]["code"] for e in body["errors"]] == [top_level_code]
    assert stored(db, practice.id)[3] == [iwf.id]


def test_a_pending_organisations_endorsement_is_shown_only_to_itself(client, make, db) -> None:
    inhope = make.organisation("inhope")
    iwf = make.organisation("iwf")
    newcomer = make.organisation("newcomer", status=OrganisationStatus.PENDING)
    practice = make.practice(inhope, "Hotlines", endorsed_by=[iwf])
    practice_id = gid("BestPractice", practice.id)
    # A pending organisation may act (it can read public practices) but stays hidden until admitted.
    endorsed = graphql(client, ENDORSE, {"input": {"id": practice_id}}, make.token(newcomer))
    assert endorsed["data"]["endorseBestPractice"]["userErrors"] == []
    assert sorted(stored(db, practice.id)[3]) == sorted([iwf.id, newcomer.id])

    def seen_by(token: str | None) -> tuple[list[str], int]:
        node = graphql(client, NODE, {"id": practice_id}, token)["data"]["node"]
        return [e["organisation"]["slug"] for e in node["endorsements"]], node["endorsementCount"]

    assert seen_by(None) == (["iwf"], 1)
    assert seen_by(make.token(inhope)) == (["iwf"], 1)
    assert sorted(seen_by(make.token(newcomer))[0]) == ["iwf", "newcomer"]
    assert seen_by(make.token(newcomer))[1] == 2
    listed = graphql(client, LIST, {}, make.token(inhope))["data"]["bestPractices"]["edges"][0]["node"]
    assert listed["endorsementCount"] == 1
    # Filtering by the hidden organisation must not reveal that it endorsed anything.
    by_newcomer = {"filter": {"endorsedBy": [gid("Organisation", newcomer.id)]}}
    assert titles(graphql(client, LIST, by_newcomer, make.token(inhope))) == []
    assert titles(graphql(client, LIST, by_newcomer, make.token(newcomer))) == ["Hotlines"]
