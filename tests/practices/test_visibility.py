"""Who sees which practices, and what a readable practice reveals of what it cites."""

import pytest

from api.core.db import utcnow
from api.organisations.models import OrganisationStatus
from tests.factories import gid, graphql
from tests.practices.helpers import LIST, NODE, TOMBSTONE, titles

CALLERS = {
    # caller: titles it should see among PUBLIC, MEMBERS and ORGANISATION practices of INHOPE
    "anonymous": ["Public"],
    "another member": ["Members", "Public"],
    "another member without practices:read": ["Public"],
    "a pending organisation": ["Public"],
    "the proposer": ["Members", "Organisation", "Public"],
}


def _token(make, caller: str, proposer, other, pending) -> str | None:  # noqa: ANN001
    return {
        "anonymous": lambda: None,
        "another member": lambda: make.token(other),
        "another member without practices:read": lambda: make.token(other, "initiatives:read assessments:read"),
        "a pending organisation": lambda: make.token(pending),
        "the proposer": lambda: make.token(proposer),
    }[caller]()


@pytest.mark.parametrize(("caller", "expected"), list(CALLERS.items()), ids=list(CALLERS))
def test_lists_counts_and_nodes_show_only_what_the_caller_may_read(client, make, caller, expected) -> None:
    inhope = make.organisation("inhope")
    other = make.organisation("other")
    pending = make.organisation("pending", status=OrganisationStatus.PENDING)
    practices = {title: make.practice(inhope, title, visibility=title.upper()) for title in ("Public", "Members", "Organisation")}
    token = _token(make, caller, inhope, other, pending)

    body = graphql(client, LIST, {"orderBy": "TITLE_ASC"}, token)
    assert titles(body) == expected
    assert body["data"]["bestPractices"]["totalCount"] == len(expected)
    for title, practice in practices.items():
        node = graphql(client, NODE, {"id": gid("BestPractice", practice.id)}, token)["data"]["node"]
        assert (node is not None) == (title in expected), title


def test_withdrawn_practices_leave_every_list_and_resolve_only_as_tombstones_for_those_who_could_read_them(client, make, db) -> None:
    inhope = make.organisation("inhope")
    gone = make.practice(inhope, "Gone")
    private = make.practice(inhope, "Gone, ours alone", visibility="ORGANISATION")
    for practice in (gone, private):
        practice.deleted_at, practice.withdrawn_reason = utcnow(), "Superseded."
        db.add(practice)
    db.commit()
    token = make.token(inhope)
    assert graphql(client, LIST, {}, token)["data"]["bestPractices"]["totalCount"] == 0
    for practice in (gone, private):
        tombstone = graphql(client, TOMBSTONE, {"id": gid("BestPractice", practice.id)}, token)["data"]["node"]
        assert (tombstone["title"], tombstone["withdrawnReason"]) == (practice.title, "Superseded.")
        assert tombstone["withdrawnAt"]
    # A tombstone is read on the record's own terms: another organisation resolves the public one only.
    other = make.token(make.organisation("other"))
    assert graphql(client, LIST, {}, other)["data"]["bestPractices"]["totalCount"] == 0
    assert graphql(client, TOMBSTONE, {"id": gid("BestPractice", gone.id)}, other)["data"]["node"]["title"] == "Gone"
    hidden = graphql(client, TOMBSTONE, {"id": gid("BestPractice", private.id)}, other)
    assert hidden == graphql(client, TOMBSTONE, {"id": gid("BestPractice", 999_999)}, other)
    assert hidden["data"]["node"] is None


def test_a_pending_organisations_public_practice_is_hidden_from_others(client, make) -> None:
    pending = make.organisation("pending", status=OrganisationStatus.PENDING)
    practice = make.practice(pending, "Not yet admitted")
    assert graphql(client, LIST, {}, make.token(make.organisation("other")))["data"]["bestPractices"]["totalCount"] == 0
    assert graphql(client, NODE, {"id": gid("BestPractice", practice.id)})["data"]["node"] is None
    assert titles(graphql(client, LIST, {}, make.token(pending))) == ["Not yet admitted"]


def test_a_public_practice_does_not_reveal_an_assessment_hidden_from_the_reader(client, make, db) -> None:
    inhope = make.organisation("inhope")
    other = make.organisation("other")
    initiative = make.initiative(inhope)
    open_study = make.assessment(initiative, inhope, "Published evaluation")
    internal = make.assessment(initiative, inhope, "Internal review", visibility="ORGANISATION")
    practice = make.practice(inhope, "Hotlines", evidence_basis="ASSESSMENTS", evidence=[open_study.id, internal.id])
    practice_id = gid("BestPractice", practice.id)

    def cited(token: str | None) -> list[list[str]]:
        node = graphql(client, NODE, {"id": practice_id}, token)["data"]["node"]
        listed = graphql(client, LIST, {}, token)["data"]["bestPractices"]["edges"][0]["node"]
        return [[e["study"]["title"] for e in node["evidence"]], [e["study"]["title"] for e in listed["evidence"]]]

    assert cited(make.token(inhope)) == [["Published evaluation", "Internal review"]] * 2
    assert cited(make.token(other)) == [["Published evaluation"]] * 2
    assert cited(None) == [["Published evaluation"]] * 2
    hidden = graphql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": gid("EvidenceAssessment", internal.id)},
                     make.token(other))
    assert hidden["data"]["node"] is None


def test_an_assessment_deleted_after_it_was_cited_disappears_from_the_practice(client, make, db) -> None:
    inhope = make.organisation("inhope")
    study = make.assessment(make.initiative(inhope), inhope, "Withdrawn study")
    practice = make.practice(inhope, evidence_basis="ASSESSMENTS", evidence=[study.id])
    study.deleted_at = utcnow()
    db.add(study)
    db.commit()
    node = graphql(client, NODE, {"id": gid("BestPractice", practice.id)}, make.token(inhope))["data"]["node"]
    assert node["evidence"] == []
