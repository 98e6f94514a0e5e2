"""updateBestPractice (deprecated: it saves a draft of the next version, published after review) and
deleteBestPractice (deprecated: it withdraws with a generic reason): only the proposing organisation, lists
replaced, a withdrawn practice a tombstone."""

from dataclasses import fields

import pytest

from api.auth.principal import Role
from api.practices import service
from api.practices.mutations import CreateBestPracticeInput, UpdateBestPracticeInput
from tests.factories import gid, graphql
from tests.factories.reviews import ReviewPanel
from tests.practices.helpers import (
    DELETE,
    LIST,
    TOMBSTONE,
    UPDATE,
    WITHDRAW_PRACTICE,
    errors,
    revision_count,
    stored,
    titles,
)

WITHDRAW = "withdrawBestPractice"
# The writes of a published practice by its organisation, with what each needs beside the id, and what
# each answers another organisation.
WRITES = [
    (UPDATE, "updateBestPractice", {"title": "Hijacked"}, "Only the proposing organisation can revise this practice."),
    (DELETE, "deleteBestPractice", {}, "Only the proposing organisation can change this practice."),
    (WITHDRAW_PRACTICE, WITHDRAW, {"reason": "Superseded."}, "Only the proposing organisation can change this practice."),
]
WRITE_IDS = ["update", "delete", "withdraw"]


@pytest.fixture
def arranged(make, db) -> dict:
    """INHOPE's practice citing one assessment, and the organisations around it."""
    inhope = make.organisation("inhope")
    iwf = make.organisation("iwf")
    initiative = make.initiative(inhope)
    cited = make.assessment(initiative, inhope, "Cited")
    spare = make.assessment(initiative, iwf, "Spare")
    practice = make.practice(
        inhope, "Hotlines", evidence_basis="ASSESSMENTS", harms=["CSAM-KNOWN"],
        intervention_types=["RPT-HOT"], evidence=[cited.id],
    )
    return {"inhope": inhope, "iwf": iwf, "practice": practice, "cited": cited, "spare": spare,
            "id": gid("BestPractice", practice.id)}


def test_update_drafts_the_given_fields_and_replaces_lists_once_reviewed(client, make, db, arranged) -> None:
    before = stored(db, arranged["practice"].id)
    token = make.token(arranged["inhope"])
    payload = graphql(client, UPDATE, {"input": {
        "id": arranged["id"], "title": "Hotlines everywhere", "harms": ["SOLICITATION", "EXTORTION"],
        "evidence": [gid("EvidenceAssessment", arranged["spare"].id)], "visibility": "MEMBERS",
    }}, token)["data"]["updateBestPractice"]
    assert payload["userErrors"] == [] and payload["bestPractice"] is None
    draft = payload["revision"]
    assert (draft["state"], draft["record"]) == ("DRAFT", {"id": arranged["id"]})
    # The draft starts from what is published; the published practice is unchanged until it is reviewed.
    assert draft["content"]["data"]["statement"] == "Do what works."
    assert draft["content"]["data"]["intervention_types"] == ["RPT-HOT"]
    after = stored(db, arranged["practice"].id)
    assert after[0].model_dump() == before[0].model_dump() and after[1:] == before[1:]

    practice = ReviewPanel(client, make, db).publish_practice_draft(
        token, draft, "title statement visibility harms { code } interventionTypes { code } evidence { study { title } }"
    )
    assert practice["title"] == "Hotlines everywhere"
    assert practice["statement"] == "Do what works."
    assert practice["visibility"] == "MEMBERS"
    assert practice["harms"] == [{"code": "EXTORTION"}, {"code": "SOLICITATION"}]
    assert practice["interventionTypes"] == [{"code": "RPT-HOT"}]
    assert [e["study"]["title"] for e in practice["evidence"]] == ["Spare"]

    row, codes, cited, _ = stored(db, arranged["practice"].id)
    assert row.updated_by == "client:test-client"
    assert row.updated_at > before[0].updated_at
    assert codes == [("harm", "EXTORTION"), ("harm", "SOLICITATION"), ("intervention-type", "RPT-HOT")]
    assert cited == [arranged["spare"].id]


@pytest.mark.parametrize(
    "change",
    [{"evidence": []}, {"harms": ["NOPE"]}, {"statement": "x" * 4001}, {"title": "a\x00b"}],
    ids=["dropping the last citation of an ASSESSMENTS practice", "unknown code", "over-long statement", "control character"],
)
def test_a_bad_update_changes_nothing(client, make, db, arranged, change) -> None:
    before = stored(db, arranged["practice"].id)
    payload = graphql(client, UPDATE, {"input": {"id": arranged["id"], "title": "Changed", **change}},
                      make.token(arranged["inhope"]))["data"]["updateBestPractice"]
    assert payload["bestPractice"] is None and payload["revision"] is None and payload["userErrors"]
    after = stored(db, arranged["practice"].id)
    assert after[0].model_dump() == before[0].model_dump()
    assert after[1:] == before[1:]
    assert revision_count(db) == 0


