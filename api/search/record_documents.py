"""The search documents of evidence assessments and best practices, built from the database
(docs/search.md, "Evidence" and "Best practices").

Only published records have rows here (drafts live in `revision`); a withdrawn or deleted one has no
document, and the index drops it. What a document shows is what anyone who may read the record may
see of it: the assessing organisation's names only when an anonymous caller may read it, ratings as
the rule set computes them from public evidence only. Its access fields carry, for each condition of
the domain's `readable` rule, the visibility and the organisations it compares; they are never shown.
"""

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import ANONYMOUS
from api.evidence.models import EvidenceAssessment, Finding, Study
from api.initiatives.models import Initiative, Participation
from api.organisations import service as organisations_service
from api.organisations.models import Organisation
from api.practices.models import BestPractice, PracticeClassification
from api.ratings.models import OutcomeRating
from api.search.documents import BATCH, LISTED_STATUSES, _names, _text, document_id
from api.vocabularies.models import VocabularyTerm


async def _labels(session: AsyncSession, vocabularies: Sequence[str]) -> dict[tuple[str, str], str]:
    rows = (
        await session.exec(
            select(VocabularyTerm.vocabulary, VocabularyTerm.code, VocabularyTerm.label).where(
                col(VocabularyTerm.vocabulary).in_(vocabularies)
            )
        )
    ).all()
    return {(vocabulary, code): label for vocabulary, code, label in rows}


async def _organisations(session: AsyncSession, ids: set[int]) -> tuple[dict[int, Organisation], set[int]]:
    """The organisations, and those of them an anonymous caller may read."""
    found = {o.id: o for o in (await session.exec(select(Organisation).where(col(Organisation.id).in_(ids)))).all()}
    public = set(
        (await session.exec(organisations_service.readable_ids(ANONYMOUS).where(col(Organisation.id).in_(ids)))).all()
    )
    return found, public  # type: ignore[return-value]


def _listed(organisation: Organisation | None) -> bool:
    return organisation is not None and organisation.status in LISTED_STATUSES


# --- evidence -------------------------------------------------------------------------------------


async def evidence_ids_of(*, session: AsyncSession, initiative_ids: Sequence[int] = (), study_of: Sequence[int] = ()) -> list[int]:
    """Every assessment (withdrawn ones too, so the index drops them) of these initiatives, and every
    assessment coding the same study as one of `study_of`: their documents depend on those records."""
    conditions = []
    if initiative_ids:
        conditions.append(col(EvidenceAssessment.initiative_id).in_(initiative_ids))
    if study_of:
        studies = select(EvidenceAssessment.study_id).where(col(EvidenceAssessment.id).in_(study_of))
        conditions.append(col(EvidenceAssessment.study_id).in_(studies))
    if not conditions:
        return []
    statement = select(EvidenceAssessment.id).where(sa.or_(*conditions))
    return list((await session.exec(statement)).all())  # type: ignore[arg-type]


async def build_evidence(*, session: AsyncSession, ids: Sequence[int]) -> tuple[list[dict], list[str]]:
    """The documents of those assessments that are published and not withdrawn, and the document ids
    of the others, which the index must drop."""
    documents: list[dict] = []
    gone: list[str] = []
    for start in range(0, len(ids), BATCH):
        found, missing = await _evidence_batch(session, list(ids[start : start + BATCH]))
        documents += found
        gone += missing
    return documents, gone


