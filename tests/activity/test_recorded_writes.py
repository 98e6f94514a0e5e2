"""The writes that record activity, through GraphQL: each appends its entry in the same transaction as the
change, naming the organisation that acted; a refused write records nothing. The rating computation's bulk
insert is pinned in test_recorded_writes_rules.py."""

from sqlmodel import select

from api.activity.models import Activity
from api.organisations.models import NetworkMembership
from api.ratings.models import OutcomeRating, OutcomeRatingChange
from tests.factories import gid, graphql, lab_admin_token, membership_of, mutate
from tests.factories.reviews import ReviewPanel

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


def test_an_inquiry_is_recorded_on_its_revision_and_its_ruling_on_the_inquiry(client, make, db) -> None:
    lead, partner_org, assessor = (make.organisation(name) for name in ("lead", "partner", "assessor"))
    initiative = make.initiative(lead, partners=[(partner_org, "IMPLEMENTING")])
    make.assessment(initiative, assessor, ratings=["PROMISING"])
    panel = ReviewPanel(client, make, db)
    rating = db.exec(select(OutcomeRating)).one()
    partner = make.token(partner_org)
    drafted = mutate(
        client, "draftRatingInquiry",
        {"rating": gid("OutcomeRating", rating.id), "grounds": "MISREAD-EVIDENCE", "text": "Unmatched."},
        partner, "revision { id }",
    )
    revision_id = drafted["revision"]["id"]
    mutate(client, "submitRevision", {"id": revision_id}, partner)
    mutate(client, "assignReviewers", {"revision": revision_id}, panel.secretariat)
    for reviewer in panel.reviewers:
        coding = {"revision": revision_id, "inquiry": {"ruling": "UPHELD", "reasons": "Yes."}, "decision": "ACCEPT"}
        assert mutate(client, "submitReview", coding, reviewer)["userErrors"] == []
    published = mutate(client, "publishRevision", {"revision": revision_id}, panel.secretariat, "ratingInquiry { id }")
    assert published["userErrors"] == []
    steps = _entries(db, "Revision")
    assert [(e[0], e[3]) for e in steps][:2] == [("DRAFTED", partner_org.id), ("SUBMITTED", partner_org.id)]
    assert [e[0] for e in steps][2:] == ["REVIEWERS_ASSIGNED", "REVIEW_SUBMITTED", "REVIEW_SUBMITTED"]
    assert gid("Revision", steps[0][2]) == revision_id
    (ruling,) = _entries(db, "RatingInquiry")
    assert gid("RatingInquiry", ruling[2]) == published["ratingInquiry"]["id"]
    assert (ruling[0], ruling[4]) == ("PUBLISHED", {})
    assert ruling[3] not in (partner_org.id, None)  # the secretariat published it


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
