"""The strawberry Schema, merged from the domains' Query and Mutation types, with its limits."""

import asyncio
import logging
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.activity import queries as activity_queries
from api.activity.types import Activity
from api.audit import queries as audit_queries
from api.core.db import DATABASE_UNAVAILABLE_MESSAGE, database_unavailable
from api.graphql.context import Info
from api.graphql.errors import ApiError, error_code, is_unexpected
from api.evidence import queries as evidence_queries
from api.evidence import mutations as evidence_mutations
from api.evidence.types import EvidenceAssessment, Study
from api.figures import mutations as figure_mutations
from api.figures import queries as figure_queries
from api.figures.types import Figure
from api.initiatives import mutations as initiative_mutations
from api.oauth import mutations as oauth_mutations
from api.oauth import queries as oauth_queries
from api.initiatives import queries as initiative_queries
from api.maps import queries as map_queries
from api.initiatives.types import Initiative, Participation
from api.inquiries import queries as inquiry_queries
from api.inquiries.types import RatingInquiry
from api.graphql.ids import RECORD_TYPES, check_node_id
from api.graphql.input_errors import InputErrors
from api.graphql.node_budget import NodeBudget, QueryShape
from api.graphql.operation_metrics import OperationMetrics
from api.graphql.pagination import PageSizes
from api.organisations import mutations as organisation_mutations
from api.organisations import queries as organisation_queries
from api.organisations.types import Membership, NetworkMembership, Organisation
from api.practices import mutations as practice_mutations
from api.practices import queries as practice_queries
from api.practices.types import BestPractice
from api.ratings import mutations as rating_mutations
from api.ratings import queries as rating_queries
from api.ratings.types import OutcomeRating
from api.search import mutations as search_mutations
from api.search import queries as search_queries
from api.search import record_queries as search_record_queries
from api.core import tracing
from api.core.settings import Settings
from api.vocabularies import queries as vocabulary_queries
from api.reviews import mutations as review_mutations
from api.reviews import queries as review_queries
from api.reviews.types import Revision
from api.webhooks import mutations as webhook_mutations
from api.webhooks import queries as webhook_queries
from api.webhooks.types import WebhookEndpoint

log = logging.getLogger("coplab.graphql")

NODE_TYPES: dict[str, type[relay.Node]] = {
    t.__name__: t
    for t in (
        Organisation, Membership, NetworkMembership, Initiative, Participation, Study, EvidenceAssessment, BestPractice,
        OutcomeRating, Figure, RatingInquiry, WebhookEndpoint, Revision, Activity,
    )
}
if set(NODE_TYPES) != RECORD_TYPES:
    raise RuntimeError("api.graphql.ids.RECORD_TYPES must name every Node type")
MAX_NODES_PER_REQUEST = 100


async def _resolve(info: Info, global_id: relay.GlobalID) -> relay.Node | None:
    return (await NODE_TYPES[global_id.type_name].resolve_nodes(info=info, node_ids=[global_id.node_id]))[0]


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any record by its global id; null if missing or not yours to see, INVALID_ID if no record could have it."
    )
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:  # noqa: A002
        check_node_id(id, ["id"])
        return await _resolve(info, id)

    @strawberry.field(description="Records by global ids (at most 100), in order; null where missing or hidden.")
    async def nodes(self, info: Info, ids: list[relay.GlobalID]) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES_PER_REQUEST:
            raise ApiError("BAD_USER_INPUT", f"At most {MAX_NODES_PER_REQUEST} ids.")
        for index, global_id in enumerate(ids):
            check_node_id(global_id, ["ids", str(index)])
        return list(await asyncio.gather(*(_resolve(info, i) for i in ids)))


Query = merge_types(
    "Query",
    (
        NodeQuery,
        organisation_queries.Query,
        initiative_queries.Query,
        evidence_queries.Query,
        practice_queries.Query,
        figure_queries.Query,
        search_queries.Query,
        search_record_queries.Query,
        vocabulary_queries.Query,
        rating_queries.Query,
        inquiry_queries.Query,
        activity_queries.Query,
        audit_queries.Query,
        oauth_queries.Query,
        webhook_queries.Query,
        review_queries.Query,
        map_queries.Query,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        initiative_mutations.Mutation,
        evidence_mutations.Mutation,
        practice_mutations.Mutation,
        figure_mutations.Mutation,
        organisation_mutations.Mutation,
        oauth_mutations.Mutation,
        search_mutations.Mutation,
        rating_mutations.Mutation,
        webhook_mutations.Mutation,
        review_mutations.Mutation,
    ),
)