async def _evidence_batch(session: AsyncSession, ids: list[int]) -> tuple[list[dict], list[str]]:
    rows = (
        await session.exec(
            select(EvidenceAssessment, Study, Initiative)
            .join(Study, col(Study.id) == EvidenceAssessment.study_id)
            .join(Initiative, col(Initiative.id) == EvidenceAssessment.initiative_id)
            .where(
                col(EvidenceAssessment.id).in_(ids),
                col(EvidenceAssessment.deleted_at).is_(None),
                col(Study.deleted_at).is_(None),
                col(Initiative.deleted_at).is_(None),
            )
        )
    ).all()
    present = {a.id for a, _, _ in rows}
    missing = [document_id(i) for i in ids if i not in present]
    if not rows:
        return [], missing
    initiative_ids = {i.id for _, _, i in rows}
    study_ids = {s.id for _, s, _ in rows}

    findings: defaultdict[int, list[Finding]] = defaultdict(list)
    for finding in (await session.exec(select(Finding).where(col(Finding.assessment_id).in_(present)).order_by(col(Finding.id)))).all():
        findings[finding.assessment_id].append(finding)
    partners: defaultdict[int, set[int]] = defaultdict(set)
    for initiative_id, organisation_id in (
        await session.exec(
            select(Participation.initiative_id, Participation.organisation_id).where(
                col(Participation.initiative_id).in_(initiative_ids)
            )
        )
    ).all():
        partners[initiative_id].add(organisation_id)
    # Whoever is involved in a live assessment coding a study may read that study (api/evidence/visibility.py).
    study_involved: defaultdict[int, set[int]] = defaultdict(set)
    coding = (
        await session.exec(
            select(EvidenceAssessment.study_id, EvidenceAssessment.assessing_organisation_id, EvidenceAssessment.initiative_id).where(
                col(EvidenceAssessment.study_id).in_(study_ids), col(EvidenceAssessment.deleted_at).is_(None)
            )
        )
    ).all()
    coded_initiatives = {initiative_id for _, _, initiative_id in coding} - initiative_ids
    if coded_initiatives:
        for initiative_id, organisation_id in (
            await session.exec(
                select(Participation.initiative_id, Participation.organisation_id).where(
                    col(Participation.initiative_id).in_(coded_initiatives)
                )
            )
        ).all():
            partners[initiative_id].add(organisation_id)
    leads = dict(
        (
            await session.exec(
                select(Initiative.id, Initiative.lead_organisation_id).where(
                    col(Initiative.id).in_(initiative_ids | coded_initiatives)
                )
            )
        ).all()
    )
    for study_id, assessor, initiative_id in coding:
        study_involved[study_id] |= {assessor, *partners[initiative_id], *([leads[initiative_id]] if leads.get(initiative_id) else [])}

    organisation_ids = {a.assessing_organisation_id for a, _, _ in rows} | {s.organisation_id for _, s, _ in rows} | {
        i.lead_organisation_id for _, _, i in rows if i.lead_organisation_id is not None
    }
    organisations, public = await _organisations(session, organisation_ids)
    labels = await _labels(session, ["study-design", "outcome", "effect-direction"])
    ratings: dict[tuple[int, str], str] = {
        (initiative_id, outcome): rating
        for initiative_id, outcome, rating in (
            await session.exec(
                select(OutcomeRating.initiative_id, OutcomeRating.outcome, OutcomeRating.rating).where(
                    col(OutcomeRating.initiative_id).in_(initiative_ids), col(OutcomeRating.withdrawn).is_(False)
                )
            )
        ).all()
    }

    documents = []
    for assessment, study, initiative in rows:
        assessor = organisations.get(assessment.assessing_organisation_id)
        lead_id = initiative.lead_organisation_id
        lead = organisations.get(lead_id) if lead_id is not None else None
        found = findings[assessment.id]
        outcomes = sorted({f.outcome for f in found})
        involved = {assessment.assessing_organisation_id, *partners[initiative.id], *([lead_id] if lead_id else [])}
        documents.append(
            {
                "id": document_id(assessment.id),
                "study_title": _text(study.title),
                "initiative_title": _text(initiative.title),
                "outcomes": [_text(labels.get(("outcome", o), o)) for o in outcomes],
                # The assessing organisation is named only when anyone may read it.
                "organisations": _names([assessor]) if assessor is not None and assessor.id in public else [],
                "design": _text(labels.get(("study-design", study.study_design), study.study_design)),
                "effect_directions": list(
                    dict.fromkeys(_text(labels.get(("effect-direction", f.effect_direction), f.effect_direction)) for f in found)
                ),
                "study_design": study.study_design,
                "outcome": outcomes,
                "independence": assessment.independence,
                # The computed rating of each outcome it has findings on (public evidence only).
                "rating": sorted({r for o in outcomes if (r := ratings.get((initiative.id, o))) is not None}),
                "countries": sorted(study.countries or []),
                "visibility": str(assessment.visibility),
                "owners": sorted(involved),
                "assessor": assessment.assessing_organisation_id,
                "assessor_listed": _listed(assessor),
                "study_visibility": str(study.visibility),
                "study_owners": sorted({study.organisation_id, *study_involved[study.id]}),
                "study_organisation": study.organisation_id,
                "study_organisation_listed": _listed(organisations.get(study.organisation_id)),
                "initiative_visibility": str(initiative.visibility),
                "initiative_owners": sorted({*partners[initiative.id], *([lead_id] if lead_id else [])}),
                "initiative_lead": lead_id,
                # An initiative whose sources name no lead has no lead to be unlisted.
                "initiative_lead_listed": lead_id is None or _listed(lead),
                "title_sort": study.title.casefold(),
                "updated_at": int(assessment.updated_at.timestamp()),
            }
        )
    return documents, missing


