"""The evidence-and-gap map's cache: maps computed by `api.maps.service.compute`, kept per data version.

A map is a function of its arguments, the caller's scope and the data, so it is kept until the data
change; the data version moves with any row a map reads (docs/evidence-map.md, "Cache").
"""

import hashlib
from collections import OrderedDict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.evidence.models import EvidenceAssessment, Finding, Study
from api.initiatives.models import Initiative, Participation
from api.maps.service import (
    SYNTHESIS_MIN_STUDIES,
    SYNTHESIS_YEARS,
    Axis,
    EvidenceMap,
    Layer,
    MapFilter,
    compute,
    scope_key,
    unfiltered_totals,
)
from api.organisations.models import Organisation
from api.ratings.models import OutcomeRating

# Tables whose rows a map reads, and the column stamped on every change of each.
_VERSIONED = (
    (Initiative, Initiative.updated_at),
    (EvidenceAssessment, EvidenceAssessment.updated_at),
    (Study, Study.updated_at),
    (Finding, Finding.updated_at),
    (OutcomeRating, OutcomeRating.computed_at),
    (Organisation, Organisation.updated_at),
    (Participation, Participation.updated_at),
)


async def data_version(session: AsyncSession) -> str:
    """A key that moves whenever a row a map reads changes: per table, the largest id (an insert) and
    the newest change stamp (an update, a withdrawal, a list of codes replaced, which stamps its
    initiative). One statement; the same in every process reading the database."""
    measures = []
    for table, stamp in _VERSIONED:
        measures += [select(sa.func.max(table.id)).scalar_subquery(), select(sa.func.max(stamp)).scalar_subquery()]
    values = (await session.exec(select(*measures))).one()
    return hashlib.sha256("|".join(str(v) for v in values).encode()).hexdigest()


class _LeastRecentlyUsed:
    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[tuple, Any] = OrderedDict()

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: tuple) -> Any:  # noqa: ANN401  (what `put` stored under the key)
        found = self._values.get(key)
        if found is not None:
            self._values.move_to_end(key)
        return found

    def put(self, key: tuple, value: object) -> None:
        self._values[key] = value
        self._values.move_to_end(key)
        while len(self._values) > self.size:
            self._values.popitem(last=False)


class MapCache:
    """Computed maps of this process, by (axes, layer, filter, thresholds, day, caller's scope, data
    version), and each scope's unfiltered totals and as-of time by (scope, data version), which every
    map of that scope and version shares; the least recently used go first."""

    def __init__(self, size: int = 256) -> None:
        self.maps = _LeastRecentlyUsed(size)
        self.totals = _LeastRecentlyUsed(size)

    def __len__(self) -> int:
        return len(self.maps)


async def cached_map(
    *,
    session: AsyncSession,
    principal: Principal,
    cache: MapCache,
    rows: Axis,
    columns: Axis,
    where: MapFilter,
    layer: Layer,
    synthesis_min_studies: int = SYNTHESIS_MIN_STUDIES,
    synthesis_years: int = SYNTHESIS_YEARS,
) -> EvidenceMap:
    """The map from the cache when the data have not changed since it was computed; arguments are valid."""
    today = date.today()
    scope_and_version = (scope_key(principal), await data_version(session))
    key = (rows, columns, layer, where, synthesis_min_studies, synthesis_years, today, *scope_and_version)
    if (found := cache.maps.get(key)) is not None:
        return found
    unfiltered = cache.totals.get(scope_and_version)
    if unfiltered is None:
        unfiltered = await unfiltered_totals(session, principal)
        cache.totals.put(scope_and_version, unfiltered)
    computed = await compute(
        session=session,
        principal=principal,
        rows=rows,
        columns=columns,
        where=where,
        layer=layer,
        synthesis_min_studies=synthesis_min_studies,
        synthesis_years=synthesis_years,
        today=today,
        unfiltered=unfiltered,
    )
    cache.maps.put(key, computed)
    return computed


def cache_of(state: object) -> MapCache:
    """The cache kept on an application's state (one per application, so one per process and database)."""
    cache = getattr(state, "evidence_maps", None)
    if cache is None:
        cache = MapCache()
        setattr(state, "evidence_maps", cache)  # noqa: B010
    return cache
