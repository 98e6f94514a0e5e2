"""withdrawBestPractice: a published practice leaves every list, search and rating at once, and stays
resolvable by id as a tombstone with its reason and its versions; a withdrawal needs a reason, and one
refused writes nothing."""

import pytest
from sqlmodel import Session, select

from api.activity.models import Activity
from api.auth.principal import Role
from tests.factories import gid, graphql
from tests.factories.reviews import ReviewPanel
from tests.practices.helpers import LIST, TOMBSTONE, WITHDRAW_PRACTICE, db_id, errors, stored

REASON = "The cited trial was retracted by its journal."
# Every way a list of practices can be narrowed to the one withdrawn, had it not been.
SEARCHES = {
    "everything": lambda c: None,
    "title words": lambda c: {"query": "notices"},
    "harm": lambda c: {"harms": ["CSAM-KNOWN"]},
    "evidence basis": lambda c: {"evidenceBasis": ["ASSESSMENTS"]},
    "proposing organisation": lambda c: {"organisations": [gid("Organisation", c["inhope"].id)]},
    "endorsing organisation": lambda c: {"endorsedBy": [gid("Organisation", c["iwf"].id)]},
}


def _trail(db: Session, practice_id: int) -> list[tuple[str, dict]]:
    with Session(db.get_bind()) as fresh:
        rows = fresh.exec(
            select(Activity).where(Activity.subject_type == "BestPractice", Activity.subject_id == practice_id)
        ).all()
        return [(row.kind, row.detail) for row in rows]


def _rated(client, practice_id: str) -> int:  # noqa: ANN001
    """How many outcome ratings of the practice the outcomeRatings query holds."""
    query = "query ($id: ID!) { outcomeRatings(filter: {bestPractices: [$id]}) { totalCount } }"
    return graphql(client, query, {"id": practice_id})["data"]["outcomeRatings"]["totalCount"]


@pytest.fixture
def published(client, make, db) -> dict:
    """INHOPE's practice, published through review, citing a rated assessment and endorsed by the IWF."""
    inhope = make.organisation("inhope")
    iwf = make.organisation("iwf")
    cited = make.assessment(make.initiative(inhope), make.organisation("university"), ratings=["PROMISING"])
    editor = make.token(inhope, user=make.member(inhope, "editor@inhope.example", Role.EDITOR))
    practice = ReviewPanel(client, make, db).publish_practice(editor, {
        "title": "Act on notices within a day", "statement": "Remove reported material within 24 hours.",
        "evidenceBasis": "ASSESSMENTS", "harms": ["CSAM-KNOWN"], "evidence": [gid("EvidenceAssessment", cited.id)],
    }, "id outcomeRatings { outcome { code } }")
    assert practice["outcomeRatings"] == [{"outcome": {"code": "REMOVAL-TIME"}}]
    endorse = "mutation ($id: ID!) { endorseBestPractice(input: {id: $id}) { userErrors { code } } }"
    assert graphql(client, endorse, {"id": practice["id"]}, make.token(iwf))["data"]["endorseBestPractice"]["userErrors"] == []
    return {"inhope": inhope, "iwf": iwf, "editor": editor, "id": practice["id"]}


def test_a_withdrawn_practice_resolves_by_id_as_a_tombstone_while_no_list_or_search_holds_it(client, make, db, published) -> None:
    for name, where in SEARCHES.items():
        body = graphql(client, LIST, {"filter": where(published)})["data"]["bestPractices"]
        assert body["totalCount"] == 1, name
    assert _rated(client, published["id"]) == 1

    payload = graphql(client, WITHDRAW_PRACTICE, {"input": {"id": published["id"], "reason": f"  {REASON} "}},
                      published["editor"])["data"]["withdrawBestPractice"]
    assert payload["userErrors"] == []
    assert payload["bestPractice"]["withdrawnReason"] == REASON and payload["bestPractice"]["withdrawnAt"]

    for reader in (None, published["editor"], make.token(published["iwf"])):
        for name, where in SEARCHES.items():
            body = graphql(client, LIST, {"filter": where(published)}, reader)["data"]["bestPractices"]
            assert (body["totalCount"], body["edges"]) == (0, []), name
        tombstone = graphql(client, TOMBSTONE, {"id": published["id"]}, reader)["data"]["node"]
        assert tombstone == {
            "id": published["id"],
            "title": "Act on notices within a day",
            "withdrawnAt": payload["bestPractice"]["withdrawnAt"],
            "withdrawnReason": REASON,
            "outcomeRatings": [],  # a tombstone rates nothing
            "versions": [{"number": 1}],
            # Its trail stays with it: the withdrawal, newest first.
            "activity": {"edges": [{"node": {"kind": "WITHDRAWN", "detail": {"reason": REASON}}}]},
        }
    assert _rated(client, published["id"]) == 0

    row, codes, cited, endorsers = stored(db, db_id(published["id"]))
    assert row.deleted_at is not None and row.withdrawn_reason == REASON
    assert codes and cited and endorsers  # kept, as history
    assert ("WITHDRAWN", {"reason": REASON}) in _trail(db, row.id)

    again = graphql(client, WITHDRAW_PRACTICE, {"input": {"id": published["id"], "reason": REASON}}, published["editor"])
    assert errors(again["data"]["withdrawBestPractice"]) == [(["input", "id"], "NOT_FOUND")]


@pytest.mark.parametrize(
    ("reason", "code"),
    [("", "BLANK"), ("  \n ", "BLANK"), ("x" * 2001, "TOO_LONG"), ("Retracted\x00", "CONTROL_CHARACTERS")],
    ids=["empty", "blank", "over-long", "control character"],
)
def test_a_withdrawal_without_a_usable_reason_is_refused_and_nothing_is_written(client, db, published, reason, code) -> None:
    before = stored(db, db_id(published["id"]))
    trail = _trail(db, before[0].id)
    payload = graphql(client, WITHDRAW_PRACTICE, {"input": {"id": published["id"], "reason": reason}},
                      published["editor"])["data"]["withdrawBestPractice"]
    assert payload["bestPractice"] is None
    assert errors(payload) == [(["input", "reason"], code)]
    after = stored(db, before[0].id)
    assert after[0].model_dump() == before[0].model_dump() and after[1:] == before[1:]
    assert after[0].deleted_at is None
    assert _trail(db, before[0].id) == trail
    assert graphql(client, LIST, {})["data"]["bestPractices"]["totalCount"] == 1


def test_a_withdrawal_with_no_reason_at_all_is_not_a_valid_request(client, db, published) -> None:
    before = stored(db, db_id(published["id"]))
    body = graphql(client, WITHDRAW_PRACTICE, {"input": {"id": published["id"]}}, published["editor"])
    assert body.get("data") is None and body["errors"]
    assert "reason" in body["errors"][0]["message"]
    assert stored(db, before[0].id)[0].model_dump() == before[0].model_dump()
