"""Publishing an evidence assessment or a best practice the way the API does it, through review: a panel of
two reviewers with no stake, and the secretariat, who code, reconcile and publish exactly what the authors
drafted."""

from dataclasses import dataclass, field

from api.auth.principal import Role
from tests.factories.graphql_calls import gid, graphql, mutate
from tests.factories.organisations import membership_of
from tests.factories.ratings import DESIGN_COMPARISON
from tests.factories.tokens import lab_admin_token

REVISION = "revision { id content record { ... on EvidenceAssessment { study { studyDesign { code } } } } }"
PRACTICE_REVISION = "revision { id content }"


@dataclass
class ReviewPanel:
    """Made once per test: two reviewer organisations (with no stake in anything else the test makes) and
    the secretariat."""

    client: object
    make: object
    db: object
    reviewers: list[str] = field(default_factory=list)
    # The reviewers' memberships (global ids), in the order of `reviewers`.
    memberships: list[str] = field(default_factory=list)
    secretariat: str = ""

    def __post_init__(self) -> None:
        self.secretariat = lab_admin_token(self.make)
        for slug in ("review-panel-a", "review-panel-b"):
            organisation = self.make.organisation(slug)
            person = self.make.member(organisation, f"reviewer@{slug}.example", Role.CONTRIBUTOR)
            membership = gid("Membership", membership_of(self.db, organisation, person).id)
            self._ok("grantReviewerRole", {"membership": membership}, self.secretariat, "done")
            self.reviewers.append(self.make.token(organisation, user=person))
            self.memberships.append(membership)

    def _ok(self, name: str, values: dict, token: str, selection: str) -> dict:
        payload = mutate(self.client, name, values, token, selection)
        assert payload["userErrors"] == [], (name, payload["userErrors"])
        return payload

    def publish(self, author: str, values: dict, selection: str = "id", *, revision_of: str | None = None) -> dict:
        """Draft `values` as `author` (a new assessment, or the next version of `revision_of`), have both
        reviewers code what was drafted and accept it, publish it; the published assessment's `selection`."""
        if revision_of is None:
            revision = self._ok("draftEvidenceAssessment", values, author, REVISION)["revision"]
        else:
            revision = self._ok("draftEvidenceAssessmentRevision", {"id": revision_of, **values}, author, REVISION)["revision"]
        return self._reviewed(author, revision["id"], self._coding(revision), "evidenceAssessment", selection)

    def publish_practice(self, author: str, values: dict, selection: str = "id", *, revision_of: str | None = None) -> dict:
        """As `publish`, for a best practice: a new one, or the next version of `revision_of`; the published
        practice's `selection`."""
        if revision_of is None:
            revision = self._ok("draftBestPractice", values, author, PRACTICE_REVISION)["revision"]
        else:
            revision = self._ok("draftBestPracticeRevision", {"id": revision_of, **values}, author, PRACTICE_REVISION)["revision"]
        return self.publish_practice_draft(author, revision, selection)

    def publish_practice_draft(self, author: str, revision: dict, selection: str = "id") -> dict:
        """Review and publish a draft of a best practice `author` already saved (its `id` and `content`, as
        a payload's revision gives them); the published practice's `selection`."""
        return self._reviewed(author, revision["id"], self._practice_coding(revision), "bestPractice", selection)

    def _reviewed(self, author: str, revision_id: str, coding: dict, record: str, selection: str) -> dict:
        """Submit the draft, draw the panel, have both reviewers submit `coding`, publish; the `record`'s `selection`."""
        self._ok("submitRevision", {"id": revision_id}, author, "revision { id }")
        self._ok("assignReviewers", {"revision": revision_id}, self.secretariat, "revision { id }")
        for reviewer in self.reviewers:
            self._ok("submitReview", coding, reviewer, "revision { id }")
        published = self._ok("publishRevision", {"revision": revision_id}, self.secretariat, f"{record} {{ {selection} }}")
        return published[record]

    @staticmethod
    def _practice_coding(revision: dict) -> dict:
        """What the authors drafted, coded as they gave it: their evidence basis, every citation supporting it."""
        data = revision["content"]["data"]
        practice = {"evidenceBasis": data["evidence_basis"], "support": ["YES"] * len(data.get("evidence") or [])}
        return {"revision": revision["id"], "practice": practice, "decision": "ACCEPT"}

    def _design(self, revision: dict) -> str:
        data = revision["content"]["data"]
        if data.get("new_study"):
            return data["new_study"]["study_design"]
        if data.get("study_id") is not None:
            query = "query ($id: ID!) { node(id: $id) { ... on Study { studyDesign { code } } } }"
            node = graphql(self.client, query, {"id": gid("Study", data["study_id"])}, self.secretariat)["data"]["node"]
            return node["studyDesign"]["code"]
        return revision["record"]["study"]["studyDesign"]["code"]  # the next version of a published record

    def _coding(self, revision: dict) -> dict:
        """What the authors drafted, coded as they coded it: nothing to reconcile, nothing changed."""
        design = self._design(revision)
        findings = [
            {
                "outcome": f["outcome"],
                "comparison": f["comparison"] or DESIGN_COMPARISON.get(design, "NONE"),
                "significance": f["significance"],
                "riskOfBias": f["risk_of_bias"],
                "proposedRating": f["proposed_rating"],
                "proposedCertainty": f["proposed_certainty"],
            }
            for f in revision["content"]["data"]["findings"] or []
        ]
        return {"revision": revision["id"], "studyDesign": design, "findings": findings, "decision": "ACCEPT"}
