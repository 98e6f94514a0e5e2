"""Settings: the only place environment variables are read.

Every setting is a `COPLAB_*` environment variable (or a line of `.env`), listed with its default and
when to change it in docs/operations.md, "Settings". A wrong value stops the process with one line
a problem naming the variable, the value (secrets redacted) and what is expected (`problems`)."""

import base64
import binascii
import json
import re
import sys
import types
from enum import Enum, StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, NoReturn, Union, get_args, get_origin
from urllib.parse import urlsplit

import annotated_types
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from api.core.log_redaction import REDACTED, redact

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PREFIX = "COPLAB_"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    JSON = "json"
    TEXT = "text"


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


TRACING_EXPORTERS = ("off", "otlp", "console", "file")
DEFAULT_ISSUER = "http://127.0.0.1:8000"  # `coplab serve` without --host or --port
DATABASE_URL_FORMS = "postgresql://user:password@host:5432/database or sqlite:////absolute/path/coplab.db"
ENCRYPTION_KEY_BYTES = 32  # AES-256


class ConfigurationError(Exception):
    """A configuration that cannot work, found once the process meets what it configures (a database
    whose signing keys another encryption key sealed): its message is one line for the operator."""


def _issuer_url(url: str) -> str:
    """The issuer as metadata, tokens and redirects all name it: scheme, host, port and an optional
    path, without a trailing slash (RFC 8414 forbids a query or fragment)."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (raises for a port that is not a number)
    except ValueError:
        parts = parts._replace(netloc="")
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment or "#" in url:
        raise ValueError(
            f"COPLAB_ISSUER: {redact(url)!r} is not a base URL; give scheme://host[:port][/path], e.g. https://registry.example.org"
        )
    return url.rstrip("/")


LIST_FORMS = "values separated by commas or spaces, or a JSON list"


def _words(value: object) -> object:
    """A list written the natural way in one variable: separated by commas and/or spaces, or as a JSON
    list. Anything that is not a string (a list given in Python) is left to the field's type."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)  # a JSONDecodeError is a ValueError: `problems` names the variable
    return [word for word in re.split(r"[,\s]+", text) if word]


def decode_encryption_key(text: str) -> bytes:
    """A key of COPLAB_KEY_ENCRYPTION_KEYS: 32 random bytes in base64 (standard or URL-safe, padding
    optional), as `coplab keys encryption-key` or `openssl rand -base64 32` write them."""
    try:
        raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != ENCRYPTION_KEY_BYTES:
        raise ValueError(f"not {ENCRYPTION_KEY_BYTES} bytes in base64")
    return raw


def _secret() -> dict[str, Any]:
    """Marks a setting whose value is never echoed (`problems`)."""
    return {"secret": True}