class MaskUnexpectedErrors(MaskErrors):
    """Unexpected exceptions reach the client as a generic message with the request id; the
    details go to the log under the same id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._should_mask)

    @staticmethod
    def _should_mask(error: GraphQLError) -> bool:
        return is_unexpected(error)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        # Schema.process_errors has logged the details already.
        request_id = getattr(self.execution_context.context, "request_id", "unknown")
        if database_unavailable(error.original_error):  # an outage, not a bug: the client may try again
            message, code = DATABASE_UNAVAILABLE_MESSAGE, "DATABASE_UNAVAILABLE"
        else:
            message, code = f"Internal server error. Request id: {request_id}", "INTERNAL_SERVER_ERROR"
        return GraphQLError(message, nodes=error.nodes, path=error.path, extensions={"code": code, "requestId": request_id})


class CachedValidation(ValidationCache):
    """strawberry's validation cache (a bounded, process-wide LRU keyed by schema, document and rules),
    consulted only for documents QueryShape let through: its own hook would overwrite QueryShape's
    errors with the result of validating the very document QueryShape refused."""

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors is None:
            yield from super().on_validate()
        else:
            yield


class ValidationErrorCodes(SchemaExtension):
    """GRAPHQL_VALIDATION_FAILED for graphql-core's validation errors, which come with prose only;
    the other errors without a code get theirs in Schema.process_errors."""

    def on_validate(self) -> Iterator[None]:
        yield
        # Whatever is wrong by now is wrong with the document itself.
        for error in self.execution_context.pre_execution_errors or []:
            if not error.extensions.get("code"):
                error.extensions = {**error.extensions, "code": "GRAPHQL_VALIDATION_FAILED"}


class Schema(strawberry.Schema):
    """strawberry's Schema, hiding every "Did you mean" suggestion when field suggestions are off:
    strawberry strips them only from unknown fields, while unknown arguments, input fields, types
    and enum values would still spell out the schema that production keeps from introspection.

    strawberry hands every error of a result to `process_errors` once, before masking: here each
    gets its stable `extensions.code` if it has none (see `api.graphql.errors.error_code`), and is logged
    by what it is: a request the client got wrong is one line at INFO, never a traceback (a fuzzing
    client would otherwise fill the log); an unexpected exception is logged with its traceback and
    the request id the client was given."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        request_id = getattr(getattr(execution_context, "context", None), "request_id", "unknown")
        for error in errors:
            if not error.extensions.get("code"):
                error.extensions = {**error.extensions, "code": error_code(error)}
            if is_unexpected(error) and database_unavailable(error.original_error):
                first_line = str(error.original_error).splitlines()[0][:300]
                log.warning("database unavailable, request id %s: %s", request_id, first_line)
            elif is_unexpected(error):
                log.error("unexpected error, request id %s", request_id, exc_info=error.original_error)
            else:
                where = ".".join(str(p) for p in error.path or []) or "request"
                first_line = error.message.splitlines()[0] if error.message else ""
                log.info("request error, request id %s: %s at %s: %s", request_id, error_code(error), where, first_line[:200])

    @staticmethod
    def remove_field_suggestion(error: GraphQLError) -> None:
        if "Did you mean" in error.message:
            error.message = error.message.split("Did you mean")[0].strip()


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with the limits of SECURITY.md 31-37; production also hides introspection and
    field suggestions."""
    # Factories, not instances: each request gets fresh extensions (they hold its execution context).
    extensions: list = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        # The parsed document of a repeated query comes from a bounded, process-wide LRU cache.
        lambda: ParserCache(maxsize=256),
        lambda: QueryShape(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_repeats=settings.max_field_repeats,
        ),
        # After QueryShape: a repeated document's validation result comes from the cache.
        lambda: CachedValidation(maxsize=256),
        lambda: NodeBudget(max_nodes=settings.max_node_budget, max_page_size=settings.max_page_size),
        InputErrors,
        lambda: PageSizes(max_page_size=settings.max_page_size),
        MaskUnexpectedErrors,
        ValidationErrorCodes,
        OperationMetrics,
    ]
    if (traced := tracing.graphql_extension(settings)) is not None:
        extensions.append(traced)
    if settings.is_production:
        extensions.append(DisableIntrospection)
    return Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(
            disable_field_suggestions=settings.is_production,
            batching_config={"max_operations": settings.max_batch_operations},
        ),
    )
