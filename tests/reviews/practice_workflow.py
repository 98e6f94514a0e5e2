"""Driving a best practice's revision through review with GraphQL: its authors, two reviewers with no stake,
reviewers with a stake (a member of an organisation that assessed cited evidence, a member of an organisation
endorsing the practice), an outsider and the secretariat."""

from dataclasses import dataclass

from api.auth.principal import Role
from tests.factories import gid, lab_admin_token, membership_of
from tests.reviews.workflow import step

REVISION = "revision { id state round baseVersion publishedVersion content disagreements { field first second resolution } agreement }"


@dataclass
class PracticeCast:
    initiative: object
    author: str
    # The authors' organisation and person, for tokens with fewer scopes.
    authoring: object
    author_user: object
    endorser: str
    evidence: list[str]
    reviewers: dict[str, str]
    outsider: str
    secretariat: str
    # Memberships, by organisation slug, of every reviewer (the two with no stake, and "university" and
    # "endorser", who have one).
    memberships: dict[str, str]


def practice_cast(make, db) -> PracticeCast:  # noqa: ANN001
    lead = make.organisation("lead-hotline")
    initiative = make.initiative(lead, "Notice and take-down", status="IMPLEMENTATION")
    university = make.organisation("university")
    centre = make.organisation("research-centre")
    cited = [make.assessment(initiative, university, "A trial"), make.assessment(initiative, centre, "A survey")]
    coalition = make.organisation("coalition")
    endorser = make.organisation("endorser")
    people, memberships = {}, {}
    for slug in ("institute-a", "institute-b"):
        organisation = make.organisation(slug)
        person = make.member(organisation, f"reviewer@{slug}.example", Role.CONTRIBUTOR)
        people[slug] = make.token(organisation, user=person)
        memberships[slug] = gid("Membership", membership_of(db, organisation, person).id)
    for organisation in (university, endorser):
        person = make.member(organisation, f"reviewer@{organisation.slug}.example", Role.CONTRIBUTOR)
        memberships[organisation.slug] = gid("Membership", membership_of(db, organisation, person).id)
    outsider = make.organisation("outsider")
    author = make.member(coalition, "author@coalition.example", Role.CONTRIBUTOR)
    return PracticeCast(
        initiative=initiative,
        author=make.token(coalition, user=author),
        authoring=coalition,
        author_user=author,
        endorser=make.token(endorser, user=make.member(endorser, "editor@endorser.example", Role.EDITOR)),
        evidence=[gid("EvidenceAssessment", a.id) for a in cited],
        reviewers=people,
        outsider=make.token(outsider, user=make.member(outsider, "someone@outsider.example", Role.ADMIN)),
        secretariat=lab_admin_token(make),
        memberships=memberships,
    )


def practice_input(c: PracticeCast, **overrides) -> dict:  # noqa: ANN003
    return {
        "title": "Act on notices within a day",
        "statement": "Remove reported material within 24 hours of a notice.",
        "evidenceBasis": "ASSESSMENTS",
        "harms": ["CSAM-KNOWN"],
        "evidence": c.evidence,
        "changeNote": "A practice resting on two assessments.",
        **overrides,
    }


def practice_review(revision_id: str, evidence_basis: str = "ASSESSMENTS", decision: str = "ACCEPT", support=("YES", "PARTLY")) -> dict:  # noqa: ANN001
    return {
        "revision": revision_id,
        "practice": {"evidenceBasis": evidence_basis, "support": list(support)},
        "decision": decision,
        "notes": "Read both assessments.",
    }


def grant(client, c: PracticeCast, *slugs: str) -> None:  # noqa: ANN001
    for slug in slugs:
        assert step(client, "grantReviewerRole", {"membership": c.memberships[slug]}, c.secretariat, "done")["userErrors"] == []


def reviewed(client, c: PracticeCast, revision_id: str, **second) -> dict:  # noqa: ANN001, ANN003
    """Draw two reviewers for a submitted revision and have both review: the revision, in reconciliation."""
    assert step(client, "assignReviewers", {"revision": revision_id}, c.secretariat)["userErrors"] == []
    first, other = c.reviewers.values()
    assert step(client, "submitReview", practice_review(revision_id), first)["userErrors"] == []
    payload = step(client, "submitReview", practice_review(revision_id, **second), other, REVISION)
    assert payload["userErrors"] == []
    return payload["revision"]