def test_null_clears_optional_fields_and_lists(client, make, db) -> None:
    ecpat = make.organisation("ecpat")
    practice = make.practice(ecpat, harms=["CSAM-KNOWN"], intervention_types=["AWR"])
    token = make.token(ecpat)
    panel = ReviewPanel(client, make, db)
    practice_id = gid("BestPractice", practice.id)
    given = graphql(client, UPDATE, {"input": {"id": practice_id, "rationale": "Because."}}, token)["data"]["updateBestPractice"]
    assert panel.publish_practice_draft(token, given["revision"], "rationale") == {"rationale": "Because."}
    payload = graphql(client, UPDATE, {"input": {"id": practice_id, "rationale": None, "harms": None}},
                      token)["data"]["updateBestPractice"]
    assert payload["userErrors"] == []
    assert payload["revision"]["content"]["data"]["rationale"] is None
    published = panel.publish_practice_draft(token, payload["revision"], "rationale harms { code } interventionTypes { code }")
    assert published["rationale"] is None
    assert published["harms"] == []
    assert published["interventionTypes"] == [{"code": "AWR"}]
    assert stored(db, practice.id)[1] == [("intervention-type", "AWR")]


@pytest.mark.parametrize(
    ("field", "error_field", "code"),
    [("title", "title", "REQUIRED"), ("statement", "statement", "REQUIRED"),
     ("evidenceBasis", "evidenceBasis", "REQUIRED"), ("visibility", "visibility", "REQUIRED"),
     ("evidence", "evidence", "INVALID_VALUE")],
)
def test_required_fields_cannot_be_cleared(client, make, db, arranged, field, error_field, code) -> None:
    before = stored(db, arranged["practice"].id)
    payload = graphql(client, UPDATE, {"input": {"id": arranged["id"], field: None}},
                      make.token(arranged["inhope"]))["data"]["updateBestPractice"]
    assert errors(payload) == [(["input", error_field], code)]
    after = stored(db, arranged["practice"].id)
    assert after[0].model_dump() == before[0].model_dump() and after[1:] == before[1:]
    assert revision_count(db) == 0


def test_switching_to_assessments_basis_needs_a_citation(client, make, db) -> None:
    ecpat = make.organisation("ecpat")
    practice = make.practice(ecpat, evidence_basis="CONSENSUS")
    token = make.token(ecpat)
    refused = graphql(client, UPDATE, {"input": {"id": gid("BestPractice", practice.id), "evidenceBasis": "ASSESSMENTS"}},
                      token)["data"]["updateBestPractice"]
    assert errors(refused) == [(["input", "evidence"], "INVALID_VALUE")]
    assert revision_count(db) == 0

    cited = make.assessment(make.initiative(ecpat), ecpat)
    accepted = graphql(client, UPDATE, {"input": {
        "id": gid("BestPractice", practice.id), "evidenceBasis": "ASSESSMENTS",
        "evidence": [gid("EvidenceAssessment", cited.id)],
    }}, token)["data"]["updateBestPractice"]
    assert accepted["userErrors"] == []
    published = ReviewPanel(client, make, db).publish_practice_draft(token, accepted["revision"], "evidenceBasis { code }")
    assert published["evidenceBasis"] == {"code": "ASSESSMENTS"}


@pytest.mark.parametrize(("document", "name", "change", "message"), WRITES, ids=WRITE_IDS)
def test_another_organisation_is_refused_a_public_practice_with_the_reason(client, make, db, arranged, document, name, change, message) -> None:
    before = stored(db, arranged["practice"].id)
    theirs = graphql(client, document, {"input": {"id": arranged["id"], **change}},
                     make.token(arranged["iwf"]))["data"][name]
    assert theirs["userErrors"] == [{"field": ["input", "id"], "code": "FORBIDDEN", "message": message}]
    after = stored(db, arranged["practice"].id)
    assert after[0].model_dump() == before[0].model_dump()
    assert after[0].deleted_at is None and after[1:] == before[1:]
    assert revision_count(db) == 0


