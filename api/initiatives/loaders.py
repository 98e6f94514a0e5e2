"""Batch loads for initiatives and what they hold, and the prefetch behind a page of them."""

import asyncio
from collections.abc import Awaitable, Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.evidence import loaders as evidence_loaders
from api.figures import loaders as figure_loaders
from api.initiatives import service
from api.initiatives.models import Initiative, Participation
from api.graphql.loaders import Loaders
from api.organisations import loaders as organisation_loaders

CLASSIFIED_FIELDS = frozenset(
    {"interventionTypes", "harms", "mnrCapabilities", "targetGroups", "regions", "countries", "languages"}
)
FIGURE_CLASSIFIED_FIELDS = frozenset({"figures.harms", "figures.regions", "figures.countries"})


async def initiative_by_id(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[Initiative | None]:
    return await service.by_ids(session=session, principal=principal, ids=keys)


async def participations_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[list[Participation]]:
    return await service.participations_of(session=session, principal=principal, initiative_ids=keys)


async def parts_of(keys: Sequence[int], *, session: AsyncSession, principal: Principal) -> list[list[Initiative]]:
    return await service.parts_of(session=session, principal=principal, initiative_ids=keys)


async def classifications_of(
    keys: Sequence[int], *, session: AsyncSession, principal: Principal
) -> list[dict[str, list[str]]]:
    return await service.classifications_of(session=session, initiative_ids=keys)


async def prefetch_page(
    loaders: Loaders, rows: Sequence[Initiative], *, selected: frozenset[str], prefix: str
) -> None:
    """Load, for a whole page, the nested records the query selects under `prefix` (e.g. "edges.node.").

    The same DataLoaders the nested fields use do the work, one batch per kind in two rounds, so those
    fields then find their values loaded and resolve synchronously (see `Loaders.resolve`). Authorization
    is unchanged: every batch goes through the same readable-statement functions as before.
    """

    def wants(path: str) -> bool:
        return prefix + path in selected

    ids = [row.id for row in rows]
    if not ids:
        return
    for row in rows:  # `participations { initiative }` and `assessments { initiative }` lead back here
        loaders(initiative_by_id).prime(row.id, row)
    first_round: dict[str, Awaitable[list]] = {}
    if wants("participations"):
        first_round["participations"] = loaders(participations_of).load_many(ids)
    if wants("assessments"):
        first_round["assessments"] = loaders(evidence_loaders.assessments_of).load_many(ids)
    if any(wants(name) for name in CLASSIFIED_FIELDS):
        first_round["classifications"] = loaders(classifications_of).load_many(ids)
    if wants("figures"):
        first_round["figures"] = loaders(figure_loaders.figures_of).load_many(ids)
    loaded = dict(zip(first_round, await asyncio.gather(*first_round.values()), strict=True))

    organisation_ids: set[int] = set()
    if wants("leadOrganisation"):
        organisation_ids.update(row.lead_organisation_id for row in rows if row.lead_organisation_id is not None)
    participations = [p for group in loaded.get("participations", []) for p in group]
    if wants("participations.organisation"):
        organisation_ids.update(p.organisation_id for p in participations)
    assessments = [a for group in loaded.get("assessments", []) for a in group]
    if wants("assessments.assessingOrganisation"):
        organisation_ids.update(a.assessing_organisation_id for a in assessments)
    figures = list({f.id: f for group in loaded.get("figures", []) for f in group}.values())
    if wants("figures.sourceOrganisation"):
        organisation_ids.update(f.source_organisation_id for f in figures if f.source_organisation_id is not None)
    if wants("figures.recordingOrganisation"):
        organisation_ids.update(f.recording_organisation_id for f in figures if f.recording_organisation_id is not None)
    second_round: list[Awaitable[list]] = []
    if organisation_ids:
        second_round.append(loaders(organisation_loaders.organisation_by_id).load_many(sorted(organisation_ids)))
    if assessments and wants("assessments.findings"):
        second_round.append(loaders(evidence_loaders.findings_of).load_many([a.id for a in assessments]))
    if figures and any(wants(name) for name in FIGURE_CLASSIFIED_FIELDS):
        second_round.append(loaders(figure_loaders.classifications_of).load_many([f.id for f in figures]))
    if figures and wants("figures.initiatives"):
        second_round.append(loaders(figure_loaders.initiatives_of).load_many([f.id for f in figures]))
    await asyncio.gather(*second_round)
