"""An initiative's search document, built from the database: what it is called and says, who leads
and takes part, how it is classified, how its public evidence is rated, and who may see it."""

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.evidence.models import EvidenceAssessment, Finding
from api.initiatives.models import Initiative, InitiativeClassification, Participation
from api.organisations.models import Organisation, OrganisationStatus
from api.visibility import Visibility

BATCH = 500
# Classification schemes that become filterable document fields.
CLASSIFIED = {"harm": "harms", "intervention-type": "intervention_types", "country": "countries"}
LISTED_STATUSES = (OrganisationStatus.MEMBER, OrganisationStatus.OBSERVER)


# Meilisearch's highlight markers (api/search/meilisearch_backend.py): kept out of indexed text so
# that a stray one cannot shift the match ranges of a snippet.
_MARKERS = str.maketrans("", "", "\ue000\ue001")


def _text(value: str | None) -> str | None:
    return value.translate(_MARKERS) if value is not None else None


def document_id(initiative_id: int) -> str:
    return str(initiative_id)


def _names(organisation: Organisation) -> list[str]:
    return [organisation.name, *([organisation.acronym] if organisation.acronym else []), *organisation.aliases]


async def build(*, session: AsyncSession, initiative_ids: Sequence[int]) -> tuple[list[dict], list[str]]:
    """The documents of those initiatives that exist, and the document ids of those that do not
    (deleted, or never existed), which the index must drop."""
    documents: list[dict] = []
    gone: list[str] = []
    for start in range(0, len(initiative_ids), BATCH):
        batch = list(initiative_ids[start : start + BATCH])
        found, missing = await _build_batch(session, batch)
        documents += found
        gone += missing
    return documents, gone


async def _build_batch(session: AsyncSession, ids: list[int]) -> tuple[list[dict], list[str]]:
    initiatives = (
        await session.exec(select(Initiative).where(col(Initiative.id).in_(ids), col(Initiative.deleted_at).is_(None)))
    ).all()
    present = {i.id for i in initiatives}
    missing = [document_id(i) for i in ids if i not in present]
    if not initiatives:
        return [], missing

    partners: defaultdict[int, list[int]] = defaultdict(list)
    for initiative_id, organisation_id in (
        await session.exec(
            select(Participation.initiative_id, Participation.organisation_id).where(
                col(Participation.initiative_id).in_(present),
                # A partner the lead only proposed is not shown until it confirms (docs/access.md).
                col(Participation.confirmed_at).is_not(None),
            )
        )
    ).all():
        partners[initiative_id].append(organisation_id)
    organisation_ids = {i.lead_organisation_id for i in initiatives if i.lead_organisation_id is not None} | {
        o for os in partners.values() for o in os
    }
    organisations = {
        o.id: o
        for o in (await session.exec(select(Organisation).where(col(Organisation.id).in_(organisation_ids)))).all()
    }

    classified: defaultdict[int, defaultdict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for initiative_id, scheme, code in (
        await session.exec(
            select(
                InitiativeClassification.initiative_id, InitiativeClassification.scheme, InitiativeClassification.code
            ).where(
                col(InitiativeClassification.initiative_id).in_(present),
                col(InitiativeClassification.scheme).in_(CLASSIFIED),
            )
        )
    ).all():
        classified[initiative_id][CLASSIFIED[scheme]].append(code)

    # Only public evidence is rated in the index: a rating facet must not reveal a non-public assessment.
    ratings: defaultdict[int, set[str]] = defaultdict(set)
    for initiative_id, rating in (
        await session.exec(
            select(EvidenceAssessment.initiative_id, Finding.rating)
            .join(Finding, col(Finding.assessment_id) == EvidenceAssessment.id)
            .where(
                col(EvidenceAssessment.initiative_id).in_(present),
                col(EvidenceAssessment.deleted_at).is_(None),
                EvidenceAssessment.visibility == Visibility.PUBLIC,
            )
        )
    ).all():
        ratings[initiative_id].add(rating)

    documents = []
    for initiative in initiatives:
        lead = organisations[initiative.lead_organisation_id] if initiative.lead_organisation_id is not None else None
        taking_part = [organisations[o] for o in dict.fromkeys(partners[initiative.id]) if o in organisations]
        everyone = [*([lead] if lead else []), *[o for o in taking_part if lead is None or o.id != lead.id]]
        documents.append(
            {
                "id": document_id(initiative.id),
                "title": _text(initiative.title),
                "summary": _text(initiative.summary),
                "organisations": [_text(name) for o in everyone for name in _names(o)],
                "description": _text(initiative.description),
                "status": initiative.status,
                "harms": sorted(classified[initiative.id]["harms"]),
                "intervention_types": sorted(classified[initiative.id]["intervention_types"]),
                "countries": sorted(classified[initiative.id]["countries"]),
                "stakeholder_types": sorted({o.stakeholder_type for o in everyone}),
                "ratings": sorted(ratings[initiative.id]),
                "lead_organisation": lead.id if lead else None,
                "visibility": str(initiative.visibility),
                "owners": sorted({o.id for o in everyone}),
                # An initiative whose sources name no lead has no lead to be unlisted.
                "lead_listed": lead is None or lead.status in LISTED_STATUSES,
                "title_sort": initiative.title.casefold(),
                "updated_at": int(initiative.updated_at.timestamp()),
            }
        )
    return documents, missing


async def every_initiative_id(*, session: AsyncSession) -> AsyncIterator[list[int]]:
    """The ids of all initiatives that are not deleted, in batches, for a rebuild or a check."""
    last = 0
    while True:
        batch = list(
            (
                await session.exec(
                    select(Initiative.id)
                    .where(col(Initiative.deleted_at).is_(None), col(Initiative.id) > last)
                    .order_by(col(Initiative.id))
                    .limit(BATCH)
                )
            ).all()
        )
        if not batch:
            return
        yield batch
        last = batch[-1]
