"""The strawberry Schema, merged from the domains' Query and Mutation types, with its limits."""

import asyncio
import logging
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import DisableIntrospection, MaskErrors, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from api.audit import queries as audit_queries
from api.context import Info
from api.errors import ApiError
from api.evidence import queries as evidence_queries
from api.evidence import mutations as evidence_mutations
from api.evidence.types import EvidenceAssessment
from api.initiatives import mutations as initiative_mutations
from api.oauth import mutations as oauth_mutations
from api.oauth import queries as oauth_queries
from api.initiatives import queries as initiative_queries
from api.initiatives.types import Initiative, Participation
from api.input_errors import InputErrors
from api.node_budget import NodeBudget, QueryShape
from api.organisations import mutations as organisation_mutations
from api.organisations import queries as organisation_queries
from api.organisations.types import Membership, Organisation
from api.practices import mutations as practice_mutations
from api.practices import queries as practice_queries
from api.practices.types import BestPractice
from api.search import mutations as search_mutations
from api.search import queries as search_queries
from api.settings import Settings
from api.vocabularies import queries as vocabulary_queries

log = logging.getLogger("coplab.graphql")

NODE_TYPES: dict[str, type[relay.Node]] = {
    t.__name__: t for t in (Organisation, Membership, Initiative, Participation, EvidenceAssessment, BestPractice)
}
MAX_NODES_PER_REQUEST = 100


async def _resolve(info: Info, global_id: relay.GlobalID) -> relay.Node | None:
    node_type = NODE_TYPES.get(global_id.type_name)
    if node_type is None:
        return None
    return (await node_type.resolve_nodes(info=info, node_ids=[global_id.node_id]))[0]


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any record by its global id; null if missing or not yours to see.")
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:  # noqa: A002
        return await _resolve(info, id)

    @strawberry.field(description="Records by global ids (at most 100), in order; null where missing or hidden.")
    async def nodes(self, info: Info, ids: list[relay.GlobalID]) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES_PER_REQUEST:
            raise ApiError("BAD_USER_INPUT", f"At most {MAX_NODES_PER_REQUEST} ids.")
        return list(await asyncio.gather(*(_resolve(info, i) for i in ids)))


Query = merge_types(
    "Query",
    (
        NodeQuery,
        organisation_queries.Query,
        initiative_queries.Query,
        evidence_queries.Query,
        practice_queries.Query,
        search_queries.Query,
        vocabulary_queries.Query,
        audit_queries.Query,
        oauth_queries.Query,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        initiative_mutations.Mutation,
        evidence_mutations.Mutation,
        practice_mutations.Mutation,
        organisation_mutations.Mutation,
        oauth_mutations.Mutation,
        search_mutations.Mutation,
    ),
)


class MaskUnexpectedErrors(MaskErrors):
    """Unexpected exceptions reach the client as a generic message with the request id; the
    details go to the log under the same id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._should_mask)

    @staticmethod
    def _should_mask(error: GraphQLError) -> bool:
        original = error.original_error
        return original is not None and not isinstance(original, GraphQLError)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "unknown")
        log.error("unexpected error, request id %s", request_id, exc_info=error.original_error)
        return GraphQLError(
            f"Internal server error. Request id: {request_id}",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )


class CachedValidation(ValidationCache):
    """strawberry's validation cache (a bounded, process-wide LRU keyed by schema, document and rules),
    consulted only for documents QueryShape let through: its own hook would overwrite QueryShape's
    errors with the result of validating the very document QueryShape refused."""

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors is None:
            yield from super().on_validate()
        else:
            yield


class Schema(strawberry.Schema):
    """strawberry's Schema, hiding every "Did you mean" suggestion when field suggestions are off:
    strawberry strips them only from unknown fields, while unknown arguments, input fields, types
    and enum values would still spell out the schema that production keeps from introspection."""

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
        MaskUnexpectedErrors,
    ]
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
