"""Settings: the only place environment variables are read."""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


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
            f"COPLAB_ISSUER: {url!r} is not a base URL; give scheme://host[:port][/path], e.g. https://registry.example.org"
        )
    return url.rstrip("/")


class Settings(BaseSettings):
    """Runtime configuration, read from `COPLAB_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="COPLAB_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""
    seed_dir: Path = PROJECT_ROOT / "seed"

    # Tokens (RFC 9068). The issuer is this server's public base URL: COPLAB_ISSUER where clients
    # reach the server through a proxy (required in production); otherwise the address `coplab serve`
    # listens on (`serve_url`, which it sets itself), else the default address (docs/auth.md).
    issuer: str = ""
    serve_url: str = ""
    audience: str = "coplab-api"
    access_token_lifetime_seconds: int = 900
    # How long `coplab keys rotate` publishes the next signing key before it signs: verifiers that
    # cache the JWKS learn the next key before it signs anything.
    key_publish_seconds: int = 3600
    # Refresh tokens rotate on every use; one unused this long lapses (idle), and no refresh token
    # of a sign-in outlives the absolute lifetime, however often it rotates.
    refresh_token_idle_seconds: int = 7 * 24 * 3600
    refresh_token_absolute_seconds: int = 30 * 24 * 3600
    authorization_code_seconds: int = 120
    consent_ticket_seconds: int = 600

    # GraphQL limits (SECURITY.md 3, 31-37).
    max_query_depth: int = 10
    max_aliases: int = 30
    max_field_repeats: int = 20
    max_tokens: int = 2000
    max_batch_operations: int = 5
    # The one page-size limit: `first` of every connection (nested ones too) and `hitsPerPage` of search.
    max_page_size: int = 100
    max_node_budget: int = 20_000
    max_body_bytes: int = 256 * 1024

    cors_origins: list[str] = Field(default_factory=list)

    # Search: the embedded engine unless a Meilisearch server is configured (docs/search.md).
    meilisearch_url: str | None = None
    meilisearch_api_key: str | None = None
    search_index_uid: str = "initiatives"
    # For `searchToken`: a Meilisearch search key (never the master key) and its uid, which sign the
    # short-lived tenant tokens a browser searches Meilisearch with directly.
    meilisearch_search_key: str | None = None
    meilisearch_search_key_uid: str | None = None
    search_token_seconds: int = 600
    # Database connections of one process (docs/operations.md, "Connections"): requests' pool, and the
    # search indexer's own small one. PostgreSQL cancels a statement running longer than the timeout.
    db_pool_size: int = 5
    db_max_overflow: int = 10
    db_indexer_pool_size: int = 2
    db_statement_timeout_seconds: float = 30.0
    # On SIGTERM a server stops accepting, lets requests in flight finish for up to this long, then
    # stops the indexer after its current batch.
    shutdown_grace_seconds: float = 30.0
    # Following the search change log (docs/search-indexing.md). With the embedded engine every API
    # process follows it into its own index. With Meilisearch one process at a time (holding a lease)
    # indexes the shared index: each API process competes for it unless this is off, where
    # `coplab search worker` processes index instead.
    search_indexer_in_process: bool = True
    search_poll_seconds: float = 0.2
    search_batch_size: int = 200
    # Changes stay in the log this long; a follower further behind rebuilds its index.
    search_log_retention_seconds: float = 3600.0
    search_prune_interval_seconds: float = 60.0
    # The shared index's indexer renews its lease this often; another process takes over after it lapses.
    search_lease_seconds: float = 15.0
    # /readyz: the index must have caught up with the log within this long.
    search_ready_lag_seconds: float = 30.0
    # While the engine fails, retry after this long, doubling up to the maximum.
    search_retry_initial_seconds: float = 0.2
    search_retry_max_seconds: float = 30.0

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
                raise ValueError(
                    f"COPLAB_CORS_ORIGINS: {origin!r} is not an origin; list each allowed origin exactly as "
                    "scheme://host[:port] in lowercase (no '*', path, query or trailing slash)"
                )
        return origins

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
    readiness_timeout_seconds: float = Field(default=2.0, gt=0)

    # Garbage collection of the serving process (docs/performance.md): freeze what startup built and
    # collect the youngest generation less often. Off by default in tests, whose one process builds
    # hundreds of apps and should not keep each one's objects out of collection.
    tune_gc: bool | None = None
    gc_young_threshold: int = 5000

    # The operators' view (docs/operations.md, "Metrics" and "Tracing").
    # /metrics: unset means on outside production, and in production on only with a token.
    metrics_enabled: bool | None = None
    # When set, /metrics answers only `Authorization: Bearer <token>`.
    metrics_token: str = ""
    # How long /metrics waits for each reading taken at scrape time (outbox, index) before reporting it down.
    metrics_reading_timeout_seconds: float = 2.0
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
        return self

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
