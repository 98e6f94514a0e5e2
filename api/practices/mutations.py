"""Best-practice mutations: withdraw, endorse and withdraw an endorsement; create and update (deprecated) save
drafts, published only after review (api/reviews/)."""

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
from api.reviews import service as reviews
from api.reviews.models import ReviewedType
from api.reviews.types import Revision


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


@strawberry.input(description="The best practice to withdraw, and why.")
class WithdrawBestPracticeInput:
    id: relay.GlobalID = strawberry.field(description="The best practice.")
    reason: str = strawberry.field(description="Why (shown with the tombstone; at most 2000 characters).")


@strawberry.type(description="The best practice after the change, or why nothing changed.")
class BestPracticePayload:
    best_practice: BestPractice | None = strawberry.field(
        description="The best practice, when the change was made (null when a draft was saved instead)."
    )
    revision: Revision | None = strawberry.field(
        default=None, description="The draft saved, when the change is one that is published after review."
    )
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


def _practice_id(input: BestPracticeIdInput | UpdateBestPracticeInput | WithdrawBestPracticeInput) -> int:  # noqa: A002
    return ids.decode(input.id, "BestPractice", ["id"])


def _payload(info: Info, row: PracticeRow) -> BestPracticePayload:
    return BestPracticePayload(best_practice=BestPractice.from_model(row, info.context.terms))


async def _draft(info: Info, *, record_id: int | None, data: service.PracticeData) -> BestPracticePayload:
    """What createBestPractice and updateBestPractice do now: save a new draft, as draftBestPractice and
    draftBestPracticeRevision do (with no change note); nothing is published."""
    row = await reviews.draft(
        **info.context.acting,
        record_type=ReviewedType.BEST_PRACTICE,
        revision_id=None,
        parent_id=None,
        record_id=record_id,
        data=data,
        change_note=None,
    )
    return BestPracticePayload(best_practice=None, revision=Revision.from_model(row))


@strawberry.type
class Mutation:
    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Save a draft of a best practice for your organisation (`practices:write`); it is published "
        "only after review.",
        deprecation_reason="Best practices are published after review: use draftBestPractice, which this now does "
        "(the payload's revision; bestPractice stays null).",
    )
    async def create_best_practice(self, info: Info, input: CreateBestPracticeInput) -> BestPracticePayload:  # noqa: A002
        return await _draft(info, record_id=None, data=practice_data(input))

    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Open a draft of the next version of a best practice your organisation proposed "
        "(`practices:write`).",
        deprecation_reason="Best practices are published after review: use draftBestPracticeRevision, which this "
        "now does (the payload's revision; the published practice is unchanged until it is published).",
    )
    async def update_best_practice(self, info: Info, input: UpdateBestPracticeInput) -> BestPracticePayload:  # noqa: A002
        return await _draft(info, record_id=_practice_id(input), data=practice_data(input))

    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Withdraw a best practice your organisation published, with a reason (editors): out of every "
        "list, search, export and rating at once, and kept, by its id, as a tombstone with its versions.",
    )
    async def withdraw_best_practice(self, info: Info, input: WithdrawBestPracticeInput) -> BestPracticePayload:  # noqa: A002
        row = await service.withdraw(**info.context.acting, practice_id=_practice_id(input), reason=input.reason)
        return _payload(info, row)

    @mutation(
        scope=Scope.PRACTICES_WRITE,
        description="Withdraw a best practice your organisation proposed (editors).",
        deprecation_reason="Use withdrawBestPractice, which says why; this withdraws with a generic reason.",
    )
    async def delete_best_practice(self, info: Info, input: BestPracticeIdInput) -> DeleteBestPracticePayload:  # noqa: A002
        await service.withdraw(
            **info.context.acting, practice_id=_practice_id(input), reason="Withdrawn by its proposing organisation."
        )
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
