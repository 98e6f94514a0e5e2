"""Best-practice mutations: create, update, soft delete, endorse and withdraw an endorsement."""

import strawberry
from strawberry import relay

from api.auth.scopes import Scope
from api.graphql import ids, inputs
from api.graphql.context import Info
from api.graphql.errors import UserError, user_errors_field
from api.graphql.mutations import mutation
from api.practices import service
from api.practices.models import BestPractice as PracticeRow
from api.practices.types import BestPractice


CreateBestPracticeInput = inputs.create_input(
    service.PracticeData,
    name="CreateBestPracticeInput",
    description="A new best practice, proposed by your organisation.",
    nested={service.AssessmentId: relay.GlobalID},
)
UpdateBestPracticeInput = inputs.update_input(
    service.PracticeData,
    name="UpdateBestPracticeInput",
    description="Changes to a best practice: omitted fields stay as they are, null clears a field, lists are replaced.",
    id_description="The best practice.",
    nested={service.AssessmentId: relay.GlobalID},
)


@strawberry.input(description="The best practice to act on.")
class BestPracticeIdInput:
    id: relay.GlobalID = strawberry.field(description="The best practice.")


@strawberry.type(description="The best practice after the change, or why nothing changed.")
class BestPracticePayload:
    best_practice: BestPractice | None = strawberry.field(description="The best practice, when the change was made.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The id of the deleted record, or why nothing changed.")
class DeleteBestPracticePayload:
    deleted_id: relay.GlobalID | None = strawberry.field(description="Global id of the deleted best practice.")
    user_errors: list[UserError] = user_errors_field()


def practice_data(source: object) -> service.PracticeData:
    """The service's view of an input; evidence ids of other types are NOT_FOUND at their position."""
    return inputs.to_data(
        service.PracticeData, source, evidence=lambda gids: ids.decode_many(gids, "EvidenceAssessment", ["evidence"])
    )


def _practice_id(input: BestPracticeIdInput | UpdateBestPracticeInput) -> int:  # noqa: A002
    return ids.decode(input.id, "BestPractice", ["id"])


def _payload(info: Info, row: PracticeRow) -> BestPracticePayload:
    return BestPracticePayload(best_practice=BestPractice.from_model(row, info.context.terms))


@strawberry.type
class Mutation:
    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Propose a best practice for your organisation (`practices:write`).",
    )
    async def create_best_practice(self, info: Info, input: CreateBestPracticeInput) -> BestPracticePayload:  # noqa: A002
        row = await service.create(**info.context.acting, data=practice_data(input))
        return _payload(info, row)

    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Change a best practice your organisation proposed (`practices:write`).",
    )
    async def update_best_practice(self, info: Info, input: UpdateBestPracticeInput) -> BestPracticePayload:  # noqa: A002
        row = await service.update(**info.context.acting, practice_id=_practice_id(input), data=practice_data(input))
        return _payload(info, row)

    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Delete a best practice your organisation proposed (soft delete; editors).",
    )
    async def delete_best_practice(self, info: Info, input: BestPracticeIdInput) -> DeleteBestPracticePayload:  # noqa: A002
        await service.delete_(**info.context.acting, practice_id=_practice_id(input))
        return DeleteBestPracticePayload(deleted_id=input.id)

    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Endorse a best practice for your organisation (`practices:write`; editors).",
    )
    async def endorse_best_practice(self, info: Info, input: BestPracticeIdInput) -> BestPracticePayload:  # noqa: A002
        row = await service.endorse(**info.context.acting, practice_id=_practice_id(input))
        return _payload(info, row)

    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Withdraw your organisation's endorsement (`practices:write`; editors).",
    )
    async def withdraw_endorsement(self, info: Info, input: BestPracticeIdInput) -> BestPracticePayload:  # noqa: A002
        row = await service.withdraw_endorsement(**info.context.acting, practice_id=_practice_id(input))
        return _payload(info, row)