async def every_evidence_id(*, session: AsyncSession) -> AsyncIterator[list[int]]:
    """The ids of all assessments not withdrawn, in batches, for a rebuild or a check."""
    async for batch in _every(session, EvidenceAssessment):
        yield batch


# --- best practices -------------------------------------------------------------------------------


async def build_practices(*, session: AsyncSession, ids: Sequence[int]) -> tuple[list[dict], list[str]]:
    documents: list[dict] = []
    gone: list[str] = []
    for start in range(0, len(ids), BATCH):
        found, missing = await _practice_batch(session, list(ids[start : start + BATCH]))
        documents += found
        gone += missing
    return documents, gone


async def _practice_batch(session: AsyncSession, ids: list[int]) -> tuple[list[dict], list[str]]:
    practices = (
        await session.exec(select(BestPractice).where(col(BestPractice.id).in_(ids), col(BestPractice.deleted_at).is_(None)))
    ).all()
    present = {p.id for p in practices}
    missing = [document_id(i) for i in ids if i not in present]
    if not practices:
        return [], missing
    classified: defaultdict[int, defaultdict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for practice_id, scheme, code in (
        await session.exec(
            select(PracticeClassification.practice_id, PracticeClassification.scheme, PracticeClassification.code).where(
                col(PracticeClassification.practice_id).in_(present)
            )
        )
    ).all():
        classified[practice_id][scheme].append(code)
    organisations, _ = await _organisations(session, {p.organisation_id for p in practices})
    labels = await _labels(session, ["harm", "intervention-type", "evidence-basis"])
    documents = []
    for practice in practices:
        harms = sorted(classified[practice.id]["harm"])
        types = sorted(classified[practice.id]["intervention-type"])
        documents.append(
            {
                "id": document_id(practice.id),
                "title": _text(practice.title),
                "statement": _text(practice.statement),
                "harm_labels": [_text(labels.get(("harm", c), c)) for c in harms],
                "intervention_type_labels": [_text(labels.get(("intervention-type", c), c)) for c in types],
                "evidence_basis_label": _text(labels.get(("evidence-basis", practice.evidence_basis), practice.evidence_basis)),
                "rationale": _text(practice.rationale),
                "harms": harms,
                "intervention_types": types,
                "evidence_basis": practice.evidence_basis,
                "visibility": str(practice.visibility),
                "owners": [practice.organisation_id],
                "organisation_listed": _listed(organisations.get(practice.organisation_id)),
                "title_sort": practice.title.casefold(),
                "updated_at": int(practice.updated_at.timestamp()),
            }
        )
    return documents, missing


async def every_practice_id(*, session: AsyncSession) -> AsyncIterator[list[int]]:
    """The ids of all practices not withdrawn, in batches, for a rebuild or a check."""
    async for batch in _every(session, BestPractice):
        yield batch


async def _every(session: AsyncSession, model: type[EvidenceAssessment] | type[BestPractice]) -> AsyncIterator[list[int]]:
    last = 0
    while True:
        batch = list(
            (
                await session.exec(
                    select(model.id)
                    .where(col(model.deleted_at).is_(None), col(model.id) > last)
                    .order_by(col(model.id))
                    .limit(BATCH)
                )
            ).all()
        )
        if not batch:
            return
        yield batch  # type: ignore[misc]
        last = batch[-1]  # type: ignore[assignment]


async def count(*, session: AsyncSession, record_type: str) -> int:
    """How many documents the record type's index should hold (for progress bars)."""
    model = EvidenceAssessment if record_type == "evidence" else BestPractice
    return (await session.exec(select(sa.func.count()).select_from(model).where(col(model.deleted_at).is_(None)))).one()  # type: ignore[attr-defined]