Seconds = Annotated[int, Field(ge=1)]
Limit = Annotated[int, Field(ge=1)]
Interval = Annotated[float, Field(gt=0)]
Words = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Runtime configuration, read from `COPLAB_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = PROJECT_ROOT / "var"
    # `postgres://` (the form many hosts hand out) is read as `postgresql://`.
    database_url: str = ""
    seed_dir: Path = PROJECT_ROOT / "seed"

    # Tokens (RFC 9068). The issuer is this server's public base URL: COPLAB_ISSUER where clients
    # reach the server through a proxy (required in production); otherwise the address `coplab serve`
    # listens on (`serve_url`, which it sets itself), else the default address (docs/auth.md).
    issuer: str = ""
    serve_url: str = ""
    audience: str = "coplab-api"
    access_token_lifetime_seconds: Seconds = 900
    # How long `coplab keys rotate` publishes the next signing key before it signs: verifiers that
    # cache the JWKS learn the next key before it signs anything.
    key_publish_seconds: int = Field(default=3600, ge=0)
    # The signing keys' private parts are stored encrypted with the first of these (AES-256-GCM);
    # every one of them decrypts, so the encryption key itself can be rotated (docs/operations.md).
    # Required in production; without one, development and test store them as plain JSON.
    key_encryption_keys: Words = Field(default_factory=list, json_schema_extra=_secret())
    # Refresh tokens rotate on every use; one unused this long lapses (idle), and no refresh token
    # of a sign-in outlives the absolute lifetime, however often it rotates.
    refresh_token_idle_seconds: Seconds = 7 * 24 * 3600
    refresh_token_absolute_seconds: Seconds = 30 * 24 * 3600
    authorization_code_seconds: Seconds = 120
    # The portal refreshes a session's access token when it expires within this long, before running
    # the page's operation, so no page fails on a token that lapses while it runs (docs/portal.md).
    portal_refresh_margin_seconds: int = Field(default=60, ge=0)
    consent_ticket_seconds: Seconds = 600

    # GraphQL limits (SECURITY.md 3, 31-37).
    max_query_depth: Limit = 10
    max_aliases: Limit = 30
    max_field_repeats: Limit = 20
    max_tokens: Limit = 2000
    max_batch_operations: Limit = 5
    # The one page-size limit: `first` of every connection (nested ones too) and `hitsPerPage` of search.
    max_page_size: Limit = 100
    max_node_budget: Limit = 20_000
    max_body_bytes: Limit = 256 * 1024

    # Comma- or space-separated, or a JSON list.
    cors_origins: Words = Field(default_factory=list)

    # Search: the embedded engine unless a Meilisearch server is configured (docs/search.md).
    meilisearch_url: str | None = None
    meilisearch_api_key: str | None = Field(default=None, json_schema_extra=_secret())
    search_index_uid: str = "initiatives"
    # For `searchToken`: a Meilisearch search key (never the master key) and its uid, which sign the
    # short-lived tenant tokens a browser searches Meilisearch with directly.
    meilisearch_search_key: str | None = Field(default=None, json_schema_extra=_secret())
    meilisearch_search_key_uid: str | None = None
    search_token_seconds: Seconds = 600
    # Database connections of one process (docs/operations.md, "Connections"): requests' pool, and the
    # search indexer's own small one. PostgreSQL cancels a statement running longer than the timeout.
    db_pool_size: Limit = 5
    db_max_overflow: int = Field(default=10, ge=0)
    db_indexer_pool_size: Limit = 2
    db_statement_timeout_seconds: float = Field(default=30.0, ge=0)  # 0: never
    # On SIGTERM a server stops accepting, lets requests in flight finish for up to this long, then
    # stops the indexer after its current batch.
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    # An idle keep-alive connection is closed after this long. Longer than a proxy's or balancer's
    # idle timeout (commonly 60 s), so the server never closes a connection just as the proxy sends
    # a request on it (the request then fails with no answer).
    keep_alive_seconds: Seconds = 75
    # Following the search change log (docs/search-indexing.md). With the embedded engine every API
    # process follows it into its own index. With Meilisearch one process at a time (holding a lease)
    # indexes the shared index: each API process competes for it unless this is off, where
    # `coplab search worker` processes index instead.
    search_indexer_in_process: bool = True
    search_poll_seconds: Interval = 0.2
    search_batch_size: Limit = 200
    # Changes stay in the log this long; a follower further behind rebuilds its index.
    search_log_retention_seconds: Interval = 3600.0
    search_prune_interval_seconds: Interval = 60.0
    # The shared index's indexer renews its lease this often; another process takes over after it lapses.
    search_lease_seconds: Interval = 15.0
    # /readyz: the index must have caught up with the log within this long.
    search_ready_lag_seconds: Interval = 30.0
    # Take connections only once this process's embedded index is built. `coplab serve --workers N`
    # turns it on: its workers share one port, so a readiness probe answered by one worker cannot keep
    # requests from another still building (a worker restarted after a crash, say).
    search_build_before_serving: bool = False
    # While the engine fails, retry after this long, doubling up to the maximum.
    search_retry_initial_seconds: Interval = 0.2
    search_retry_max_seconds: Interval = 30.0

    # Webhooks (docs/webhooks.md). Every API process runs a delivery worker unless this is off; workers
    # claim deliveries with a lease by the database's clock, so several processes never send one twice.
    webhook_worker_in_process: bool = True
    webhook_poll_seconds: Interval = 1.0
    webhook_batch_size: Limit = 20
    # A claimed delivery is this process's for this long; longer than the timeout of one attempt.
    webhook_lease_seconds: Interval = 60.0
    webhook_timeout_seconds: Interval = 10.0
    # Retries: the first after the initial wait, each next one twice as long (jittered), up to the maximum.
    webhook_retry_initial_seconds: Interval = 30.0
    webhook_retry_max_seconds: Interval = 3600.0
    # An endpoint whose deliveries have failed for this long (5 days) is disabled and its administrators told.
    webhook_disable_after_seconds: Interval = 432000.0
    # After a rotation, deliveries carry signatures by the previous secret too for this long (24 h).
    webhook_secret_grace_seconds: Interval = 86400.0

    @field_validator("cors_origins", "key_encryption_keys", mode="before")
    @classmethod
    def _split_words(cls, value: object) -> object:
        return _words(value)

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, origins: list[str]) -> list[str]:
        # Browsers compare the whole origin; a wildcard would let any site read the API's answers.
        for origin in origins:
            parts = urlsplit(origin)
            try:
                port_ok = parts.port is None or parts.port > 0
            except ValueError:
                port_ok = False
            exact = (
                parts.scheme in {"http", "https"}
                and parts.hostname is not None
                and "*" not in origin
                and origin == origin.lower()
                and port_ok
                and origin == f"{parts.scheme}://{parts.netloc}"
                and not parts.username
                and not parts.password
            )
            if not exact:
                meant = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}".lower()
                hint = f" (did you mean {meant!r}?)" if port_ok and parts.hostname and "*" not in meant else ""
                raise ValueError(
                    f"COPLAB_CORS_ORIGINS: {redact(origin)!r} is not an origin{hint}; list each allowed origin exactly as "
                    "scheme://host[:port] in lowercase (no '*', path, query or trailing slash), separated by "
                    "commas or spaces"
                )
        return origins

    @field_validator("key_encryption_keys")
    @classmethod
    def _encryption_keys(cls, keys: list[str]) -> list[str]:
        for number, key in enumerate(keys, 1):
            try:
                decode_encryption_key(key)
            except ValueError:
                raise ValueError(
                    f"COPLAB_KEY_ENCRYPTION_KEYS: key {number} of {len(keys)} ({REDACTED}) is not "
                    f"{ENCRYPTION_KEY_BYTES} random bytes in base64; make one with `coplab keys encryption-key`"
                ) from None
        return keys

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, url: str) -> str:
        if not url:
            return url  # the default, under COPLAB_DATA_DIR
        url = re.sub(r"^postgres(?=[+:])", "postgresql", url.strip())
        try:
            parsed = make_url(url)
            backend = parsed.get_backend_name()
        except (ArgumentError, ValueError):
            backend = None
        if backend not in {"postgresql", "sqlite"}:
            raise ValueError(
                f"COPLAB_DATABASE_URL: {redact(url)!r} is not a database URL coplab can use; expected {DATABASE_URL_FORMS}"
            )
        if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
            directory = Path(parsed.database).parent
            if not directory.is_dir():
                raise ValueError(
                    f"COPLAB_DATABASE_URL: {redact(url)!r} names a SQLite file in {str(directory)!r}, which is not "
                    "an existing directory; create it, or give the path of one that exists"
                )
        return url

    # The public export served at /exports/ (docs/exports.md) is written again when the registry's data
    # version changes, and in any case once older than this.
    exports_max_age_seconds: int = Field(default=600, ge=0)

    # Failed client authentications at the token endpoint, per client id and source address together,
    # and per source address across every client id (SECURITY.md 38, docs/auth.md).
    token_failure_limit: int = Field(default=5, ge=1)
    token_source_failure_limit: int = Field(default=20, ge=1)
    token_failure_window_seconds: int = Field(default=60, ge=1)
    # Failed sign-ins at the authorization page, per e-mail address and source address together, and
    # per source address across every e-mail address.
    sign_in_failure_limit: int = Field(default=5, ge=1)
    sign_in_source_failure_limit: int = Field(default=20, ge=1)
    sign_in_failure_window_seconds: int = Field(default=300, ge=1)

    # Log output of `coplab serve` and `coplab search worker` (docs/operations.md, Logs): one JSON
    # object per line, except in development, where lines are plain text unless set.
    log_format: LogFormat | None = None
    log_level: str = "INFO"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level.upper() not in LOG_LEVELS:
            raise ValueError(f"COPLAB_LOG_LEVEL: {level!r} is not one of {', '.join(LOG_LEVELS)}")
        return level.upper()

    # Readiness (docs/operations.md, Health probes): each check of /readyz gives up after this long.
    readiness_timeout_seconds: Interval = 2.0

    # Garbage collection of the serving process (docs/performance.md): freeze what startup built and
    # collect the youngest generation less often. Off by default in tests, whose one process builds
    # hundreds of apps and should not keep each one's objects out of collection.
    tune_gc: bool | None = None
    gc_young_threshold: Limit = 5000

    # The operators' view (docs/operations.md, "Metrics" and "Tracing").
    # /metrics: unset means on outside production, and in production on only with a token.
    metrics_enabled: bool | None = None
    # When set, /metrics answers only `Authorization: Bearer <token>`.
    metrics_token: str = Field(default="", json_schema_extra=_secret())
    # How long /metrics waits for each reading taken at scrape time (outbox, index) before reporting it down.
    metrics_reading_timeout_seconds: Interval = 2.0
    # Set by `coplab serve --workers N` (read by prometheus-client too): every process writes its
    # counts there and /metrics adds them up.
    prometheus_multiproc_dir: str = Field("", validation_alias="PROMETHEUS_MULTIPROC_DIR")
    # off, otlp, console (standard output) or file (JSON lines in tracing_file); unset: otlp when
    # OTEL_EXPORTER_OTLP_ENDPOINT is set, else off.
    tracing: str = ""
    tracing_file: Path | None = None
    # The share of requests traced (a caller's `traceparent` decides for its own requests).
    tracing_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    otel_exporter_otlp_endpoint: str = Field("", validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")

    @model_validator(mode="after")
    def _defaults_and_safety(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'coplab.db'}"
        if self.log_format is None:
            self.log_format = LogFormat.TEXT if self.environment is Environment.DEVELOPMENT else LogFormat.JSON
        if self.tune_gc is None:
            self.tune_gc = self.environment is not Environment.TEST
        if not self.issuer:
            if self.environment is Environment.PRODUCTION:
                raise ValueError(
                    "COPLAB_ISSUER is not set: in production set it to the public URL clients reach this "
                    "server at, e.g. COPLAB_ISSUER=https://registry.example.org (docs/auth.md)"
                )
            self.issuer = self.serve_url or DEFAULT_ISSUER
        self.issuer = _issuer_url(self.issuer)
        if self.metrics_enabled is None:
            self.metrics_enabled = self.environment is not Environment.PRODUCTION or bool(self.metrics_token)
        if not self.tracing:
            self.tracing = "otlp" if self.otel_exporter_otlp_endpoint else "off"
        if self.tracing not in TRACING_EXPORTERS:
            raise ValueError(f"COPLAB_TRACING: {self.tracing!r} is not one of {', '.join(TRACING_EXPORTERS)}")
        if self.tracing == "file" and self.tracing_file is None:
            raise ValueError("COPLAB_TRACING=file needs COPLAB_TRACING_FILE, the file the spans are written to")
        if self.environment is Environment.PRODUCTION and not self.key_encryption_keys:
            raise ValueError(
                "COPLAB_KEY_ENCRYPTION_KEYS is not set: in production the signing keys are stored encrypted; "
                "make a key with `coplab keys encryption-key` and set it (docs/operations.md)"
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION


def variable(name: str) -> str:
    """The environment variable of the setting `name` (its own name where it has one, as the
    variables other tools read too)."""
    alias = Settings.model_fields[name].validation_alias if name in Settings.model_fields else None
    return alias if isinstance(alias, str) else f"{PREFIX}{name.upper()}"


def _field_named(name: str) -> str:
    """The setting a problem's location names: a field, or the variable of one with a name of its own."""
    aliased = {field.validation_alias: field_name for field_name, field in Settings.model_fields.items()}
    return aliased.get(name, name)


def _is_secret(name: str) -> bool:
    if name not in Settings.model_fields:
        return False
    extra = Settings.model_fields[name].json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("secret"))


def _expected(name: str) -> str:
    """What the setting `name` takes, in words, from its type and bounds."""
    field = Settings.model_fields[name]
    kind = field.annotation
    if get_origin(kind) in (Union, types.UnionType):
        kind = next(arg for arg in get_args(kind) if arg is not type(None))
    if isinstance(kind, type) and issubclass(kind, Enum):
        return "one of " + ", ".join(member.value for member in kind)
    if get_origin(kind) is list:
        return LIST_FORMS
    words = {bool: "true or false", int: "a whole number", float: "a number", Path: "a path"}.get(kind, "text")
    for bound in field.metadata:
        if isinstance(bound, annotated_types.Ge):
            words += f" of at least {bound.ge}"
        elif isinstance(bound, annotated_types.Gt):
            words += f" greater than {bound.gt}"
        elif isinstance(bound, annotated_types.Le):
            words += f" and at most {bound.le}"
    return words


def problems(error: ValidationError) -> list[str]:
    """One line for each problem of refused settings: the variable, its value (a secret's redacted,
    a URL's password too) and what is expected."""
    lines = []
    for problem in error.errors():
        message = problem["msg"].removeprefix("Value error, ")
        location = problem["loc"]
        if problem["type"] == "value_error" and (message.startswith(PREFIX) or not location):
            lines.append(message)  # the validators' own lines name the variable and the expectation
            continue
        name = _field_named(str(location[0]))
        value = problem["input"]
        shown = REDACTED if _is_secret(name) else redact(str(value))
        if name in Settings.model_fields:
            lines.append(f"{variable(name)}: {shown!r} is not valid; expected {_expected(name)}")
        else:
            lines.append(f"{variable(name)}: {shown!r} is not valid; {message}")
    return lines


def exit_with(lines: list[str]) -> NoReturn:
    """Stop the process, saying why on standard error: no traceback, exit status 1."""
    for line in lines:
        print(line, file=sys.stderr, flush=True)
    raise SystemExit(1)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()


def settings_or_exit() -> Settings:
    """The process-wide settings; refused ones stop the process with one line a problem (the entry
    points: the `coplab` command and `uvicorn api.main:create_app --factory`)."""
    try:
        return get_settings()
    except ValidationError as error:
        exit_with(problems(error))
