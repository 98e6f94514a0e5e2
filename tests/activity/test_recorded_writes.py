"""The writes that record activity, through GraphQL: each appends its entry in the same transaction as the
change, naming the organisation that acted; a refused write records nothing. The rating computation's bulk
insert is pinned in test_recorded_writes_rules.py."""

from sqlmodel import select

from api.activity.models import Activity
from api.organisations.models import NetworkMembership
from api.ratings.models import OutcomeRating, OutcomeRatingChange
from tests.factories import gid, graphql, lab_admin_token, membership_of, mutate

APPEAL = "appeal { id }"


def _entries(db, subject_type: str | None = None) -> list[tuple]:  # noqa: ANN001
    """(kind, subject type, subject id, organisation id, detail) of every entry, oldest first."""
    db.expire_all()
    statement = select(Activity).order_by(Activity.id)
    if subject_type is not None:
        statement = statement.where(Activity.subject_type == subject_type)
    return [(a.kind, a.subject_type, a.subject_id, a.organisation_id, a.detail) for a in db.exec(statement).all()]


def test_creating_editing_and_deleting_an_initiative_are_recorded(client, make, db) -> None:
    lead = make.organisation("lead")
    token = make.token(lead)
    created = mutate(client, "createInitiative", {"title": "Hotline", "status": "IMPLEMENTATION"}, token, "initiative { id }")
    initiative_id = created["initiative"]["id"]
    row_id = int(db.exec(select(Activity.subject_id)).one())
    assert gid("Initiative", row_id) == initiative_id
    refused = mutate(client, "updateInitiative", {"id": initiative_id, "title": ""}, token)
    assert refused["userErrors"]
    assert len(_entries(db)) == 1
    assert mutate(client, "updateInitiative", {"id": initiative_id, "summary": "Reports", "harms": ["CSAM-KNOWN"]}, token)["userErrors"] == []
    assert mutate(client, "deleteInitiative", {"id": initiative_id}, token)["userErrors"] == []
    assert _entries(db) == [
        ("CREATED", "Initiative", row_id, lead.id, {}),
        ("EDITED", "Initiative", row_id, lead.id, {"fields": ["harms", "summary"]}),
        ("WITHDRAWN", "Initiative", row_id, lead.id, {}),
    ]
    actors = db.exec(select(Activity.actor)).all()
    assert set(actors) == {"client:test-client"}


def test_registering_and_correcting_a_study_are_recorded(client, make, db) -> None:
    lab = make.organisation("research-lab")
    token = make.token(lab)
    created = graphql(
        client, "mutation($input: StudyInput!) { createStudy(input: $input) { study { id } userErrors { code } } }",
        {"input": {"title": "A trial", "studyDesign": "RCT"}}, token,
    )["data"]["createStudy"]
    assert created["userErrors"] == []
    study_id = created["study"]["id"]
    mutate(client, "updateStudy", {"id": study_id, "sampleSize": 120, "population": "Pupils"}, token)
    (row_id,) = {entry[2] for entry in _entries(db)}
    assert _entries(db) == [
        ("CREATED", "Study", row_id, lab.id, {}),
        ("EDITED", "Study", row_id, lab.id, {"fields": ["population", "sampleSize"]}),
    ]


def test_every_rating_change_the_computation_writes_is_recorded(make, db) -> None:
    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    initiative = make.initiative(lead)
    make.assessment(initiative, assessor, ratings=["PROMISING", "EMERGING"])
    changes = db.exec(select(OutcomeRatingChange).order_by(OutcomeRatingChange.rating_id)).all()
    assert len(changes) == 2
    entries = _entries(db, "OutcomeRating")
    assert [(kind, subject_id, organisation) for kind, _type, subject_id, organisation, _detail in entries] == [
        ("RATING_CHANGED", change.rating_id, None) for change in changes
    ]
    for change, (*_rest, detail) in zip(changes, entries, strict=True):
        assert detail == {
            "before": None,
            "after": {"rating": change.rating, "certainty": change.certainty},
            "reason": "NEW-EVIDENCE",
            "note": None,
            "rulesetVersion": change.ruleset_version,
            "ruleId": change.rule_id,
        }


def test_a_rating_changing_records_what_it_was(client, make, db) -> None:
    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    initiative = make.initiative(lead)
    make.assessment(initiative, assessor, ratings=["PROMISING"])
    rating = db.exec(select(OutcomeRating).where(OutcomeRating.initiative_id == initiative.id)).one()
    before = {"rating": rating.rating, "certainty": rating.certainty}
    admin = lab_admin_token(make)
    # Suspending the assessor takes its evidence out of the rating: the rating moves, for the WITHDRAWAL reason.
    payload = mutate(client, "setOrganisationStatus", {"id": gid("Organisation", assessor.id), "status": "SUSPENDED"}, admin)
    assert payload["userErrors"] == []
    db.expire_all()
    after = db.get(OutcomeRating, rating.id)
    assert (before["rating"], after.rating) == ("PROMISING", "PIONEERING")
    (entry,) = [e for e in _entries(db, "OutcomeRating") if e[4]["reason"] == "WITHDRAWAL"]
    assert (entry[2], entry[3]) == (rating.id, None)
    assert (entry[4]["before"], entry[4]["after"]) == (before, {"rating": after.rating, "certainty": after.certainty})


