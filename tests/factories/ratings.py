"""Findings as the rating engine takes them (api/ratings/engine.py): no rows, plain values, each with the SMS
level its design has in the study-design vocabulary and the comparison the design gives."""

import functools
from typing import Any

import yaml

from api.core.settings import PROJECT_ROOT
from api.ratings.engine import FindingEvidence

# The comparison each design gives (docs/evidence-design.md, "Entities", Finding).
DESIGN_COMPARISON = {
    "RCT": "RANDOMISED", "CRCT": "RANDOMISED",
    "PSM": "MATCHED", "RDD": "MATCHED", "IV": "MATCHED", "DID": "MATCHED",
    "ITS": "UNMATCHED", "PREPOST-C": "UNMATCHED",
    "PREPOST": "PRE-POST",
}  # fmt: skip


@functools.cache
def design_levels() -> dict[str, int | None]:
    """Every study-design code with its SMS level (None for designs without one), from the vocabulary file."""
    document = yaml.safe_load((PROJECT_ROOT / "seed" / "vocabularies" / "study-design.yaml").read_text())
    return {
        term["code"]: int(term["attributes"]["sms"]) if "sms" in (term.get("attributes") or {}) else None
        for term in document["terms"]
    }


def finding_evidence(finding_id: int, design: str = "RCT", **values: Any) -> FindingEvidence:  # noqa: ANN401
    """A finding of `design` on OFFENDING by an independent assessor on a sample of its own, with a
    significant desirable effect at low risk of bias, unless `values` say otherwise."""
    defaults: dict[str, Any] = {
        "finding_id": finding_id,
        "assessment_id": 100 + finding_id,
        "assessing_organisation_id": 1000 + finding_id,
        "independence": "INDEPENDENT",
        "study_id": 10_000 + finding_id,
        "sample_key": f"study:{10_000 + finding_id}",
        "study_design": design,
        "sms": design_levels()[design],
        "comparison": DESIGN_COMPARISON.get(design, "NONE"),
        "peer_reviewed": True,
        "outcome": "OFFENDING",
        "outcome_rise": "UNDESIRABLE",
        "effect_direction": "POSITIVE",
        "significance": "YES",
        "risk_of_bias": "LOW",
    }
    return FindingEvidence(**(defaults | values))
