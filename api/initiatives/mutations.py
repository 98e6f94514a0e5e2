"""Initiative mutations: create, update, soft delete, and participations."""

import strawberry
from strawberry import relay

from api.auth.scopes import Scope
from api.graphql import ids, inputs
from api.graphql.context import Info
from api.graphql.errors import UserError, user_errors_field
from api.graphql.mutations import mutation
from api.initiatives import service
from api.initiatives.models import Participation as ParticipationRow
from api.initiatives.types import Initiative, Participation


@strawberry.input(description="A link to more about an initiative.")
class LinkInput:
    url: str = strawberry.field(description="Absolute http(s) URL.")
    label: str | None = strawberry.field(default=None, description="What the link leads to.")


# Made from the fields service.InitiativeData declares `writable`: a field is added there, once.
CreateInitiativeInput = inputs.create_input(
    service.InitiativeData,
    name="CreateInitiativeInput",
    description="A new initiative, led by your organisation.",
    nested={service.Link: LinkInput},
)
UpdateInitiativeInput = inputs.update_input(
    service.InitiativeData,
    name="UpdateInitiativeInput",
    description="Changes to an initiative: omitted fields stay as they are, null clears a field, lists are replaced.",
    id_description="The initiative.",
    nested={service.Link: LinkInput},
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
    return inputs.to_data(
        service.InitiativeData, source, links=lambda links: [service.Link(label=x.label, url=x.url) for x in links]
    )


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
        row = await service.create(**info.context.acting, data=_data(input))
        return InitiativePayload(initiative=Initiative.from_model(row, info.context.terms))

    @mutation(
        scope=Scope.INITIATIVES_WRITE,
        description="Change an initiative your organisation leads (`initiatives:write`).",
    )
    async def update_initiative(self, info: Info, input: UpdateInitiativeInput) -> InitiativePayload:  # noqa: A002
        row = await service.update(
            **info.context.acting,
            initiative_id=ids.decode(input.id, "Initiative", ["id"]),
            data=_data(input),
        )
        return InitiativePayload(initiative=Initiative.from_model(row, info.context.terms))

    @mutation(
        scope=Scope.INITIATIVES_WRITE,
        description="Delete an initiative your organisation leads (soft delete; editors).",
    )
    async def delete_initiative(self, info: Info, input: DeleteInitiativeInput) -> DeleteInitiativePayload:  # noqa: A002
        await service.delete_(**info.context.acting, initiative_id=ids.decode(input.id, "Initiative", ["id"]))
        return DeleteInitiativePayload(deleted_id=input.id)

    @mutation(
        scope=Scope.INITIATIVES_WRITE, description="Add an organisation to an initiative your organisation leads."
    )
    async def add_participation(self, info: Info, input: AddParticipationInput) -> ParticipationPayload:  # noqa: A002
        row = await service.add_participation(
            **info.context.acting,
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
        row = await service.confirm_participation(**info.context.acting, participation_id=_participation_id(input))
        return _participation_payload(info, row)

    @mutation(
        scope=Scope.INITIATIVES_WRITE,
        description="Decline or withdraw your organisation's participation, proposed or confirmed: it is deleted "
        "(contributors and up, `initiatives:write`).",
    )
    async def withdraw_participation(self, info: Info, input: WithdrawParticipationInput) -> ParticipationPayload:  # noqa: A002
        row = await service.withdraw_participation(**info.context.acting, participation_id=_participation_id(input))
        return _participation_payload(info, row)

    @mutation(
        scope=Scope.INITIATIVES_WRITE,
        description="Remove an organisation's participation from an initiative your organisation leads.",
    )
    async def remove_participation(self, info: Info, input: RemoveParticipationInput) -> ParticipationPayload:  # noqa: A002
        row = await service.remove_participation(**info.context.acting, participation_id=_participation_id(input))
        return _participation_payload(info, row)
