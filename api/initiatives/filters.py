"""The initiatives list's filters: readable initiatives narrowed by organisations, vocabulary codes,
evidence ratings, visibility and title words.

Apart from service.py because the ratings filter asks the ratings domain, which builds on
initiatives: its service imports this domain's models, never the reverse."""

from collections.abc import Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlmodel import col, select

from api.auth.principal import Principal
from api.core import validation
from api.core.db import contains_pattern
from api.core.visibility import Visibility
from api.ratings import service as ratings
from api.initiatives.models import Initiative, InitiativeClassification, Participation
from api.initiatives.service import readable, shown_participation
from api.organisations import service as organisations
from api.organisations.models import Organisation


@dataclass
class InitiativeFilter:
    organisation_ids: Sequence[int] = ()
    stakeholder_types: Sequence[str] = ()
    countries: Sequence[str] = ()
    intervention_types: Sequence[str] = ()
    harms: Sequence[str] = ()
    statuses: Sequence[str] = ()
    ratings: Sequence[str] = ()
    visibilities: Sequence[Visibility] = ()
    query: str | None = None


TEXT_FILTERS = ("stakeholder_types", "countries", "intervention_types", "harms", "statuses", "ratings")


def _classified(scheme: str, codes: Sequence[str]) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        InitiativeClassification.initiative_id == Initiative.id,
        InitiativeClassification.scheme == scheme,
        col(InitiativeClassification.code).in_(codes),
    )


def _comparable(where: InitiativeFilter) -> InitiativeFilter:
    """The filter's texts made safe to compare in SQL (see `validation.comparable`)."""
    return replace(
        where,
        **{name: validation.comparable_all(getattr(where, name)) for name in TEXT_FILTERS},
        query=where.query and validation.comparable(where.query),
    )


def filtered(principal: Principal, where: InitiativeFilter) -> sa.Select:
    """Readable initiatives matching every given filter (values within one filter are OR-ed)."""
    where = _comparable(where)
    statement = readable(principal)
    if where.organisation_ids:
        # Only readable organisations are named: a hidden partner's id must match what a missing one does.
        named = organisations.readable_ids(principal).where(col(Organisation.id).in_(where.organisation_ids))
        statement = statement.where(
            sa.or_(
                col(Initiative.lead_organisation_id).in_(named),
                sa.exists().where(
                    Participation.initiative_id == Initiative.id,
                    col(Participation.organisation_id).in_(named),
                    shown_participation(principal),
                ),
            )
        )
    if where.stakeholder_types:
        statement = statement.where(
            col(Initiative.lead_organisation_id).in_(
                select(Organisation.id).where(col(Organisation.stakeholder_type).in_(where.stakeholder_types))
            )
        )
    if where.countries:
        statement = statement.where(_classified("country", [c.upper() for c in where.countries]))
    if where.intervention_types:
        statement = statement.where(_classified("intervention-type", where.intervention_types))
    if where.harms:
        statement = statement.where(_classified("harm", where.harms))
    if where.statuses:
        statement = statement.where(col(Initiative.status).in_(where.statuses))
    if where.ratings:
        statement = statement.where(
            col(Initiative.id).in_(ratings.rated_initiative_ids(where.ratings))
        )
    if where.visibilities:
        statement = statement.where(col(Initiative.visibility).in_(where.visibilities))
    if where.query:
        statement = statement.where(sa.func.lower(Initiative.title).like(contains_pattern(where.query), escape="\\"))
    return statement
