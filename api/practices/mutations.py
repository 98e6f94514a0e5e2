"""Best-practice mutations: create, update, soft delete, endorse and withdraw an endorsement."""

from dataclasses import fields

import strawberry
from strawberry import UNSET, relay

from api.auth.scopes import Scope
from api.graphql import ids
from api.graphql.context import Info
from api.graphql.errors import UserError, user_errors_field
from api.graphql.mutations import mutation
from api.practices import service
from api.practices.models import BestPractice as PracticeRow
from api.practices.types import BestPractice
from api.core.visibility import Visibility


@strawberry.input(description="A new best practice, proposed by your organisation.")
class CreateBestPracticeInput:
    title: str = strawberry.field(description="Short name of the practice (at most 300 characters).")
    statement: str = strawberry.field(description="What to do (at most 4000 characters).")
    evidence_basis: str = strawberry.field(description="`evidence-basis` code.")
    rationale: str | None = strawberry.field(default=None, description="Why.")
    harms: list[str] | None = strawberry.field(default=None, description="`harm` codes.")
    intervention_types: list[str] | None = strawberry.field(default=None, description="`intervention-type` codes.")
    evidence: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Evidence assessments cited (at most 50; at least one when the basis is ASSESSMENTS)."
    )
    visibility: Visibility = strawberry.field(default=Visibility.PUBLIC, description="Who may read it.")


@strawberry.input(
    description="Changes to a best practice: omitted fields stay as they are, null clears a field, lists are replaced."
)
class UpdateBestPracticeInput:
    id: relay.GlobalID = strawberry.field(description="The best practice.")
    title: str | None = strawberry.field(default=UNSET, description="Short name of the practice (cannot be cleared).")
    statement: str | None = strawberry.field(default=UNSET, description="What to do (cannot be cleared).")
    evidence_basis: str | None = strawberry.field(
        default=UNSET, description="`evidence-basis` code (cannot be cleared)."
    )
    rationale: str | None = strawberry.field(default=UNSET, description="Why; null clears it.")
    harms: list[str] | None = strawberry.field(
        default=UNSET, description="`harm` codes (replace the list; null clears it)."
    )
    intervention_types: list[str] | None = strawberry.field(
        default=UNSET, description="`intervention-type` codes (replace the list; null clears it)."
    )
    evidence: list[relay.GlobalID] | None = strawberry.field(
        default=UNSET, description="Evidence assessments cited (replace the list; null clears it)."
    )
    visibility: Visibility | None = strawberry.field(default=UNSET, description="Who may read it (cannot be cleared).")


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


def _data(source: CreateBestPracticeInput | UpdateBestPracticeInput) -> service.PracticeData:
    """The service's view of an input; evidence ids of other types are NOT_FOUND at their position."""
    named = {f.name: getattr(source, f.name, UNSET) for f in fields(service.PracticeData)}
    if named["evidence"]:
        named["evidence"] = ids.decode_many(named["evidence"], "EvidenceAssessment", ["evidence"])
    return service.PracticeData(**named)


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
        row = await service.create(session=info.context.session, principal=info.context.principal, data=_data(input))
        return _payload(info, row)

    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Change a best practice your organisation proposed (`practices:write`).",
    )
    async def update_best_practice(self, info: Info, input: UpdateBestPracticeInput) -> BestPracticePayload:  # noqa: A002
        row = await service.update(
            session=info.context.session,
            principal=info.context.principal,
            practice_id=_practice_id(input),
            data=_data(input),
        )
        return _payload(info, row)

    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Delete a best practice your organisation proposed (soft delete; editors).",
    )
    async def delete_best_practice(self, info: Info, input: BestPracticeIdInput) -> DeleteBestPracticePayload:  # noqa: A002
        await service.delete_(
            session=info.context.session, principal=info.context.principal, practice_id=_practice_id(input)
        )
        return DeleteBestPracticePayload(deleted_id=input.id)

    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Endorse a best practice for your organisation (`practices:write`; editors).",
    )
    async def endorse_best_practice(self, info: Info, input: BestPracticeIdInput) -> BestPracticePayload:  # noqa: A002
        row = await service.endorse(
            session=info.context.session, principal=info.context.principal, practice_id=_practice_id(input)
        )
        return _payload(info, row)

    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Withdraw your organisation's endorsement (`practices:write`; editors).",
    )
    async def withdraw_endorsement(self, info: Info, input: BestPracticeIdInput) -> BestPracticePayload:  # noqa: A002
        row = await service.withdraw_endorsement(
            session=info.context.session, principal=info.context.principal, practice_id=_practice_id(input)
        )
        return _payload(info, row)
