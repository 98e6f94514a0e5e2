"""Organisation mutations: profile, standing in the Lab, membership management, and memberships in networks."""

import strawberry
from strawberry import UNSET, relay

from api.auth.principal import Role
from api.auth.scopes import Scope
from api.graphql import ids, inputs
from api.graphql.context import Info
from api.graphql.errors import UserError, user_errors_field
from api.graphql.mutations import mutation
from api.graphql.provenance import ProvenanceInput, sources
from api.organisations import password_setup, service
from api.organisations.models import Organisation as OrganisationRow
from api.organisations.models import OrganisationStatus
from api.organisations.types import Membership, NetworkMembership, Organisation
from api.ratings import service as ratings


@strawberry.input(description="Profile fields to change: omitted fields stay as they are, null clears a field.")
class UpdateOrganisationInput:
    id: relay.GlobalID = strawberry.field(description="The organisation.")
    name: str | None = strawberry.field(default=UNSET, description="The organisation's own name (cannot be cleared).")
    acronym: str | None = strawberry.field(default=UNSET, description="Acronym; null clears it.")
    aliases: list[str] | None = strawberry.field(
        default=UNSET, description="Other names (replace the list; null clears it)."
    )
    stakeholder_type: str | None = strawberry.field(
        default=UNSET, description="`stakeholder-type` code (cannot be cleared)."
    )
    country: str | None = strawberry.field(default=UNSET, description="ISO 3166-1 alpha-2 code; null clears it.")
    website: str | None = strawberry.field(default=UNSET, description="Home page (http or https); null clears it.")
    description: str | None = strawberry.field(default=UNSET, description="What the organisation does; null clears it.")


@strawberry.input(description="A new organisation, registered by the Lab's secretariat.")
class CreateOrganisationInput:
    slug: str = strawberry.field(description="Stable short name: lower-case letters, digits, hyphens.")
    name: str = strawberry.field(description="The organisation's own name.")
    stakeholder_type: str = strawberry.field(description="`stakeholder-type` code.")
    acronym: str | None = strawberry.field(default=None, description="Acronym.")
    aliases: list[str] | None = strawberry.field(default=None, description="Other names.")
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 code.")
    website: str | None = strawberry.field(default=None, description="Home page.")
    description: str | None = strawberry.field(default=None, description="What the organisation does.")


@strawberry.input(description="Admit, suspend or reinstate an organisation.")
class SetOrganisationStatusInput:
    id: relay.GlobalID = strawberry.field(description="The organisation.")
    status: OrganisationStatus = strawberry.field(description="The new standing.")


