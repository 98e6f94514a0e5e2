"""Initiative mutations: create, update, soft delete, and participations."""

from dataclasses import fields
from datetime import date

import strawberry
from strawberry import UNSET, relay

from api.auth.scopes import Scope
from api.graphql import ids
from api.graphql.context import Info
from api.graphql.errors import UserError, user_errors_field
from api.graphql.mutations import mutation
from api.initiatives import service
from api.initiatives.models import Participation as ParticipationRow
from api.initiatives.types import Initiative, Participation
from api.core.visibility import Visibility


@strawberry.input(description="A link to more about an initiative.")
class LinkInput:
    url: str = strawberry.field(description="Absolute http(s) URL.")
    label: str | None = strawberry.field(default=None, description="What the link leads to.")


@strawberry.input(description="A new initiative, led by your organisation.")
class CreateInitiativeInput:
    title: str = strawberry.field(description="Title (at most 300 characters).")
    status: str = strawberry.field(description="`initiative-status` code.")
    summary: str | None = strawberry.field(default=None, description="One-paragraph summary.")
    description: str | None = strawberry.field(default=None, description="Full description.")
    visibility: Visibility = strawberry.field(default=Visibility.PUBLIC, description="Who may read it.")
    planned_start: date | None = strawberry.field(default=None, description="Planned start date.")
    planned_end: date | None = strawberry.field(default=None, description="Planned end date.")
    actual_start: date | None = strawberry.field(default=None, description="Actual start date.")
    actual_end: date | None = strawberry.field(default=None, description="Actual end date.")
    links: list[LinkInput] | None = strawberry.field(default=None, description="Links (at most 20).")
    intervention_types: list[str] | None = strawberry.field(default=None, description="`intervention-type` codes.")
    harms: list[str] | None = strawberry.field(default=None, description="`harm` codes.")
    mnr_capabilities: list[str] | None = strawberry.field(default=None, description="`mnr-capability` codes.")
    target_groups: list[str] | None = strawberry.field(default=None, description="`target-group` codes.")
    regions: list[str] | None = strawberry.field(default=None, description="`region` codes.")
    countries: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes.")
    languages: list[str] | None = strawberry.field(default=None, description="ISO 639 codes.")


@strawberry.input(
    description="Changes to an initiative: omitted fields stay as they are, null clears a field, lists are replaced."
)
class UpdateInitiativeInput:
    id: relay.GlobalID = strawberry.field(description="The initiative.")
    title: str | None = strawberry.field(default=UNSET, description="Title (cannot be cleared).")
    status: str | None = strawberry.field(default=UNSET, description="`initiative-status` code (cannot be cleared).")
    summary: str | None = strawberry.field(default=UNSET, description="Summary; null clears it.")
    description: str | None = strawberry.field(default=UNSET, description="Description; null clears it.")
    visibility: Visibility | None = strawberry.field(default=UNSET, description="Who may read it (cannot be cleared).")
    planned_start: date | None = strawberry.field(default=UNSET, description="Planned start date; null clears it.")
    planned_end: date | None = strawberry.field(default=UNSET, description="Planned end date; null clears it.")
    actual_start: date | None = strawberry.field(default=UNSET, description="Actual start date; null clears it.")
    actual_end: date | None = strawberry.field(default=UNSET, description="Actual end date; null clears it.")
    links: list[LinkInput] | None = strawberry.field(default=UNSET, description="Links (replace the list; null clears it).")
    intervention_types: list[str] | None = strawberry.field(
        default=UNSET, description="`intervention-type` codes (replace the list; null clears it)."
    )
    harms: list[str] | None = strawberry.field(default=UNSET, description="`harm` codes (replace the list; null clears it).")
    mnr_capabilities: list[str] | None = strawberry.field(
        default=UNSET, description="`mnr-capability` codes (replace the list; null clears it)."
    )
    target_groups: list[str] | None = strawberry.field(
        default=UNSET, description="`target-group` codes (replace the list; null clears it)."
    )
    regions: list[str] | None = strawberry.field(
        default=UNSET, description="`region` codes (replace the list; null clears it)."
    )
    countries: list[str] | None = strawberry.field(
        default=UNSET, description="ISO 3166-1 alpha-2 codes (replace the list; null clears it)."
    )
    languages: list[str] | None = strawberry.field(
        default=UNSET, description="ISO 639 codes (replace the list; null clears it)."
    )


@strawberry.input(description="The initiative to delete.")
class DeleteInitiativeInput:
    id: relay.GlobalID = strawberry.field(description="The initiative.")


@strawberry.type(description="The initiative after the change, or why nothing changed.")
class InitiativePayload:
    initiative: Initiative | None = strawberry.field(description="The initiative, when the change was made.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The id of the deleted record, or why nothing changed.")
