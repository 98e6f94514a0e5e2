"""Organisation queries: `viewer`, `organisation(slug)`, `organisations`."""

from functools import partial

import strawberry

from api.auth.principal import PrincipalKind, Role
from api.graphql.context import Info
from api.graphql.filter_codes import FilterCodes
from api.graphql.ids import decode_argument
from api.organisations import loaders, service
from api.organisations.models import Organisation as OrganisationRow
from api.organisations.types import Organisation, OrganisationFilter, OrganisationOrder
from api.core.ordering import SortKey
from api.graphql.pagination import Connection, paginate

SORT_KEYS = {
    OrganisationOrder.NAME_ASC: SortKey(OrganisationRow.name, False, "str"),
    OrganisationOrder.UPDATED_AT_DESC: SortKey(OrganisationRow.updated_at, True, "datetime"),
}


@strawberry.type(description="Who is calling, as the server understands the access token.")
class Viewer:
    kind: str = strawberry.field(description="`anonymous`, `user` or `client`.")
    subject: str = strawberry.field(description="The token's subject.")
    scopes: list[str] = strawberry.field(description="Scopes the token grants.")
    role: Role | None = strawberry.field(description="The user's role in the organisation (clients: none).")
    is_lab_admin: bool = strawberry.field(description="Acting as the Lab's secretariat.")
    _organisation_id: strawberry.Private[int | None]

    @strawberry.field(description="The organisation the token acts for.")
    async def organisation(self, info: Info) -> Organisation | None:
        if self._organisation_id is None:
            return None
        row = await info.context.loaders(loaders.organisation_by_id).load(self._organisation_id)
        return Organisation.from_model(row, info.context.terms) if row else None


@strawberry.type
class Query:
    @strawberry.field(description="The caller: anonymous, a user acting for an organisation, or a machine client.")
    def viewer(self, info: Info) -> Viewer:
        p = info.context.principal
        return Viewer(
            kind=p.kind.value,
            subject=p.subject,
            scopes=sorted(s.value for s in p.scopes),
            role=p.role if p.kind is PrincipalKind.USER else None,
            is_lab_admin=p.is_lab_admin,
            _organisation_id=p.organisation_id,
        )

    @strawberry.field(description="An organisation by its slug.")
    async def organisation(self, info: Info, slug: str) -> Organisation | None:
        async with info.context.loaders.lock:
            row = await service.get_by_slug(**info.context.acting, slug=slug)
        return Organisation.from_model(row, info.context.terms) if row else None

    @strawberry.field(description="Organisations, filtered and ordered.")
    async def organisations(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: OrganisationFilter | None = None,  # noqa: A002
        order_by: OrganisationOrder = OrganisationOrder.NAME_ASC,
    ) -> Connection[Organisation]:
        f = filter or OrganisationFilter()
        check = FilterCodes(session=info.context.session, lock=info.context.loaders.lock)
        stakeholder_types = await check.vocabulary("stakeholder_types", "stakeholder-type", f.stakeholder_types)
        countries = check.countries("countries", f.countries)
        check.raise_if_any()
        member_of = None
        if f.member_of is not None:
            # An id of another record type names no network: no members, as for a missing one (0 is no row's id).
            member_of = decode_argument(f.member_of, "Organisation", ["filter", "memberOf"]) or 0
        statement = service.filtered(
            info.context.principal,
            stakeholder_types=stakeholder_types or (),
            countries=countries or (),
            statuses=f.statuses or (),
            query=f.query,
            member_of=member_of,
        )
        return await paginate(
            info,
            statement=statement,
            id_column=OrganisationRow.id,
            key=SORT_KEYS[order_by],
            first=first,
            after=after,
            to_node=partial(Organisation.from_model, term_cache=info.context.terms),
        )


