"""The portal's one data path: a page runs a named operation (`operations/<name>.graphql`) through the
app's own strawberry schema, in-process, with the context /graphql builds (`request_context`), so the
visibility rules, limits, validation and error masking are those of /graphql. No SQL here."""

from pathlib import Path

from starlette.requests import Request

from api.auth.tokens import InvalidToken
from api.graphql.context import request_context
from api.portal import languages, signin

OPERATIONS_DIR = Path(__file__).parent / "operations"
OPERATIONS: dict[str, str] = {path.stem: path.read_text(encoding="utf-8") for path in OPERATIONS_DIR.glob("*.graphql")}

# Codes that mean "no such record for you": answered exactly like a record the operation found null.
NOT_FOUND_CODES = {"INVALID_ID", "NOT_FOUND"}


class PageProblem(Exception):
    """An operation a page ran answered errors: the page becomes an error page with this status."""

    def __init__(self, status_code: int, request_id: str, problems: list[dict] | None = None) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.request_id = request_id
        self.problems = problems or []  # what the errors' `extensions.problems` list (a bad filter code…)


def status_for(codes: set[str]) -> int:
    """404 for a record that is not there (or not readable), 400 for what the visitor typed in the
    address (an unknown facet code, a page out of range), 500 for anything else."""
    if codes and codes <= NOT_FOUND_CODES:
        return 404
    if codes and codes <= NOT_FOUND_CODES | {"BAD_USER_INPUT"}:
        return 400
    return 500


async def run(request: Request, name: str, variables: dict | None = None) -> dict:
    """The data of operation `name` for this visitor: with their session's access token when they
    are signed in (so they see what /graphql shows them), anonymous otherwise; or PageProblem.
    Every operation may declare `$language: LabelLanguage!` for its vocabulary labels: it is given the
    page's language (an operation that does not declare it ignores it)."""
    variables = {"language": languages.current().upper(), **(variables or {})}
    try:
        return await _execute(request, name, variables, signin.visitor().access_token)
    except InvalidToken:  # the sign-in was ended elsewhere (revoked, membership gone): signed out now
        signin.signed_out()
        return await _execute(request, name, variables, None)


async def _execute(request: Request, name: str, variables: dict, token: str | None) -> dict:
    schema = request.app.state.schema
    async with request_context(request, token=token) as context:
        result = await schema.execute(OPERATIONS[name], variable_values=variables, context_value=context)
        if result.errors:
            # The schema has logged them (unexpected ones with their request id) and masked the rest.
            codes = {str((error.extensions or {}).get("code", "INTERNAL_SERVER_ERROR")) for error in result.errors}
            problems = [p for error in result.errors for p in (error.extensions or {}).get("problems") or [] if isinstance(p, dict)]
            raise PageProblem(status_for(codes), context.request_id, problems)
        return result.data or {}
