"""Computing outcome ratings: gather the public evidence of each subject, let the rule set decide,
store the result with its trace, and append to the rating's history whenever it changes.

Only evidence anyone may read counts: a public assessment of a public study by an organisation an
anonymous reader may see. A rating coplab shows must be one every reader can check against the
published rules, and a rating resting on hidden evidence would also disclose that evidence.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.activity import service as activity
from api.activity.models import ActivityKind
from api.auth.principal import ANONYMOUS, Principal
from api.core.db import utcnow
from api.core import validation
from api.core.errors import DomainError, ErrorCode, Problems
from api.evidence.models import EvidenceAssessment, Finding, Study
from api.evidence.visibility import visible_on_readable_initiative
from api.initiatives.models import Initiative
from api.practices.models import BestPractice, PracticeEvidence
from api.ratings import engine
from api.ratings.models import OutcomeRating, OutcomeRatingChange, RatingRulesetState
from api.ratings.ruleset import Ruleset, load_ruleset, ruleset_versions
from api.search import outbox as search_outbox
from api.vocabularies.models import VocabularyTerm


class Reason(StrEnum):
    """Why a rating changed, as its history records it."""

    NEW_EVIDENCE = "NEW-EVIDENCE"
    CORRECTION = "CORRECTION"
    WITHDRAWAL = "WITHDRAWAL"
    SUBJECT = "SUBJECT"
    RULESET = "RULESET"
    APPEAL = "APPEAL"


async def current_version(session: AsyncSession) -> str:
    """The adopted rule set version; before any adoption, the newest one published."""
    state = await session.get(RatingRulesetState, 1)
    return state.current_version if state is not None else ruleset_versions()[-1]


def rated_initiative_ids(ratings: Sequence[str]) -> sa.Select:
    """Initiatives with an outcome rated one of `ratings` (combine with the initiatives' `readable`)."""
    return select(OutcomeRating.initiative_id).where(
        col(OutcomeRating.rating).in_(ratings), col(OutcomeRating.withdrawn).is_(False)
    )


def _public_evidence() -> sa.ColumnElement[bool]:
    return visible_on_readable_initiative(ANONYMOUS)


async def _attributes(session: AsyncSession) -> tuple[dict[str, str], dict[str, int | None]]:
    """Each outcome's `rise` and each design's SMS level, from the vocabularies."""
    terms = (
        await session.exec(
            select(VocabularyTerm).where(col(VocabularyTerm.vocabulary).in_(["outcome", "study-design"]))
        )
    ).all()
    rises = {t.code: t.attributes.get("rise", "") for t in terms if t.vocabulary == "outcome"}
    sms = {
        t.code: int(t.attributes["sms"]) if t.attributes.get("sms") else None
        for t in terms
        if t.vocabulary == "study-design"
    }
    return rises, sms


def _evidence(
    finding: Finding, assessment: EvidenceAssessment, study: Study, rises: dict[str, str], sms: dict[str, int | None]
) -> engine.FindingEvidence:
    return engine.FindingEvidence(
        finding_id=finding.id,
        assessment_id=assessment.id,
        assessing_organisation_id=assessment.assessing_organisation_id,
        independence=assessment.independence,
        study_id=study.id,
        sample_key=study.sample_key or f"study:{study.id}",
        study_design=study.study_design,
        sms=sms.get(study.study_design),
        comparison=finding.comparison,
        peer_reviewed=study.peer_reviewed,
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


async def _findings_by_subject(
    session: AsyncSession, *, initiative_ids: Sequence[int], practice_ids: Sequence[int]
) -> dict[tuple[str, int], list[engine.FindingEvidence]]:
    """The public findings each subject's ratings rest on, in finding order."""
    rises, sms = await _attributes(session)
    base = (
        select(Finding, EvidenceAssessment, Study)
        .join(EvidenceAssessment, col(EvidenceAssessment.id) == Finding.assessment_id)
        .join(Study, col(Study.id) == EvidenceAssessment.study_id)
        .where(_public_evidence())
        .order_by(Finding.id)
    )
    found: dict[tuple[str, int], list[engine.FindingEvidence]] = defaultdict(list)
    if initiative_ids:
        rows = (await session.exec(base.where(col(EvidenceAssessment.initiative_id).in_(initiative_ids)))).all()
        for finding, assessment, study in rows:
            found[("initiative", assessment.initiative_id)].append(_evidence(finding, assessment, study, rises, sms))
    if practice_ids:
        cited = base.add_columns(PracticeEvidence.practice_id).join(
            PracticeEvidence, col(PracticeEvidence.assessment_id) == EvidenceAssessment.id
        )
        rows = (await session.exec(cited.where(col(PracticeEvidence.practice_id).in_(practice_ids)))).all()
        for finding, assessment, study, practice_id in rows:
            found[("practice", practice_id)].append(_evidence(finding, assessment, study, rises, sms))
    return found


async def _subjects(
    session: AsyncSession, *, initiative_ids: Sequence[int], practice_ids: Sequence[int]
) -> dict[tuple[str, int], engine.Subject]:
    subjects: dict[tuple[str, int], engine.Subject] = {}
    if initiative_ids:
        for row_id, status in (
            await session.exec(select(Initiative.id, Initiative.status).where(col(Initiative.id).in_(initiative_ids)))
        ).all():
            subjects[("initiative", row_id)] = engine.Subject(kind="INITIATIVE", status=status)
    if practice_ids:
        statement = select(BestPractice.id, BestPractice.evidence_basis).where(
            col(BestPractice.id).in_(practice_ids), col(BestPractice.deleted_at).is_(None)
        )
        for row_id, basis in (await session.exec(statement)).all():
            subjects[("practice", row_id)] = engine.Subject(kind="PRACTICE", evidence_basis=(basis,))
    return subjects


def evaluate_all(
    ruleset: Ruleset,
    subjects: dict[tuple[str, int], engine.Subject],
    findings: dict[tuple[str, int], list[engine.FindingEvidence]],
    stored_outcomes: dict[tuple[str, int], set[str]],
) -> dict[tuple[str, int], list[engine.RatingResult]]:
    """Every subject's ratings under `ruleset`, including outcomes it was rated on before and has no
    finding on now (they are rated on nothing, and keep their history)."""
    results = {}
    for key, subject in subjects.items():
        evidence = findings.get(key, [])
        by_outcome = {r.outcome: r for r in engine.evaluate_subject(ruleset, subject, evidence)}
        for outcome in stored_outcomes.get(key, set()) - by_outcome.keys():
            by_outcome[outcome] = engine.evaluate(ruleset, subject, outcome, [])
        results[key] = [by_outcome[o] for o in sorted(by_outcome)]
    return results


def _columns(result: engine.RatingResult) -> dict[str, object]:
    return {
        "rating": result.rating,
        "certainty": result.certainty,
        "extent": result.extent,
        "sustained": result.sustained,
        "independently_replicated": result.independently_replicated,
        "self_evaluated_only": result.self_evaluated_only,
        "withdrawn": not result.contributions,
        "ruleset_version": result.ruleset_version,
        "rule_id": result.rule_id,
        "contributions": [asdict(c) for c in result.contributions],
        "trace": [asdict(t) for t in result.trace],
    }


def _subject_column(kind: str) -> sa.ColumnElement:
    return OutcomeRating.initiative_id if kind == "initiative" else OutcomeRating.practice_id  # type: ignore[return-value]


async def _stored(
    session: AsyncSession, *, initiative_ids: Sequence[int], practice_ids: Sequence[int]
) -> dict[tuple[str, int], dict[str, OutcomeRating]]:
    stored: dict[tuple[str, int], dict[str, OutcomeRating]] = defaultdict(dict)
    for kind, ids in (("initiative", initiative_ids), ("practice", practice_ids)):
        if ids:
            column = _subject_column(kind)
            for row in (await session.exec(select(OutcomeRating).where(col(column).in_(ids)))).all():
                stored[(kind, getattr(row, column.key))][row.outcome] = row
    return stored


async def recompute(
    *,
    session: AsyncSession,
    initiative_ids: Iterable[int] = (),
    practice_ids: Iterable[int] = (),
    reason: Reason,
    actor: str,
    note: str | None = None,
    version: str | None = None,
) -> int:
    """Recompute the subjects' ratings under the current rule set (or `version`); returns how many
    ratings changed. Flushes, never commits."""
    initiative_ids, practice_ids = sorted(set(initiative_ids)), sorted(set(practice_ids))
    if not initiative_ids and not practice_ids:
        return 0
    ruleset = load_ruleset(version or await current_version(session))
    stored = await _stored(session, initiative_ids=initiative_ids, practice_ids=practice_ids)
    results = evaluate_all(
        ruleset,
        await _subjects(session, initiative_ids=initiative_ids, practice_ids=practice_ids),
        await _findings_by_subject(session, initiative_ids=initiative_ids, practice_ids=practice_ids),
        {key: set(rows) for key, rows in stored.items()},
    )
    # Plain rows, inserted in bulk: building a model object for each rating would cost more than
    # computing it (tests/perf/bench_ratings.py).
    new: list[dict] = []
    moved: list[dict] = []  # the history entry of every new rating, and of each whose value or version changed
    previous: dict[int, dict[str, str]] = {}  # what each changed rating was, for the activity trail
    touched_initiatives: set[int] = set()
    for (kind, subject_id), subject_results in results.items():
        for result in subject_results:
            columns = _columns(result)
            row = stored.get((kind, subject_id), {}).get(result.outcome)
            if row is None:
                new.append({"initiative_id": None, "practice_id": None, _subject_column(kind).key: subject_id,
                            "outcome": result.outcome, **columns, "computed_at": utcnow()})
            elif all(getattr(row, k) == v for k, v in columns.items()):
                continue
            else:
                before = (row.rating, row.certainty, row.ruleset_version)
                for key, value in columns.items():
                    setattr(row, key, value)
                row.computed_at = utcnow()
                if before == (row.rating, row.certainty, row.ruleset_version):
                    continue  # the same rating, its contributions or trace explained anew
                moved.append({"rating_id": row.id, **_change(columns)})
                previous[row.id] = {"rating": before[0], "certainty": before[1]}
            if kind == "initiative":
                touched_initiatives.add(subject_id)
    if new:
        inserted = await session.exec(
            sa.insert(OutcomeRating).returning(OutcomeRating.id, sort_by_parameter_order=True), params=new
        )
        moved.extend({"rating_id": rating_id, **_change(values)} for (rating_id,), values in zip(inserted, new, strict=True))
    if moved:
        now = utcnow()
        await session.exec(
            sa.insert(OutcomeRatingChange),
            params=[{**entry, "reason": reason, "note": note, "changed_by": actor, "changed_at": now} for entry in moved],
        )
        await activity.record_many(
            session=session,
            actor=actor,
            kind=ActivityKind.RATING_CHANGED,
            subject_type="OutcomeRating",
            entries=[(entry["rating_id"], _trail_detail(entry, previous, reason, note)) for entry in moved],
        )
    # The search documents carry each initiative's ratings.
    search_outbox.enqueue(session, sorted(touched_initiatives))
    await session.flush()
    return len(moved)


def _change(columns: dict[str, object]) -> dict[str, object]:
    return {name: columns[name] for name in ("rating", "certainty", "ruleset_version", "rule_id")}


def _trail_detail(entry: dict, previous: dict[int, dict[str, str]], reason: Reason, note: str | None) -> dict:
    """An activity entry's detail for a history entry: the rating before (null for a new one) and after."""
    return {
        "before": previous.get(entry["rating_id"]),
        "after": {"rating": entry["rating"], "certainty": entry["certainty"]},
        "reason": str(reason),
        "note": note,
        "rulesetVersion": entry["ruleset_version"],
        "ruleId": entry["rule_id"],
    }


async def subjects_of_assessments(
    session: AsyncSession, assessment_ids: Sequence[int]
) -> tuple[list[int], list[int]]:
    """The initiatives the assessments are about and the best practices citing them."""
    initiative_ids = (
        await session.exec(
            select(EvidenceAssessment.initiative_id).where(col(EvidenceAssessment.id).in_(assessment_ids))
        )
    ).all()
    practice_ids = (
        await session.exec(
            select(PracticeEvidence.practice_id).where(col(PracticeEvidence.assessment_id).in_(assessment_ids))
        )
    ).all()
    return list(initiative_ids), list(practice_ids)


async def recompute_for_assessments(
    *, session: AsyncSession, assessment_ids: Sequence[int], reason: Reason, actor: str
) -> int:
    initiative_ids, practice_ids = await subjects_of_assessments(session, assessment_ids)
    return await recompute(
        session=session, initiative_ids=initiative_ids, practice_ids=practice_ids, reason=reason, actor=actor
    )


async def recompute_for_organisation(*, session: AsyncSession, organisation_id: int, listed: bool, actor: str) -> int:
    """After an organisation was admitted, suspended or reinstated: the ratings resting on its assessments
    or on studies it registered, whose evidence only counts while the organisation is listed."""
    assessment_ids = (
        await session.exec(
            select(EvidenceAssessment.id)
            .join(Study, col(Study.id) == EvidenceAssessment.study_id)
            .where(
                sa.or_(EvidenceAssessment.assessing_organisation_id == organisation_id, Study.organisation_id == organisation_id)
            )
        )
    ).all()
    reason = Reason.NEW_EVIDENCE if listed else Reason.WITHDRAWAL
    return await recompute_for_assessments(session=session, assessment_ids=list(assessment_ids), reason=reason, actor=actor)


async def recompute_studies(*, session: AsyncSession, study_ids: Sequence[int], actor: str) -> int:
    """After a study was corrected: every rating resting on an assessment of it."""
    assessment_ids = (
        await session.exec(select(EvidenceAssessment.id).where(col(EvidenceAssessment.study_id).in_(study_ids)))
    ).all()
    return await recompute_for_assessments(
        session=session, assessment_ids=list(assessment_ids), reason=Reason.CORRECTION, actor=actor
    )


async def recompute_everything(
    *, session: AsyncSession, reason: Reason, actor: str, version: str | None = None, note: str | None = None
) -> int:
    """Every initiative's and best practice's ratings (startup of a new database, a rule set adopted)."""
    initiative_ids = (await session.exec(select(Initiative.id))).all()
    practice_ids = (await session.exec(select(BestPractice.id).where(col(BestPractice.deleted_at).is_(None)))).all()
    return await recompute(
        session=session,
        initiative_ids=initiative_ids,
        practice_ids=practice_ids,
        reason=reason,
        actor=actor,
        version=version,
        note=note,
    )


@dataclass(frozen=True)
class ShadowChange:
    """One rating a rule set version would change: from what the current version computed, to what it computes."""

    rating: OutcomeRating | None  # None: the subject has no rating for this outcome yet
    initiative_id: int | None
    practice_id: int | None
    outcome: str
    result: engine.RatingResult


async def shadow_changes(
    *, session: AsyncSession, version: str, initiative_ids: sa.Select, practice_ids: sa.Select
) -> list[ShadowChange]:
    """What adopting `version` would change among the given subjects (readable ones, from the caller),
    computed beside the current ratings without writing anything."""
    initiatives = list((await session.exec(initiative_ids)).all())
    practices = list((await session.exec(practice_ids)).all())
    stored = await _stored(session, initiative_ids=initiatives, practice_ids=practices)
    results = evaluate_all(
        load_ruleset(version),
        await _subjects(session, initiative_ids=initiatives, practice_ids=practices),
        await _findings_by_subject(session, initiative_ids=initiatives, practice_ids=practices),
        {key: set(rows) for key, rows in stored.items()},
    )
    changes = []
    for (kind, subject_id), subject_results in sorted(results.items()):
        for result in subject_results:
            row = stored.get((kind, subject_id), {}).get(result.outcome)
            if row is not None and (row.rating, row.certainty, row.rule_id) == (result.rating, result.certainty, result.rule_id):
                continue
            changes.append(
                ShadowChange(
                    rating=row,
                    initiative_id=subject_id if kind == "initiative" else None,
                    practice_id=subject_id if kind == "practice" else None,
                    outcome=result.outcome,
                    result=result,
                )
            )
    return changes


async def adopt(*, session: AsyncSession, principal: Principal, version: str, note: str | None = None) -> int:
    """Make `version` the current rule set and recompute every rating under it (the secretariat's act);
    each rating it moves records the change, with reason RULESET. Returns how many changed."""
    if not principal.is_lab_admin:
        raise DomainError.one(["version"], ErrorCode.FORBIDDEN, "Only the Lab's secretariat adopts a rule set.")
    problems = Problems()
    note = validation.text(problems, ["note"], note, max_length=2000, multiline=True)
    problems.raise_if_any()
    if version not in ruleset_versions():
        raise DomainError.one(["version"], ErrorCode.NOT_FOUND, f"No published rule set version {version!r}.")
    state = await session.get(RatingRulesetState, 1)
    if state is not None and state.current_version == version:
        raise DomainError.one(["version"], ErrorCode.CONFLICT, f"Version {version} is already the current rule set.")
    if state is None:
        state = RatingRulesetState(id=1, current_version=version, adopted_by=principal.subject)
        session.add(state)
    state.current_version, state.adopted_at, state.adopted_by = version, utcnow(), principal.subject
    await session.flush()
    return await recompute_everything(
        session=session, reason=Reason.RULESET, actor=principal.subject, version=version, note=note
    )


async def adopt_first_ruleset(*, session: AsyncSession, actor: str) -> int:
    """On a database that has never adopted a rule set: adopt the newest and rate everything under it.
    Returns how many ratings were computed (0 when a rule set was adopted before)."""
    if await session.get(RatingRulesetState, 1) is not None:
        return 0
    version = ruleset_versions()[-1]
    session.add(RatingRulesetState(id=1, current_version=version, adopted_by=actor))
    await session.flush()
    return await recompute_everything(session=session, reason=Reason.RULESET, actor=actor, version=version)
