"""The GraphQL operations' metrics (docs/operations.md, "Metrics"): each operation's latency by its
name and type, and its errors by code; and one log line per operation (logger `coplab.graphql`)
with the same, under the request's id. Mutations' userErrors are counted where they are made
(api/graphql/mutations.py)."""

import logging
import re
import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from api.core.metrics import GRAPHQL_ERRORS, GRAPHQL_OPERATION_SECONDS, exemplar, operation_label
from api.graphql.errors import error_code

log = logging.getLogger("coplab.graphql")
CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def code_label(code: str) -> str:
    return code if CODE.fullmatch(code) else "OTHER"


def count_error(code: str, *, kind: str) -> None:
    GRAPHQL_ERRORS.labels(code=code_label(str(code)), kind=kind).inc()


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        try:
            kind = context.operation_type.value
        except RuntimeError:  # a document that did not parse, or names no operation it holds
            kind = "unknown"
        name, seconds = operation_label(context.operation_name), time.perf_counter() - started
        GRAPHQL_OPERATION_SECONDS.labels(operation=name, type=kind).observe(seconds, exemplar())
        # Validation's errors, or execution's: strawberry keeps the last of them here.
        codes = [code_label(str(error_code(error))) for error in context.pre_execution_errors or []]
        for code in codes:
            count_error(code, kind="error")
        log.info("graphql %s %s in %.1f ms: %s", kind, name, seconds * 1000, ", ".join(codes) or "no errors")