class DeleteInitiativePayload:
    deleted_id: relay.GlobalID | None = strawberry.field(description="Global id of the deleted initiative.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="An organisation to take part in an initiative.")
class AddParticipationInput:
    initiative: relay.GlobalID = strawberry.field(description="The initiative (led by your organisation).")
    organisation: relay.GlobalID = strawberry.field(description="The organisation taking part.")
    role: str = strawberry.field(description="`participation-role` code.")


@strawberry.input(description="The participation to remove.")
class RemoveParticipationInput:
    id: relay.GlobalID = strawberry.field(description="The participation.")


@strawberry.input(description="A participation naming your organisation, to confirm.")
class ConfirmParticipationInput:
    id: relay.GlobalID = strawberry.field(description="The participation (your organisation's).")


@strawberry.input(description="A participation naming your organisation, to decline or withdraw.")
class WithdrawParticipationInput:
    id: relay.GlobalID = strawberry.field(description="The participation (your organisation's).")


@strawberry.type(description="The participation after the change, or why nothing changed.")
class ParticipationPayload:
    participation: Participation | None = strawberry.field(description="The participation.")
    user_errors: list[UserError] = user_errors_field()


def _data(source: CreateInitiativeInput | UpdateInitiativeInput) -> service.InitiativeData:
    """The service's view of an input; fields the input type lacks (provenance) stay UNSET."""
    named = {f.name: getattr(source, f.name, UNSET) for f in fields(service.InitiativeData)}
    if named["links"]:
        named["links"] = [service.Link(label=link.label, url=link.url) for link in named["links"]]
    return service.InitiativeData(**named)


def _participation_id(
    input: ConfirmParticipationInput | WithdrawParticipationInput | RemoveParticipationInput,  # noqa: A002
) -> int:
    return ids.decode(input.id, "Participation", ["id"])


def _participation_payload(info: Info, row: ParticipationRow) -> ParticipationPayload:
    return ParticipationPayload(participation=Participation.from_model(row, info.context.terms))


@strawberry.type
class Mutation:
    @mutation(
        scope=Scope.INITIATIVES_WRITE,
        description="Register an initiative led by your organisation (`initiatives:write`).",
    )
    async def create_initiative(self, info: Info, input: CreateInitiativeInput) -> InitiativePayload:  # noqa: A002
        row = await service.create(session=info.context.session, principal=info.context.principal, data=_data(input))
        return InitiativePayload(initiative=Initiative.from_model(row, info.context.terms))

    @mutation(
        scope=Scope.INITIATIVES_WRITE,
        description="Change an initiative your organisation leads (`initiatives:write`).",
    )
    async def update_initiative(self, info: Info, input: UpdateInitiativeInput) -> InitiativePayload:  # noqa: A002
        row = await service.update(
            session=info.context.session,
            principal=info.context.principal,
            initiative_id=ids.decode(input.id, "Initiative", ["id"]),
            data=_data(input),
        )
        return InitiativePayload(initiative=Initiative.from_model(row, info.context.terms))

    @mutation(
        scope=Scope.INITIATIVES_WRITE,
        description="Delete an initiative your organisation leads (soft delete; editors).",
    )
    async def delete_initiative(self, info: Info, input: DeleteInitiativeInput) -> DeleteInitiativePayload:  # noqa: A002
        await service.delete_(
            session=info.context.session,
            principal=info.context.principal,
            initiative_id=ids.decode(input.id, "Initiative", ["id"]),
        )
        return DeleteInitiativePayload(deleted_id=input.id)

    @mutation(
        scope=Scope.INITIATIVES_WRITE, description="Add an organisation to an initiative your organisation leads."
    )
    async def add_participation(self, info: Info, input: AddParticipationInput) -> ParticipationPayload:  # noqa: A002
        row = await service.add_participation(
            session=info.context.session,
            principal=info.context.principal,
            initiative_id=ids.decode(input.initiative, "Initiative", ["initiative"]),
            organisation_id=ids.decode(input.organisation, "Organisation", ["organisation"]),
            role=input.role,
        )
        return _participation_payload(info, row)

    @mutation(
        scope=Scope.INITIATIVES_WRITE,
        description="Confirm that your organisation takes part as proposed by the initiative's lead; until then "
        "the participation is shown only to the two organisations (contributors and up, `initiatives:write`).",
    )
    async def confirm_participation(self, info: Info, input: ConfirmParticipationInput) -> ParticipationPayload:  # noqa: A002
        row = await service.confirm_participation(
            session=info.context.session, principal=info.context.principal, participation_id=_participation_id(input)
        )
        return _participation_payload(info, row)

    @mutation(
        scope=Scope.INITIATIVES_WRITE,
        description="Decline or withdraw your organisation's participation, proposed or confirmed: it is deleted "
        "(contributors and up, `initiatives:write`).",
    )
    async def withdraw_participation(self, info: Info, input: WithdrawParticipationInput) -> ParticipationPayload:  # noqa: A002
        row = await service.withdraw_participation(
            session=info.context.session, principal=info.context.principal, participation_id=_participation_id(input)
        )
        return _participation_payload(info, row)

    @mutation(
        scope=Scope.INITIATIVES_WRITE,
        description="Remove an organisation's participation from an initiative your organisation leads.",
    )
    async def remove_participation(self, info: Info, input: RemoveParticipationInput) -> ParticipationPayload:  # noqa: A002
        row = await service.remove_participation(
            session=info.context.session, principal=info.context.principal, participation_id=_participation_id(input)
        )
        return _participation_payload(info, row)
