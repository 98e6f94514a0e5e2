"""An initiative's search document, built from the database: what it is called and says, who leads
and takes part, how it is classified, how its public evidence is rated, and who may see it.

One document serves every caller, so what it shows and counts is what anyone who may read the
initiative may see of it, by the API's own rules: partners and assessing organisations only when
an anonymous caller may read them (`organisations.readable`), ratings as the rule set computes
them from public evidence only (api/ratings/service.py).
The lead is always in: when it is not listed, only the lead itself and the secretariat may see the
document at all (the access filter's `lead_listed`), and both may read the lead. The access fields
(`owners`) name every lead and partner, as the database's rule does; they are never shown.
"""

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import ANONYMOUS
from api.core.batches import codes_by_scheme
from api.evidence.models import EvidenceAssessment
from api.evidence.visibility import visible_on_readable_initiative
from api.ratings.models import OutcomeRating
from api.initiatives.models import Initiative, InitiativeClassification, Participation
from api.organisations import service as organisations_service
from api.organisations.models import Organisation
from api.search import classifications as named

BATCH = 500
# Classification schemes that become filterable document fields.
CLASSIFIED = {"harm": "harms", "intervention-type": "intervention_types", "country": "countries"}
# Organisations anyone may read (`organisations.readable`): a lead with another status is not listed.
LISTED_STATUSES = organisations_service.VISIBLE_STATUSES


# Meilisearch's highlight markers (api/search/meilisearch_backend.py): kept out of indexed text so
# that a stray one cannot shift the match ranges of a snippet.
_MARKERS = str.maketrans("", "", "\ue000\ue001")


def _text(value: str | None) -> str | None:
    return value.translate(_MARKERS) if value is not None else None


def document_id(initiative_id: int) -> str:
    return str(initiative_id)


def _once(texts: Iterable[str], *, besides: Iterable[str] = ()) -> list[str]:
    """Each text once, compared without regard to case, in the order given (so the first spelling,
    the canonical one, is kept); texts equal to one of `besides` are left out."""
    seen = {t.casefold() for t in besides}
    kept = []
    for text in texts:
        if text.casefold() not in seen:
            seen.add(text.casefold())
            kept.append(text)
    return kept


def _names(organisations: Sequence[Organisation]) -> list[str]:
    """Every organisation's name, acronym and aliases, each once."""
    return _once(
        _text(name)  # type: ignore[misc]
        for o in organisations
        for name in (o.name, *([o.acronym] if o.acronym else []), *(o.aliases or []))
    )


def _misspellings(organisations: Sequence[Organisation], names: Sequence[str]) -> list[str]:
    """Damaged spellings of their names: searched, never highlighted (`schema.INITIATIVES.unshown`)."""
    return _once((_text(m) for o in organisations for m in (o.misspellings or [])), besides=names)  # type: ignore[misc]


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
    public = set(
        (
            await session.exec(
                organisations_service.readable_ids(ANONYMOUS).where(col(Organisation.id).in_(organisation_ids))
            )
        ).all()
    )

    held_codes = (
        await session.exec(
            select(
                InitiativeClassification.initiative_id,
                InitiativeClassification.scheme,
                InitiativeClassification.code,
            ).where(
                col(InitiativeClassification.initiative_id).in_(present),
                col(InitiativeClassification.scheme).in_([*CLASSIFIED, *named.VOCABULARY_SCHEMES]),
            )
        )
    ).all()
    order = sorted(present)
    codes = dict(zip(order, codes_by_scheme(order, held_codes, lambda row: row.initiative_id), strict=True))
    # The filterable fields' codes (harms, intervention types, countries) by initiative.
    classified = {
        initiative_id: {field: held.get(scheme, []) for scheme, field in CLASSIFIED.items()}
        for initiative_id, held in codes.items()
    }
    words = await named.vocabulary_words(session=session)

    # Whether an anonymous reader sees any evidence on the initiative: the same rule as the ratings
    # (public, not withdrawn, by a listed organisation), so the facet never reveals a hidden assessment.
    evidenced = set(
        (
            await session.exec(
                select(EvidenceAssessment.initiative_id).where(
                    col(EvidenceAssessment.initiative_id).in_(present), visible_on_readable_initiative(ANONYMOUS)
                )
            )
        ).all()
    )

    # The computed outcome ratings: they rest on public evidence only (api/ratings/service.py), so a
    # rating facet never reveals a non-public assessment.
    ratings: defaultdict[int, set[str]] = defaultdict(set)
    for initiative_id, rating in (
        await session.exec(
            select(OutcomeRating.initiative_id, OutcomeRating.rating).where(
                col(OutcomeRating.initiative_id).in_(present), col(OutcomeRating.withdrawn).is_(False)
            )
        )
    ).all():
        ratings[initiative_id].add(rating)

    documents = []
    for initiative in initiatives:
        lead = organisations[initiative.lead_organisation_id] if initiative.lead_organisation_id is not None else None
        taking_part = [organisations[o] for o in dict.fromkeys(partners[initiative.id]) if o in organisations]
        everyone = [*([lead] if lead else []), *[o for o in taking_part if lead is None or o.id != lead.id]]
        shown = [o for o in everyone if o is lead or o.id in public]
        names = _names(shown)
        held = classified.get(initiative.id, {})
        documents.append(
            {
                "id": document_id(initiative.id),
                "title": _text(initiative.title),
                "summary": _text(initiative.summary),
                "organisations": names,
                "misspellings": _misspellings(shown, names),
                "description": _text(initiative.description),
                "classifications": named.words_of(
                    words,
                    status=initiative.status,
                    codes=codes.get(initiative.id, {}),
                    countries=held.get("countries", []),
                ),
                "status": initiative.status,
                "harms": sorted(held.get("harms", [])),
                "intervention_types": sorted(held.get("intervention_types", [])),
                "countries": sorted(held.get("countries", [])),
                "stakeholder_types": sorted({o.stakeholder_type for o in shown}),
                "ratings": sorted(ratings[initiative.id]),
                "has_evidence": initiative.id in evidenced,
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
