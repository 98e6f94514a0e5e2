"""GraphQL types for organisations, people and memberships, and organisations' memberships in networks."""

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay

from api.activity.types import trail
from api.auth.principal import Role
from api.graphql.context import Info
from api.graphql.ids import node_ints
from api.graphql.records import from_row
from api.graphql.loaders import load_nodes, load_one
from api.graphql.lazy_types import schema_type
from api.organisations import loaders
from api.organisations.models import Membership as MembershipRow
from api.organisations.models import NetworkMembership as NetworkMembershipRow
from api.organisations.models import Organisation as OrganisationRow
from api.organisations.models import OrganisationStatus
from api.graphql.pagination import Connection
from api.graphql.provenance import Provenance, provenance_list
from api.vocabularies.cache import TermCache
from api.vocabularies.types import Country, Term, term


@strawberry.type(description="A member organisation of the Lab, or one named in its records.")
class Organisation(relay.Node):
    id: relay.NodeID[int]
    slug: str = strawberry.field(description="Stable short name used in URLs and `organisation(slug:)`.")
    name: str = strawberry.field(description="The organisation's own name.")
    acronym: str | None = strawberry.field(description="Acronym, e.g. IWF.")
    aliases: list[str] = strawberry.field(description="Other names and spellings it is known by.")
    misspellings: list[str] = strawberry.field(
        description="Damaged spellings of its name found in sources (text extraction errors, typos): search "
        "finds the organisation by them, but they are not its names and no highlight shows them."
    )
    website: str | None = strawberry.field(description="Home page.")
    description: str | None = strawberry.field(description="What the organisation does.")
    status: OrganisationStatus = strawberry.field(description="Standing in the Lab.")
    stakeholder_type: Term = strawberry.field(description="Stakeholder type (vocabulary `stakeholder-type`).")
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record last changed.")
    provenance: list[Provenance] = strawberry.field(description="Where the record's facts came from.")
    _row: strawberry.Private[OrganisationRow]

    @classmethod
    def from_model(cls, row: OrganisationRow, term_cache: TermCache) -> "Organisation":
        return from_row(
            cls,
            row,
            aliases=list(row.aliases or []),
            misspellings=list(row.misspellings or []),
            stakeholder_type=term(term_cache, "stakeholder-type", row.stakeholder_type),
            provenance=provenance_list(row.provenance),
        )

    activity = trail("Organisation")

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.organisation_by_id, cls.from_model)

    @classmethod
    def loaded(cls, info: Info, row_id: int | None):  # noqa: ANN206
        """The organisation with this id as a related record shows it, through the request's loader
        (None when there is none)."""
        return load_one(info, loaders.organisation_by_id, row_id, cls.from_model)

    @strawberry.field(description="Country of registration.")
    def country(self) -> Country | None:
        return Country(code=self._row.country) if self._row.country else None

    @strawberry.field(description="Initiatives this organisation leads or takes part in.")
    async def initiatives(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: Annotated["InitiativeFilter", strawberry.lazy("api.initiatives.types")] | None = None,  # noqa: A002
        order_by: Annotated["InitiativeOrder", strawberry.lazy("api.initiatives.types")] | None = None,
    ) -> Connection[Annotated["Initiative", strawberry.lazy("api.initiatives.types")]]:
        # Initiatives build on organisations: their type comes from the schema, not from an import.
        return await schema_type(info, "Initiative").page(
            info, first=first, after=after, filter=filter, order_by=order_by, organisation_id=self.id
        )

    @strawberry.field(
        description="The networks and alliances this organisation belongs to, with its role in each, by the "
        "network's name (only networks you may read)."
    )
    def member_of(self, info: Info) -> list["NetworkMembership"]:
        return info.context.loaders.resolve(
            loaders.networks_of, self.id, lambda rows: [NetworkMembership.from_model(r, info.context.terms) for r in rows]
        )

    @strawberry.field(
        description="The organisations that belong to this network or alliance, with their roles, by name (only "
        "organisations you may read; `organisations(filter: {memberOf: …})` pages through them)."
    )
    def network_members(self, info: Info) -> list["NetworkMembership"]:
        return info.context.loaders.resolve(
            loaders.network_members_of,
            self.id,
            lambda rows: [NetworkMembership.from_model(r, info.context.terms) for r in rows],
        )

    @strawberry.field(description="People and their roles (visible to the organisation itself with `org:read`).")
    def members(self, info: Info) -> list["Membership"]:
        return info.context.loaders.resolve(
            loaders.members_of, self.id, lambda rows: [Membership.from_model(r) for r in rows]
        )


