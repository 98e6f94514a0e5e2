"""The GraphQL shapes of errors: `userErrors` entries, and top-level errors with a stable code."""

from collections.abc import Sequence

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.relay.types import InvalidGlobalIDError

from api.core.errors import ErrorCode, Problem


@strawberry.type(description="A problem with a mutation's input; nothing was written.")
class UserError:
    field: list[str] = strawberry.field(description="Path to the input field, starting at `input`.")
    code: ErrorCode = strawberry.field(description="Stable error code.")
    message: str = strawberry.field(description="Human-readable explanation.")
    suggestion: str | None = strawberry.field(
        default=None,
        description="The value the input probably meant (for an unknown code: the likely code), when there is one.",
    )

    @classmethod
    def from_problem(cls, problem: Problem) -> "UserError":
        return cls(
            field=["input", *problem.field], code=problem.code, message=problem.message, suggestion=problem.suggestion
        )


def user_errors_field() -> list[UserError]:
    """A payload's `userErrors`: empty unless the mutation boundary answers with the problems."""
    return strawberry.field(default_factory=list, description="Problems with the input; empty on success.")


class ApiError(GraphQLError):
    """A top-level error with a stable `extensions.code`: authentication, scope, or a bad argument
    (with `field`, the path to the argument's value that is wrong)."""

    def __init__(self, code: str, message: str, *, field: Sequence[str] | None = None) -> None:
        extensions: dict = {"code": str(code)}
        if field is not None:
            extensions["field"] = list(field)
        super().__init__(message, extensions=extensions)


def bad_user_input(problems: Sequence[Problem]) -> ApiError:
    """One top-level BAD_USER_INPUT error listing every problem of a query's arguments with its path."""
    error = ApiError("BAD_USER_INPUT", " ".join(f"{'.'.join(p.field)}: {p.message}" for p in problems))
    error.extensions["problems"] = [
        {"field": list(p.field), "code": p.code.value, "message": p.message}
        | ({"suggestion": p.suggestion} if p.suggestion is not None else {})
        for p in problems
    ]
    return error


def unauthenticated() -> ApiError:
    return ApiError("UNAUTHENTICATED", "Authentication is required for this operation.")


def missing_scope(scope: str) -> ApiError:
    return ApiError("FORBIDDEN", f"The access token lacks the scope {scope}.")


def is_unexpected(error: GraphQLError) -> bool:
    """An exception of the server's own rather than an answer to a bad request."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def error_code(error: GraphQLError) -> str:
    """The stable code of any error: its own, or one by what kind of error it is."""
    code = (error.extensions or {}).get("code")
    if code:
        return str(code)
    if isinstance(error, GraphQLSyntaxError) or isinstance(error.original_error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if isinstance(error.original_error, InvalidGlobalIDError):
        return ErrorCode.INVALID_ID
    if is_unexpected(error):
        return "INTERNAL_SERVER_ERROR"
    # Errors of the document itself are coded during validation; what is left before execution is
    # a variable's value, and during execution an argument's.
    return "BAD_USER_INPUT"
