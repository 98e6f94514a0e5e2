"""Figure mutations: create, update and soft delete."""

import strawberry
from strawberry import relay

from api.auth.scopes import Scope
from api.core import validation
from api.figures import service
from api.figures.models import Figure as FigureRow
from api.figures.types import Figure
from api.graphql import ids, inputs
from api.graphql.context import Info
from api.graphql.errors import UserError, user_errors_field
from api.graphql.mutations import mutation
from api.graphql.provenance import ProvenanceInput


NESTED = {
    service.OrganisationId: relay.GlobalID,
    service.InitiativeId: relay.GlobalID,
    validation.Source: ProvenanceInput,
}
# Made from the fields service.FigureData declares `writable`: a field is added there, once.
CreateFigureInput = inputs.create_input(
    service.FigureData,
    name="CreateFigureInput",
    description="A new figure, recorded by your organisation. It never feeds a rating.",
    nested=NESTED,
)
UpdateFigureInput = inputs.update_input(
    service.FigureData,
    name="UpdateFigureInput",
    description="Changes to a figure: omitted fields stay as they are, null clears a field, lists are replaced.",
    id_description="The figure.",
    nested=NESTED,
)


@strawberry.input(description="The figure to delete.")
class DeleteFigureInput:
    id: relay.GlobalID = strawberry.field(description="The figure.")


@strawberry.type(description="The figure after the change, or why nothing changed.")
class FigurePayload:
    figure: Figure | None = strawberry.field(description="The figure, when the change was made.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The id of the deleted figure, or why nothing changed.")
class DeleteFigurePayload:
    deleted_id: relay.GlobalID | None = strawberry.field(description="Global id of the deleted figure.")
    user_errors: list[UserError] = user_errors_field()


def _data(source: object) -> service.FigureData:
    """The service's view of an input; ids of other record types are NOT_FOUND at their field."""
    return inputs.to_data(
        service.FigureData,
        source,
        source_organisation=lambda gid: ids.decode(gid, "Organisation", ["sourceOrganisation"]),
        initiatives=lambda gids: ids.decode_many(gids, "Initiative", ["initiatives"]),
    )


def _figure_id(input: UpdateFigureInput | DeleteFigureInput) -> int:  # noqa: A002
    return ids.decode(input.id, "Figure", ["id"])


def _payload(info: Info, row: FigureRow) -> FigurePayload:
    return FigurePayload(figure=Figure.from_model(row, info.context.terms))


@strawberry.type
class Mutation:
    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Record a figure for your organisation (`assessments:write`): a number that sizes or describes "
        "the problem, never an input to a rating.",
    )
    async def create_figure(self, info: Info, input: CreateFigureInput) -> FigurePayload:  # noqa: A002
        row = await service.create(**info.context.acting, data=_data(input))
        return _payload(info, row)

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Change a figure your organisation recorded (`assessments:write`).",
    )
    async def update_figure(self, info: Info, input: UpdateFigureInput) -> FigurePayload:  # noqa: A002
        row = await service.update(**info.context.acting, figure_id=_figure_id(input), data=_data(input))
        return _payload(info, row)

    @mutation(
        scope=Scope.ASSESSMENTS_WRITE,
        description="Delete a figure your organisation recorded (`assessments:write`; soft delete; editors).",
    )
    async def delete_figure(self, info: Info, input: DeleteFigureInput) -> DeleteFigurePayload:  # noqa: A002
        await service.delete_(**info.context.acting, figure_id=_figure_id(input))
        return DeleteFigurePayload(deleted_id=input.id)