@strawberry.type(description="A person registered in coplab.")
class User:
    name: str = strawberry.field(description="Display name, as the organisation of the membership knows the person.")
    email: str = strawberry.field(description="E-mail address.")


@strawberry.type(description="A person's role in one organisation.")
class Membership(relay.Node):
    id: relay.NodeID[int]
    role: Role = strawberry.field(description="The person's role.")
    created_at: datetime = strawberry.field(description="When the membership began (the invitation, for one added by `addMember`).")
    accepted_at: datetime | None = strawberry.field(
        description="When the person accepted the invitation; null while it is pending, and then the membership grants nothing."
    )
    _row: strawberry.Private[MembershipRow]

    @classmethod
    def from_model(cls, row: MembershipRow) -> "Membership":
        return from_row(cls, row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        from sqlmodel import col

        from api.organisations.service import readable_memberships

        ids = [i for i in node_ints(node_ids) if i is not None]
        async with info.context.loaders.lock:
            rows = (
                await info.context.session.exec(
                    readable_memberships(info.context.principal).where(col(MembershipRow.id).in_(ids))
                )
            ).all()
        found = {r.id: r for r in rows}
        return [cls.from_model(found[i]) if i in found else None for i in node_ints(node_ids)]

    @strawberry.field(description="The person, under the name this organisation gave them.")
    def user(self, info: Info) -> User:
        # The membership's own name: the account's name may have been typed by another organisation.
        return info.context.loaders.resolve(
            loaders.user_by_id,
            self._row.user_id,
            lambda row: User(name=self._row.name or row.email.split("@")[0], email=row.email),
        )

    @strawberry.field(description="The organisation.")
    def organisation(self, info: Info) -> Organisation | None:
        return Organisation.loaded(info, self._row.organisation_id)


@strawberry.type(
    description="One organisation's membership in another, a network or alliance (a hotline in the INHOPE network, "
    "an organisation on an alliance's board). Shown only when you may read both organisations."
)
class NetworkMembership(relay.Node):
    id: relay.NodeID[int]
    role: Term = strawberry.field(description="The member's role in the network (vocabulary `network-role`).")
    provenance: list[Provenance] = strawberry.field(description="Where the membership is stated.")
    created_at: datetime = strawberry.field(description="When the membership was recorded.")
    updated_at: datetime = strawberry.field(description="When the record last changed.")
    _row: strawberry.Private[NetworkMembershipRow]

    @classmethod
    def from_model(cls, row: NetworkMembershipRow, term_cache: TermCache) -> "NetworkMembership":
        return from_row(
            cls, row, role=term(term_cache, "network-role", row.role), provenance=provenance_list(row.provenance)
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.network_membership_by_id, cls.from_model)

    @strawberry.field(description="The member organisation.")
    def member(self, info: Info) -> Organisation:
        return Organisation.loaded(info, self._row.member_organisation_id)

    @strawberry.field(description="The network or alliance.")
    def network(self, info: Info) -> Organisation:
        return Organisation.loaded(info, self._row.network_organisation_id)


@strawberry.input(description="Filters for `organisations`; values within one filter are alternatives.")
class OrganisationFilter:
    stakeholder_types: list[str] | None = strawberry.field(default=None, description="Stakeholder type codes.")
    countries: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes.")
    statuses: list[OrganisationStatus] | None = strawberry.field(default=None, description="Standing in the Lab.")
    query: str | None = strawberry.field(default=None, description="Words in the name or acronym.")
    member_of: relay.GlobalID | None = strawberry.field(
        default=None,
        description="Members of this network or alliance (its global id), in any role: \"members of INHOPE\". A "
        "network you may not read, or an id of another record type, has no members here.",
    )


@strawberry.enum(description="Orderings for organisations.")
class OrganisationOrder(Enum):
    NAME_ASC = "NAME_ASC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