@strawberry.type(description="The organisation after the change, or why nothing changed.")
class OrganisationPayload:
    organisation: Organisation | None = strawberry.field(description="The organisation, when the change was made.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="Give a person a role in an organisation.")
class AddMemberInput:
    organisation: relay.GlobalID = strawberry.field(description="The organisation.")
    email: str = strawberry.field(description="The person's e-mail address.")
    name: str | None = strawberry.field(default=None, description="Display name for a new person.")
    role: Role = strawberry.field(description="The role; never above your own.")


@strawberry.input(description="Change a member's role.")
class ChangeMemberRoleInput:
    membership: relay.GlobalID = strawberry.field(description="The membership.")
    role: Role = strawberry.field(description="The new role; never above your own.")


@strawberry.input(description="End a membership.")
class RemoveMemberInput:
    membership: relay.GlobalID = strawberry.field(description="The membership.")


@strawberry.input(description="A fresh password-setup link for a member who has no password.")
class IssuePasswordSetupLinkInput:
    membership: relay.GlobalID = strawberry.field(description="The membership.")


@strawberry.type(description="The membership after the change, or why nothing changed.")
class MembershipPayload:
    membership: Membership | None = strawberry.field(description="The membership, when the change was made.")
    invitation_url: str | None = strawberry.field(
        default=None,
        description=(
            "The invitation link with which the person accepts the membership, valid 7 days and usable once: "
            "a new account chooses its password there, an existing one signs in with its own (the link never "
            "sets or changes an existing password). Given for every address, only in the answer to `addMember` "
            "or `issuePasswordSetupLink`, and shown nowhere else: coplab sends no e-mail, pass it on to the "
            "person. Until they accept, the membership grants nothing."
        ),
    )
    password_setup_url: str | None = strawberry.field(
        default=None,
        deprecation_reason="Use `invitationUrl` (the same link).",
        description="The same link as `invitationUrl`.",
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="Record that an organisation belongs to a network or alliance, in a role.")
class AddNetworkMemberInput:
    network: relay.GlobalID = strawberry.field(
        description="The network or alliance (one you administer with `org:admin`, or any with `lab:admin`)."
    )
    member: relay.GlobalID = strawberry.field(description="The member organisation.")
    role: str = strawberry.field(description="`network-role` code: MEMBER, FOUNDING-MEMBER, BOARD-MEMBER.")
    provenance: list[ProvenanceInput] | None = strawberry.field(
        default=None, description="Where the membership is stated (at most 20 sources)."
    )


@strawberry.input(description="End an organisation's membership in a network or alliance.")
class RemoveNetworkMemberInput:
    id: relay.GlobalID = strawberry.field(description="The network membership.")


@strawberry.type(description="The network membership after the change, or why nothing changed.")
class NetworkMembershipPayload:
    network_membership: NetworkMembership | None = strawberry.field(
        description="The network membership, when the change was made."
    )
    user_errors: list[UserError] = user_errors_field()


def _membership_id(input: ChangeMemberRoleInput | RemoveMemberInput | IssuePasswordSetupLinkInput) -> int:  # noqa: A002
    return ids.decode(input.membership, "Membership", ["membership"])


def _data(source: UpdateOrganisationInput | CreateOrganisationInput) -> service.OrganisationData:
    """The service's view of an input; fields the input type lacks (slug on update) stay UNSET."""
    return inputs.to_data(service.OrganisationData, source)


def _organisation_payload(info: Info, row: OrganisationRow) -> OrganisationPayload:
    return OrganisationPayload(organisation=Organisation.from_model(row, info.context.terms))


def _member_link_payload(info: Info, result: service.MemberLink) -> MembershipPayload:
    code = result.password_setup_code
    url = password_setup.link(info.context.settings.issuer, code) if code else None
    return MembershipPayload(
        membership=Membership.from_model(result.membership), invitation_url=url, password_setup_url=url
    )


@strawberry.type
class Mutation:
    @mutation(scope=Scope.LAB_ADMIN, description="Register an organisation (the Lab's secretariat, `lab:admin`).")
    async def create_organisation(self, info: Info, input: CreateOrganisationInput) -> OrganisationPayload:  # noqa: A002
        row = await service.create(**info.context.acting, data=_data(input))
        return _organisation_payload(info, row)

    # Own organisation with `org:admin`, any with `lab:admin`: the service tells which is missing.
    @mutation(
        scope=None, description="Change an organisation's profile (`org:admin` for your own, `lab:admin` for any)."
    )
    async def update_organisation(self, info: Info, input: UpdateOrganisationInput) -> OrganisationPayload:  # noqa: A002
        row = await service.update(
            **info.context.acting,
            organisation_id=ids.decode(input.id, "Organisation", ["id"]),
            data=_data(input),
        )
        return _organisation_payload(info, row)

    @mutation(scope=Scope.LAB_ADMIN, description="Admit, suspend or reinstate an organisation (`lab:admin`).")
    async def set_organisation_status(self, info: Info, input: SetOrganisationStatusInput) -> OrganisationPayload:  # noqa: A002
        row = await service.set_status(
            **info.context.acting,
            organisation_id=ids.decode(input.id, "Organisation", ["id"]),
            status=input.status,
        )
        # Ratings rest on the evidence of listed organisations only: their status moves them.
        await ratings.recompute_for_organisation(
            session=info.context.session,
            organisation_id=row.id,
            listed=row.status in service.VISIBLE_STATUSES,
            actor=info.context.principal.subject,
        )
        return _organisation_payload(info, row)

    @mutation(
        scope=Scope.ORG_ADMIN,
        description="Invite a person to a role in your organisation (`org:admin`); it grants nothing until they accept.",
    )
    async def add_member(self, info: Info, input: AddMemberInput) -> MembershipPayload:  # noqa: A002
        result = await service.add_member(
            **info.context.acting,
            organisation_id=ids.decode(input.organisation, "Organisation", ["organisation"]),
            email=input.email,
            name=input.name,
            role=input.role,
        )
        return _member_link_payload(info, result)

    @mutation(
        scope=Scope.ORG_ADMIN,
        description=(
            "A fresh invitation link for a membership not yet accepted, or a password-setup link for a member who "
            "has no password and acts for no other organisation (`org:admin`); earlier links of the membership stop working."
        ),
    )
    async def issue_password_setup_link(self, info: Info, input: IssuePasswordSetupLinkInput) -> MembershipPayload:  # noqa: A002
        result = await service.issue_password_setup(**info.context.acting, membership_id=_membership_id(input))
        return _member_link_payload(info, result)

    @mutation(scope=Scope.ORG_ADMIN, description="Change a member's role (`org:admin`; never above your own).")
    async def change_member_role(self, info: Info, input: ChangeMemberRoleInput) -> MembershipPayload:  # noqa: A002
        row = await service.change_role(**info.context.acting, membership_id=_membership_id(input), role=input.role)
        return MembershipPayload(membership=Membership.from_model(row))

    @mutation(
        scope=Scope.ORG_ADMIN,
        description="End a membership (`org:admin`); the person's tokens stop working at once.",
    )
    async def remove_member(self, info: Info, input: RemoveMemberInput) -> MembershipPayload:  # noqa: A002
        row = await service.remove_member(**info.context.acting, membership_id=_membership_id(input))
        return MembershipPayload(membership=Membership.from_model(row))

    # The network's own administrators (`org:admin`) or the secretariat (`lab:admin`): the service tells which is missing.
    @mutation(
        scope=None,
        description="Record that an organisation belongs to a network or alliance in a role (`org:admin` of the "
        "network, or `lab:admin`).",
    )
    async def add_network_member(self, info: Info, input: AddNetworkMemberInput) -> NetworkMembershipPayload:  # noqa: A002
        row = await service.add_network_member(
            **info.context.acting,
            network_id=ids.decode(input.network, "Organisation", ["network"]),
            member_id=ids.decode(input.member, "Organisation", ["member"]),
            role=input.role,
            provenance=sources(input.provenance or []),
        )
        return NetworkMembershipPayload(network_membership=NetworkMembership.from_model(row, info.context.terms))

    @mutation(
        scope=None,
        description="End an organisation's membership in a network or alliance (`org:admin` of the network, or "
        "`lab:admin`).",
    )
    async def remove_network_member(self, info: Info, input: RemoveNetworkMemberInput) -> NetworkMembershipPayload:  # noqa: A002
        row = await service.remove_network_member(
            **info.context.acting, network_membership_id=ids.decode(input.id, "NetworkMembership", ["id"])
        )
        return NetworkMembershipPayload(network_membership=NetworkMembership.from_model(row, info.context.terms))
