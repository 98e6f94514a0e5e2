"""Small factories for arranging tests, one module per domain, and the helpers tests call the API with.

`make` (tests/conftest.py) is a `Factory`: every domain's builders on one object, so a test writes
`make.organisation(…)`, `make.token(…)`, `make.initiative(…)` whichever module holds them. A new
builder goes in its domain's module (organisations, tokens, initiatives, evidence, practices, figures) and the
facade picks it up by inheriting that module's class; helpers are imported from `tests.factories`.
"""

from dataclasses import dataclass, field

from sqlmodel import Session

from api.core.settings import Settings
from tests.factories.evidence import Evidence
from tests.factories.figures import Figures
from tests.factories.graphql_calls import (
    CONNECTION_TYPES,
    EnumValue,
    connection_pages,
    error_extensions,
    gid,
    graphql,
    graphql_literal,
    mutate,
    node_ids,
    send_inline,
    send_variables,
    sql_statements,
    user_errors,
)
from tests.factories.initiatives import Initiatives, classify
from tests.factories.organisations import Organisations, membership_of
from tests.factories.practices import Practices
from tests.factories.ratings import DESIGN_COMPARISON, design_levels, finding_evidence
from tests.factories.rows import ACTOR, REGISTRY_TABLES, set_columns, stored
from tests.factories.tokens import (
    ALL_SCOPES,
    LAB_ADMIN_SCOPES,
    TEST_KEY_ENCRYPTION_KEY,
    Tokens,
    lab_admin_token,
    signing_key,
)
from tests.factories.vocabularies import load_vocabularies


@dataclass
class Factory(Organisations, Tokens, Initiatives, Evidence, Practices, Figures):
    """The `make` fixture: builders that write rows (committed) the way coplab itself would store them."""

    db: Session
    settings: Settings
    _token_clients: set[str] = field(default_factory=set)  # registered this test


__all__ = [
    "ACTOR",
    "ALL_SCOPES",
    "CONNECTION_TYPES",
    "DESIGN_COMPARISON",
    "LAB_ADMIN_SCOPES",
    "REGISTRY_TABLES",
    "EnumValue",
    "Factory",
    "classify",
    "connection_pages",
    "design_levels",
    "error_extensions",
    "finding_evidence",
    "gid",
    "graphql",
    "graphql_literal",
    "lab_admin_token",
    "load_vocabularies",
    "membership_of",
    "mutate",
    "node_ids",
    "send_inline",
    "send_variables",
    "set_columns",
    "sql_statements",
    "stored",
    "user_errors",
]