@pytest.mark.parametrize(("document", "name", "change", "message"), WRITES, ids=WRITE_IDS)
def test_another_organisation_gets_not_found_exactly_like_a_missing_practice(client, make, db, arranged, document, name, change, message) -> None:  # noqa: ARG001
    hidden = make.practice(arranged["inhope"], "Ours alone", visibility="ORGANISATION")
    before = stored(db, hidden.id)
    token = make.token(arranged["iwf"])
    theirs = graphql(client, document, {"input": {"id": gid("BestPractice", hidden.id), **change}}, token)
    missing = graphql(client, document, {"input": {"id": gid("BestPractice", 999_999), **change}}, token)
    assert theirs == missing
    assert errors(theirs["data"][name]) == [(["input", "id"], "NOT_FOUND")]
    after = stored(db, hidden.id)
    assert after[0].model_dump() == before[0].model_dump()
    assert after[0].deleted_at is None and after[1:] == before[1:]
    assert revision_count(db) == 0


def test_delete_withdraws_with_a_generic_reason_and_hides_the_practice_from_every_list(client, make, db, arranged) -> None:
    token = make.token(arranged["inhope"])
    payload = graphql(client, DELETE, {"input": {"id": arranged["id"]}}, token)["data"]["deleteBestPractice"]
    assert payload == {"deletedId": arranged["id"], "userErrors": []}
    tombstone = graphql(client, TOMBSTONE, {"id": arranged["id"]}, token)["data"]["node"]
    assert tombstone["withdrawnAt"] and tombstone["withdrawnReason"] == "Withdrawn by its proposing organisation."
    assert titles(graphql(client, LIST, {}, token)) == []
    row, codes, cited, _ = stored(db, arranged["practice"].id)
    assert row.deleted_at is not None and codes and cited
    assert row.withdrawn_reason == "Withdrawn by its proposing organisation."
    again = graphql(client, DELETE, {"input": {"id": arranged["id"]}}, token)["data"]["deleteBestPractice"]
    assert errors(again) == [(["input", "id"], "NOT_FOUND")]


def test_contributors_edit_only_their_own_and_never_delete(client, make, db, arranged) -> None:
    inhope = arranged["inhope"]
    contributor = make.member(inhope, "c@inhope.example", Role.CONTRIBUTOR)
    token = make.token(inhope, user=contributor)
    # The practice was created by someone else in the organisation.
    refused = graphql(client, UPDATE, {"input": {"id": arranged["id"], "title": "Mine now"}}, token)
    assert errors(refused["data"]["updateBestPractice"]) == [(["input", "id"], "FORBIDDEN")]

    own = make.practice(inhope, "Own")
    own.created_by = f"user:{contributor.id}"
    db.add(own)
    db.commit()
    own_id = gid("BestPractice", own.id)
    assert revision_count(db) == 0
    updated = graphql(client, UPDATE, {"input": {"id": own_id, "title": "Own, revised"}}, token)
    assert updated["data"]["updateBestPractice"]["userErrors"] == []
    assert updated["data"]["updateBestPractice"]["revision"]["content"]["data"]["title"] == "Own, revised"
    deleted = graphql(client, DELETE, {"input": {"id": own_id}}, token)["data"]["deleteBestPractice"]
    assert errors(deleted) == [(["input", "id"], "FORBIDDEN")]
    withdrawn = graphql(client, WITHDRAW_PRACTICE, {"input": {"id": own_id, "reason": "Mine."}}, token)
    assert errors(withdrawn["data"][WITHDRAW]) == [(["input", "id"], "FORBIDDEN")]
    assert stored(db, own.id)[0].deleted_at is None


@pytest.mark.parametrize(
    ("scopes", "top_level_code"),
    [(None, "UNAUTHENTICATED"), ("practices:read", "FORBIDDEN")],
    ids=["anonymous", "without practices:write"],
)
@pytest.mark.parametrize(("document", "name", "change", "message"), WRITES, ids=WRITE_IDS)
def test_callers_without_the_right_change_nothing(client, make, db, arranged, scopes, top_level_code, document, name, change, message) -> None:  # noqa: ARG001
    before = stored(db, arranged["practice"].id)
    token = make.token(arranged["inhope"], scopes) if scopes else None
    body = graphql(client, document, {"input": {"id": arranged["id"], **change}}, token)
    assert [e["extensions"]["code"] for e in body["errors"]] == [top_level_code]
    after = stored(db, arranged["practice"].id)
    assert after[0].model_dump() == before[0].model_dump()
    assert revision_count(db) == 0


def test_the_inputs_and_the_service_data_hold_the_declared_fields_in_order() -> None:
    # One declaration (service.PracticeData) makes both inputs; the update input adds the id first.
    declared = [f.name for f in fields(service.PracticeData)]
    assert declared == [
        "title", "statement", "evidence_basis", "rationale", "harms", "intervention_types", "evidence", "visibility",
    ]
    assert [f.name for f in fields(CreateBestPracticeInput)] == declared
    assert [f.name for f in fields(UpdateBestPracticeInput)] == ["id", *declared]
