"""The GraphQL operations' metrics (docs/operations.md, "Metrics"): each operation's latency by its
name and type, and its errors by code. Mutations' userErrors are counted where they are made
(api/graphql/mutations.py)."""

import re
import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from api.core.metrics import GRAPHQL_ERRORS, GRAPHQL_OPERATION_SECONDS, operation_label
from api.graphql.errors import error_code

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
        GRAPHQL_OPERATION_SECONDS.labels(operation=operation_label(context.operation_name), type=kind).observe(
            time.perf_counter() - started
        )
        # Validation's errors, or execution's: strawberry keeps the last of them here.
        for error in context.pre_execution_errors or []:
            count_error(error_code(error), kind="error")
