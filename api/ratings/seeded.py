"""The seeded registry's outcome ratings, as the current rule set computes them from the seed files alone,
with what each rests on and its certainty trace: the last part of docs/ratings.md.

The same engine rates the same findings once the files are loaded (every seed record is public and every
seeded organisation listed), so the page and the API agree; tests/seed/test_seeded_registry.py checks
the API side against the rule set.
"""

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from api.core.settings import PROJECT_ROOT
from api.ratings import engine
from api.ratings.ruleset import Ruleset
from api.seeding.records import AssessmentRecord, FindingRecord
from api.seeding.validate import Registry, read_registry
from api.vocabularies.service import read_files

SEED = PROJECT_ROOT / "seed"


@dataclass(frozen=True)
class SeededRating:
    subject: str  # the initiative's or best practice's title
    result: engine.RatingResult
    findings: dict[int, str]  # finding id -> "assessment key, outcome"


def _attributes(vocabularies: list[dict], code: str, name: str) -> dict[str, str]:
    document = next(v for v in vocabularies if v["code"] == code)
    return {t["code"]: str((t.get("attributes") or {}).get(name, "")) for t in document["terms"]}


def seeded_ratings(ruleset: Ruleset, seed: Path = SEED) -> list[SeededRating]:
    vocabularies = read_files(seed / "vocabularies")
    registry: Registry = read_registry(seed / "registry", vocabularies)
    rises = _attributes(vocabularies, "outcome", "rise")
    sms = {code: int(level) if level else None for code, level in _attributes(vocabularies, "study-design", "sms").items()}
    comparisons = _attributes(vocabularies, "study-design", "comparison")

    evidence: dict[str, list[engine.FindingEvidence]] = {}
    names: dict[int, str] = {}
    for number, assessment in enumerate(registry.assessments, start=1):
        evidence[assessment.key] = []
        for position, finding in enumerate(assessment.findings):
            finding_id = number * 100 + position
            names[finding_id] = f"{assessment.key}, {finding.outcome}"
            evidence[assessment.key].append(_evidence(assessment, number, finding_id, finding, rises, sms, comparisons))

    subjects: list[tuple[str, engine.Subject, list[engine.FindingEvidence]]] = []
    by_initiative: dict[str, list[engine.FindingEvidence]] = defaultdict(list)
    for assessment in registry.assessments:
        by_initiative[assessment.initiative] += evidence[assessment.key]
    for initiative in registry.initiatives:
        if by_initiative[initiative.key]:
            subjects.append((initiative.title, engine.Subject(kind="INITIATIVE", status=initiative.status),
                             by_initiative[initiative.key]))
    for practice in registry.practices:
        cited = [f for key in practice.evidence for f in evidence.get(key, [])]
        if cited:
            subjects.append((practice.title, engine.Subject(kind="PRACTICE", evidence_basis=(practice.evidence_basis,)), cited))
    return [
        SeededRating(title, result, {f.finding_id: names[f.finding_id] for f in found})
        for title, subject, found in subjects
        for result in engine.evaluate_subject(ruleset, subject, found)
    ]


def _evidence(
    assessment: AssessmentRecord,
    number: int,
    finding_id: int,
    finding: FindingRecord,
    rises: dict[str, str],
    sms: dict[str, int | None],
    comparisons: dict[str, str],
) -> engine.FindingEvidence:
    return engine.FindingEvidence(
        finding_id=finding_id,
        assessment_id=number,
        assessing_organisation_id=number,
        independence=assessment.independence,
        study_id=number,
        sample_key=assessment.sample_key or f"study:{number}",
        study_design=assessment.study_design,
        sms=sms.get(assessment.study_design),
        comparison=finding.comparison or comparisons.get(assessment.study_design) or "NONE",
        peer_reviewed=assessment.peer_reviewed,
        outcome=finding.outcome,
        outcome_rise=rises.get(finding.outcome, ""),
        effect_direction=finding.effect_direction,
        significance=finding.significance,
        effect_size=finding.effect_size,
        ci_low=finding.ci_low,
        ci_high=finding.ci_high,
        risk_of_bias=finding.risk_of_bias,
        follow_up_months=finding.follow_up_months,
    )


def render(ratings: list[SeededRating], version: str) -> list[str]:
    lines = [
        "## The seeded registry's ratings",
        "",
        f"What rule set version {version} computes from the seed files (seed/registry/), each with the findings",
        "it weighed and its certainty trace; the API shows the same (`Initiative.outcomeRatings`,",
        "`BestPractice.outcomeRatings`). Assessors' organisations are numbered here, not named.",
        "",
    ]
    for rating in ratings:
        result = rating.result
        lines += [
            f"### {rating.subject}: {result.outcome}",
            "",
            f"**{result.rating}**, certainty {result.certainty}, rule `{result.rule_id}`, extent {result.extent}.",
            "",
        ]
        for contribution in result.contributions:
            where = rating.findings[contribution.finding_id]
            kept = "counted" if contribution.counted else f"set aside ({contribution.reason})"
            lines.append(f"- `{where}`: {kept}. {' '.join(contribution.explanation.split())}")
        lines += ["", "Certainty trace:", ""]
        lines += [f"- {step.domain} ({step.change:+d}) → {step.level}: {' '.join(step.explanation.split())}"
                  for step in result.trace]
        lines.append("")
    return lines
