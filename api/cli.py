"""The `coplab` command, assembled from the command groups of the domains (each domain's `commands.py`),
plus `serve` and `schema export`, which concern the whole application."""

import logging
import os
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError


from api.activity import subjects as _subjects  # noqa: F401  (who may read what, for webhook deliveries)
from api.core import logs
from api.core.console import console
from api.core.startup import startup_lock
from api.core.settings import PROJECT_ROOT, ConfigurationError, Settings, exit_with, get_settings, problems
from api.exports import commands as export_commands
from api.migrations.commands import db_app
from api.oauth.commands import client_app, encrypt_signing_keys, keys_app, token_app
from api.ratings.commands import ratings_app
from api.organisations.commands import org_app, user_app
from api.search.commands import search_app
from api.seeding import commands as seed_commands
from api.vocabularies.commands import prepare_database, vocab_app

log = logging.getLogger("coplab")


class Coplab(typer.Typer):
    """The command, which refuses a wrong configuration in one line a problem, whichever command meets it
    (the variable, the value with secrets redacted, what is expected), never with a traceback."""

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as error:
            if error.title != Settings.__name__:
                raise
            exit_with(problems(error))
        except ConfigurationError as error:
            exit_with([str(error)])


app = Coplab(help="coplab: the registry of the Children Online Protection Lab.", no_args_is_help=True)
schema_app = typer.Typer(help="The GraphQL contract.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (org_app, "org"),
    (user_app, "user"),
    (token_app, "token"),
    (client_app, "client"),
    (schema_app, "schema"),
    (vocab_app, "vocabularies"),
    (keys_app, "keys"),
    (search_app, "search"),
    (ratings_app, "ratings"),
):
    app.add_typer(sub, name=name)


# Binding to every interface names no address a client can use; this machine's clients use loopback.
WILDCARD_HOSTS = {"", "0.0.0.0", "::"}
WORKER_START_SECONDS = 120


def served_at(host: str, port: int) -> str:
    """The base URL clients on this machine reach `coplab serve --host HOST --port PORT` at."""
    host = "127.0.0.1" if host in WILDCARD_HOSTS else host
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    reload: bool = False,
    prepare: Annotated[
        bool, typer.Option(help="Migrate, load vocabularies and encrypt the signing keys as configured first.")
    ] = True,
    seed: Annotated[
        bool, typer.Option(help="Load the Lab's registry (seed/registry) into a database that holds no organisation.")
    ] = True,
    workers: Annotated[
        int, typer.Option(min=1, help="Server processes on this port; each keeps its own search index.")
    ] = 1,
) -> None:
    """Start the API server (GraphQL at /graphql). Its OAuth issuer is COPLAB_ISSUER if set (required in
    production), else the address it listens on. Preparing the database runs once however many
    processes and hosts start together (`coplab migrate` does it alone, for deployments that migrate
    separately: then serve with --no-prepare --no-seed)."""
    import uvicorn

    # The application reads its settings from the environment, in this process and in the one
    # `--reload` starts, so the listening address reaches the issuer the same way.
    os.environ["COPLAB_SERVE_URL"] = served_at(host, port)
    get_settings.cache_clear()
    settings = get_settings()  # refused settings: one line a problem (Coplab)
    # The server's log output (docs/operations.md, Logs), configured here for this command's own
    # lines; uvicorn applies the same configuration in the process it serves from (with --reload, a
    # process of its own).
    logs.configure(settings)
    log.info("issuer %s", settings.issuer)
    if host in WILDCARD_HOSTS and settings.issuer == os.environ["COPLAB_SERVE_URL"]:
        log.warning(
            "listening on every interface: clients on other machines need COPLAB_ISSUER set to the address they use"
        )
    with startup_lock(settings.database_url):
        if prepare:
            prepare_database()
        # Encrypt the signing keys as configured, or (with --no-prepare) check that they open: a wrong
        # encryption key stops here in one line, before the server starts.
        encrypt_signing_keys(write=prepare)
        if seed:
            seed_commands.seed_if_empty()
    if workers > 1:  # the workers add up their metrics through files in one directory (docs/operations.md)
        from api.core.metrics import prepare_multiprocess_directory

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = prepare_multiprocess_directory(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        # One port for all workers: a worker takes connections only once its embedded index is built.
        os.environ.setdefault("COPLAB_SEARCH_BUILD_BEFORE_SERVING", "true")
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        workers=None if reload else workers,
        proxy_headers=True,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        timeout_keep_alive=settings.keep_alive_seconds,
        # A worker started by a rolling restart (SIGHUP) must be serving within this long, its index
        # built, or the restart is abandoned; uvicorn's 5 s is too short for a large registry.
        timeout_worker_healthcheck=WORKER_START_SECONDS,
        log_config=logs.logging_config(settings),
    )


@app.command()
def migrate() -> None:
    """Migrate the database to the latest schema and load the vocabularies, once however many processes
    run this (or `coplab serve`) together; for deployments that migrate before starting servers."""
    settings = get_settings()
    with startup_lock(settings.database_url):
        prepare_database()
        encrypt_signing_keys()
    console.print("database migrated; vocabularies loaded; signing keys stored as configured")


SCHEMA_FILE = PROJECT_ROOT / "schema" / "schema.graphql"


def schema_sdl() -> str:
    """The GraphQL contract as SDL, the same in every environment."""
    from api.core.settings import Settings
    from api.schema import build_schema

    return str(build_schema(Settings(environment="development"))) + "\n"


@schema_app.command("export")
def schema_export(output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = SCHEMA_FILE) -> None:
    """Write the GraphQL schema (SDL) to schema/schema.graphql."""
    output.write_text(schema_sdl(), encoding="utf-8")
    console.print(f"wrote {output}")


app.command("seed")(seed_commands.seed)
app.command("export")(export_commands.export)
app.command("import")(export_commands.import_)

if __name__ == "__main__":
    app()
