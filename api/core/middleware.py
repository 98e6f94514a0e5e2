"""The HTTP edge: request ids, the body size limit enforced before parsing, and request bodies
that are not JSON answered as GraphQL-shaped 400s with a stable code."""

import json
import logging
import re
import uuid
from typing import Any

from cross_web import HTTPException as GraphQLHTTPException  # what strawberry's router answers as 4xx
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.db import DATABASE_UNAVAILABLE_MESSAGE, database_unavailable
from api.core.logs import organisation_var, request_id_var

log = logging.getLogger("coplab")

# An incoming X-Request-ID is kept when it looks like an id (a proxy's or the client's), so one id
# follows a request through every log; anything else (spaces, quotes, control characters, overlong)
# could forge or garble log lines and is replaced.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_of(scope: Scope) -> str:
    """The request's `X-Request-ID` if it is well-formed, else a fresh one."""
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            incoming = value.decode("latin-1")
            if REQUEST_ID.fullmatch(incoming):
                return incoming
            break
    return uuid.uuid4().hex


class RequestId:
    """Gives every request an id (the client's or proxy's `X-Request-ID` when well-formed, else a
    fresh one; echoed in `X-Request-ID`) for masked errors and logs, and answers an exception that
    escapes the application (outside GraphQL execution, which masks its own) with the same masked 500
    and id, the details going only to the log. A database outage is no bug: it is answered with
    DATABASE_UNAVAILABLE, on the GraphQL endpoint as GraphQL answers it during execution (200), elsewhere
    with 503 and Retry-After, and logged in one line (docs/operations.md, "A database outage")."""

    def __init__(self, app: ASGIApp, graphql_path: str = "/graphql") -> None:
        self.app = app
        self.graphql_path = graphql_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        organisation_token = organisation_var.set(None)  # until the principal is known

        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            unavailable = database_unavailable(error)
            if unavailable:
                log.warning("database unavailable, request id %s: %s", request_id, str(error).splitlines()[0][:300])
            else:
                log.exception("unexpected error, request id %s", request_id)
            if response_started:
                raise
            if unavailable:
                message, code = DATABASE_UNAVAILABLE_MESSAGE, "DATABASE_UNAVAILABLE"
                status = 200 if scope.get("path") == self.graphql_path else 503
                extra = [] if status == 200 else [(b"retry-after", b"5")]
            else:
                message, code = f"Internal server error. Request id: {request_id}", "INTERNAL_SERVER_ERROR"
                status, extra = 500, []
            body = json.dumps(
                {"errors": [{"message": message, "extensions": {"code": code, "requestId": request_id}}]}
            ).encode()
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra],
                }
            )
            await send_with_id({"type": "http.response.body", "body": body})
        finally:
            organisation_var.reset(organisation_token)
            request_id_var.reset(token)


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Answers 413 to a body over `max_bytes`, by its Content-Length or while it streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._reject(send)
                    return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body = json.dumps(
            {"errors": [{"message": f"Request body over {self.max_bytes} bytes.", "extensions": {"code": "BODY_TOO_LARGE"}}]}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


# A GraphQL request nests a few levels (an input object holding lists of objects); far deeper JSON
# is refused before anything walks it, well before the parser's own recursion limit.
MAX_JSON_DEPTH = 64
CODES_BY_STATUS = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE"}


class BadRequestBody(GraphQLHTTPException):
    """A 400 for a body that cannot be read as a GraphQL request, with its stable code."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(400, reason)
        self.code = code


def _nested_deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def decode_request_json(data: str | bytes) -> Any:
    """The JSON value of a request body: UTF-8 text (RFC 8259), at most MAX_JSON_DEPTH levels deep."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadRequestBody("INVALID_JSON", f"The body is not valid UTF-8 text (byte {error.start}).") from None
    too_deep = BadRequestBody("JSON_TOO_DEEP", f"The body nests JSON more than {MAX_JSON_DEPTH} levels deep.")
    try:
        value = json.loads(data)
    except json.JSONDecodeError as error:
        raise BadRequestBody(
            "INVALID_JSON", f"The body is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        ) from None
    except RecursionError:
        raise too_deep from None
    if _nested_deeper_than(value, MAX_JSON_DEPTH):
        raise too_deep
    return value


def http_error_response(error: GraphQLHTTPException) -> Response:
    """strawberry's plain-text 4xx as a body shaped like every other GraphQL error."""
    code = getattr(error, "code", None) or CODES_BY_STATUS.get(error.status_code, "BAD_REQUEST")
    log.info("refused request: %s %s", code, error.reason)
    return JSONResponse({"errors": [{"message": error.reason, "extensions": {"code": code}}]}, status_code=error.status_code)


class GraphQLRequestBody:
    """For strawberry's GraphQLRouter: bodies decoded strictly, and its refusals answered as JSON."""

    def decode_json(self, data: str | bytes) -> object:
        return decode_request_json(data)

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().run(*args, **kwargs)  # type: ignore[misc]
        except GraphQLHTTPException as error:
            return http_error_response(error)
