"""Driving a revision through review with GraphQL, as its authors, its reviewers and the secretariat do."""

from dataclasses import dataclass

from api.auth.principal import Role
from tests.evidence.operations import finding, new_study
from tests.factories import gid, graphql, lab_admin_token, membership_of, mutate

REVISION = "revision { id state round baseVersion publishedVersion content reviews { position mine decision coding } disagreements { field first second resolution } agreement }"
AGREED = {"comparison": "RANDOMISED", "significance": "YES", "riskOfBias": "LOW", "proposedRating": "EFFECTIVE"}


@dataclass
class Cast:
    """An initiative, its lead, the assessing organisation's author, two reviewers with no stake, one with a
    stake (a member of the lead), an outsider, and the secretariat."""

    initiative: object
    author: str
    reviewers: dict[str, str]
    staked_reviewer: str
    outsider: str
    secretariat: str
    memberships: dict[str, str]


def cast(make, db) -> Cast:  # noqa: ANN001
    lead = make.organisation("lead-hotline")
    assessor = make.organisation("university")
    initiative = make.initiative(lead, "Notice and take-down", status="IMPLEMENTATION")
    author = make.member(assessor, "author@university.example", Role.CONTRIBUTOR)
    people = {}
    memberships = {}
    for slug in ("institute-a", "institute-b"):
        organisation = make.organisation(slug)
        person = make.member(organisation, f"reviewer@{slug}.example", Role.CONTRIBUTOR)
        people[slug] = make.token(organisation, user=person)
        memberships[slug] = gid("Membership", membership_of(db, organisation, person).id)
    staked = make.member(lead, "reviewer@lead-hotline.example", Role.CONTRIBUTOR)
    memberships["lead-hotline"] = gid("Membership", membership_of(db, lead, staked).id)
    outsider = make.organisation("outsider")
    return Cast(
        initiative=initiative,
        author=make.token(assessor, user=author),
        reviewers=people,
        staked_reviewer=make.token(lead, user=staked),
        outsider=make.token(outsider, user=make.member(outsider, "someone@outsider.example", Role.ADMIN)),
        secretariat=lab_admin_token(make),
        memberships=memberships,
    )


def draft_input(initiative, **overrides) -> dict:  # noqa: ANN001, ANN003
    return {
        "initiative": gid("Initiative", initiative.id),
        "newStudy": new_study(studyDesign="RCT", title="A randomised trial of take-down notices"),
        "independence": "INDEPENDENT",
        "findings": [finding(comparison="RANDOMISED", riskOfBias="SOME", proposedRating="EFFECTIVE")],
        "changeNote": "First assessment of the trial.",
        **overrides,
    }


def review_input(revision_id: str, decision: str = "ACCEPT", **finding_coding) -> dict:  # noqa: ANN003
    return {
        "revision": revision_id,
        "studyDesign": "RCT",
        "findings": [{"outcome": "REMOVAL-TIME", **AGREED, **finding_coding}],
        "certainty": {"riskOfBias": "NOT-SERIOUS", "imprecision": "SERIOUS"},
        "decision": decision,
        "notes": "Coded from the trial report.",
    }


def step(client, name: str, values: dict, token: str, selection: str = REVISION) -> dict:  # noqa: ANN001
    return mutate(client, name, values, token, selection)


def grant_reviewers(client, c: Cast) -> None:  # noqa: ANN001
    for membership in c.memberships.values():
        assert step(client, "grantReviewerRole", {"membership": membership}, c.secretariat, "done")["userErrors"] == []


def reviewed(client, c: Cast, revision_id: str, **second_coding) -> dict:  # noqa: ANN001, ANN003
    """Submit, draw two reviewers, and have both review: the revision, in reconciliation."""
    assert step(client, "submitRevision", {"id": revision_id}, c.author)["userErrors"] == []
    assert step(client, "assignReviewers", {"revision": revision_id}, c.secretariat)["userErrors"] == []
    first, second = c.reviewers.values()
    assert step(client, "submitReview", review_input(revision_id), first)["userErrors"] == []
    payload = step(client, "submitReview", review_input(revision_id, **second_coding), second)
    assert payload["userErrors"] == []
    return payload["revision"]


SEES = "query ($id: ID!) { node(id: $id) { id } revisions { totalCount edges { node { id } } } }"


def sees(client, revision_id: str, token: str | None) -> tuple[bool, int]:  # noqa: ANN001
    """Whether `token` reads the revision by its id, and how many revisions it counts."""
    data = graphql(client, SEES, {"id": revision_id}, token)["data"]
    return data["node"] is not None, data["revisions"]["totalCount"]


def check_draft_readers(client, revision_id: str, *, author: str, secretariat: str, reviewers: list[str], strangers: list[str]) -> None:  # noqa: ANN001
    """A DRAFT is read by its authors only, not even the secretariat; once submitted by the secretariat too,
    once assigned by its two reviewers too, and never by `strangers` or anonymous callers."""
    assert sees(client, revision_id, author) == (True, 1)
    for token in (*strangers, secretariat, *reviewers, None):
        assert sees(client, revision_id, token) == (False, 0)
    assert step(client, "submitRevision", {"id": revision_id}, author)["userErrors"] == []
    assert sees(client, revision_id, secretariat) == (True, 1)
    assert step(client, "assignReviewers", {"revision": revision_id}, secretariat)["userErrors"] == []
    for token in reviewers:
        assert sees(client, revision_id, token) == (True, 1)
    for token in (*strangers, None):
        assert sees(client, revision_id, token) == (False, 0)
