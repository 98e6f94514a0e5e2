"""What a reviewer codes for an evidence assessment, the fields two codings are compared on (api/reviews/
comparison.py) and what a reconciled coding changes on publication.

The fields are JSON Pointers ("/studyDesign", "/findings/0/riskOfBias", "/certainty/imprecision", "/decision")."""

from dataclasses import dataclass, field

from pydantic import TypeAdapter
from sqlmodel.ext.asyncio.session import AsyncSession

from api.core.errors import ErrorCode, Problems
from api.evidence import service as evidence
from api.vocabularies import service as vocabularies

# GRADE's five domains that can lower certainty in a body of evidence.
CERTAINTY_DOMAINS = ("riskOfBias", "inconsistency", "indirectness", "imprecision", "publicationBias")
CONCERNS = ("NOT-SERIOUS", "SERIOUS", "VERY-SERIOUS")
DECISIONS = ("ACCEPT", "REVISE", "REJECT")


@dataclass
class FindingCoding:
    outcome: str
    comparison: str
    significance: str
    risk_of_bias: str | None = None
    proposed_rating: str | None = None
    proposed_certainty: str | None = None


@dataclass
class Coding:
    study_design: str
    findings: list[FindingCoding]
    decision: str
    certainty: dict[str, str] = field(default_factory=dict)


CODING = TypeAdapter(Coding)
# Finding coding field → (input name, vocabulary).
_FINDING_CODES = {
    "outcome": ("outcome", "outcome"),
    "comparison": ("comparison", "comparison"),
    "significance": ("significance", "significance"),
    "risk_of_bias": ("riskOfBias", "risk-of-bias"),
    "proposed_rating": ("proposedRating", "evidence-rating"),
    "proposed_certainty": ("proposedCertainty", "certainty"),
}


async def check(*, session: AsyncSession, problems: Problems, coding: Coding, findings: int) -> None:
    """Every code known to its vocabulary, one coding per finding of the record, every domain named."""
    base = ["coding"]
    await vocabularies.check_code(
        session=session, problems=problems, field=[*base, "studyDesign"], vocabulary="study-design", code=coding.study_design
    )
    if len(coding.findings) != findings:
        problems.add(
            [*base, "findings"], ErrorCode.INVALID_VALUE, f"Code each of the record's {findings} findings, in its order."
        )
    for index, finding in enumerate(coding.findings):
        for attribute, (name, vocabulary) in _FINDING_CODES.items():
            value = getattr(finding, attribute)
            if value is not None:
                await vocabularies.check_code(
                    session=session,
                    problems=problems,
                    field=[*base, "findings", str(index), name],
                    vocabulary=vocabulary,
                    code=value,
                )
    for domain, concern in coding.certainty.items():
        if domain not in CERTAINTY_DOMAINS:
            problems.add([*base, "certainty", domain], ErrorCode.INVALID_VALUE, f"Not a certainty domain: {', '.join(CERTAINTY_DOMAINS)}.")
        elif concern not in CONCERNS:
            problems.add([*base, "certainty", domain], ErrorCode.INVALID_VALUE, f"One of {', '.join(CONCERNS)}.")
    if coding.decision not in DECISIONS:
        problems.add([*base, "decision"], ErrorCode.INVALID_VALUE, f"One of {', '.join(DECISIONS)}.")


def fields_of(coding: dict) -> dict[str, str | None]:
    """A stored coding as the fields two codings are compared on."""
    flat: dict[str, str | None] = {"/studyDesign": coding["study_design"], "/decision": coding["decision"]}
    for index, finding in enumerate(coding["findings"]):
        for attribute, (name, _) in _FINDING_CODES.items():
            flat[f"/findings/{index}/{name}"] = finding.get(attribute)
    for domain in CERTAINTY_DOMAINS:
        flat[f"/certainty/{domain}"] = coding.get("certainty", {}).get(domain)
    return flat


def apply(data: evidence.AssessmentData, agreed: dict[str, str | None]) -> evidence.AssessmentData:
    """The content with the reviewers' agreed finding coding in place of the authors' (what the rating rests on)."""
    for index, finding in enumerate(data.findings or []):
        for attribute, (name, _) in _FINDING_CODES.items():
            path = f"/findings/{index}/{name}"
            if path in agreed and agreed[path] is not None:
                setattr(finding, attribute, agreed[path])
    return data