def _appeal_setting(make):  # noqa: ANN001, ANN202
    o = {name: make.organisation(name) for name in ("lead", "partner", "assessor", "reviewer-a", "reviewer-b")}
    o["initiative"] = make.initiative(o["lead"], partners=[(o["partner"], "IMPLEMENTING")])
    make.assessment(o["initiative"], o["assessor"], ratings=["PROMISING"])
    return o


def test_an_inquiry_and_its_appeal_are_recorded_on_the_inquiry(client, make, db) -> None:
    o = _appeal_setting(make)
    admin = lab_admin_token(make)
    rating = db.exec(select(OutcomeRating)).one()
    partner = make.token(o["partner"])
    filed = mutate(
        client, "fileRatingInquiry",
        {"rating": gid("OutcomeRating", rating.id), "grounds": "MISREAD-EVIDENCE", "text": "Unmatched."},
        partner, "inquiry { id }",
    )
    inquiry_id = filed["inquiry"]["id"]
    mutate(client, "answerRatingInquiry", {"inquiry": inquiry_id, "answer": "Checked."}, admin)
    appeal_id = mutate(client, "escalateRatingInquiry", {"inquiry": inquiry_id, "text": "No."}, partner, APPEAL)["appeal"]["id"]
    reviewers = [gid("Organisation", o["reviewer-a"].id), gid("Organisation", o["reviewer-b"].id)]
    mutate(client, "assignAppealReviewers", {"appeal": appeal_id, "reviewers": reviewers}, admin)
    for name in ("reviewer-a", "reviewer-b"):
        mutate(client, "decideRatingAppeal", {"appeal": appeal_id, "decision": "UPHELD", "reasons": "Yes."}, make.token(o[name]))
    entries = _entries(db, "RatingInquiry")
    (row_id,) = {e[2] for e in entries}
    assert gid("RatingInquiry", row_id) == inquiry_id
    secretariat = next(e[3] for e in entries if e[0] == "INQUIRY_ANSWERED")
    assert [(e[0], e[3], e[4]) for e in entries] == [
        ("INQUIRY_FILED", o["partner"].id, {"grounds": "MISREAD-EVIDENCE"}),
        ("INQUIRY_ANSWERED", secretariat, {}),
        ("APPEAL_FILED", o["partner"].id, {}),
        ("APPEAL_DECIDED", o["reviewer-b"].id, {"outcome": "UPHELD"}),
    ]
    assert secretariat not in (o["partner"].id, None)


def test_membership_changes_are_recorded_on_the_organisations(client, make, db) -> None:
    admin = lab_admin_token(make)
    network, member = make.organisation("alliance"), make.organisation("helpline")
    status = mutate(client, "setOrganisationStatus", {"id": gid("Organisation", member.id), "status": "OBSERVER"}, admin)
    assert status["userErrors"] == []
    network_token = make.token(network, "org:admin org:read")
    added = mutate(
        client, "addNetworkMember",
        {"network": gid("Organisation", network.id), "member": gid("Organisation", member.id), "role": "MEMBER"},
        network_token, "networkMembership { id }",
    )
    assert added["userErrors"] == []
    mutate(client, "removeNetworkMember", {"id": added["networkMembership"]["id"]}, network_token)
    assert db.exec(select(NetworkMembership)).all() == []
    make.member(member, "grace@example.org")  # the organisation keeps an admin
    person = make.member(member, "ada@example.org")
    membership = membership_of(db, member, person)
    removed = mutate(client, "removeMember", {"membership": gid("Membership", membership.id)}, make.token(member, "org:admin org:read"))
    assert removed["userErrors"] == []
    secretariat = _entries(db)[0][3]
    assert secretariat not in (None, member.id, network.id)
    changed = "MEMBERSHIP_CHANGED"
    assert [(e[0], e[2], e[3], e[4]) for e in _entries(db, "Organisation")] == [
        (changed, member.id, secretariat, {"change": "STATUS", "status": "OBSERVER", "previous": "MEMBER"}),
        (changed, member.id, network.id, {"change": "JOINED_NETWORK", "role": "MEMBER", "organisation": network.id}),
        (changed, network.id, network.id, {"change": "MEMBER_ADDED", "role": "MEMBER", "organisation": member.id}),
        (changed, member.id, network.id, {"change": "LEFT_NETWORK", "role": "MEMBER", "organisation": network.id}),
        (changed, network.id, network.id, {"change": "MEMBER_REMOVED", "role": "MEMBER", "organisation": member.id}),
        (changed, member.id, member.id, {"change": "PERSON_LEFT", "role": "ADMIN"}),
    ]
