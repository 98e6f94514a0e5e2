"""`coplab export` and `coplab import` (registered in api/cli.py)."""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import sqlalchemy as sa
import typer
from rich.progress import Progress

from api.core.console import console, progress
from api.core.db import create_sync_engine
from api.core.settings import get_settings
from api.exports.entities import Scope
from api.exports.loader import check_target, import_transaction, load
from api.exports.reader import ExportProblems, read_export
from api.exports.writer import write_export


def export(
    out: Annotated[
        Path | None, typer.Option(help="Directory to write into (default: var/exports/public, or var/exports/all).")
    ] = None,
    all_: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every record, non-public and deleted ones included, plus seed records; files readable by you only.",
        ),
    ] = False,
) -> None:
    """Write the registry as JSON Lines and CSV files with a manifest (docs/exports.md).

    By default the public registry: exactly what anyone may read through the API.

    With --all, every record, for backups and for moving a registry between SQLite and PostgreSQL (see `coplab import`).

    Neither holds people, memberships, OAuth clients, tokens, signing keys, the audit log or the search outbox: those belong to database backups (they hold password hashes and secrets).
    """
    settings = get_settings()
    scope = Scope.ALL if all_ else Scope.PUBLIC
    directory = out or settings.data_dir / "exports" / scope.value
    engine = create_sync_engine(settings.database_url)
    try:
        with progress() as bars:
            manifest = write_export(engine=engine, directory=directory, scope=scope, track=_tracker(bars))
    except sa.exc.DBAPIError as error:
        console.print(f"the database cannot be read: {error.orig}; is it migrated (`coplab db upgrade`)?",
                      style="red", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    counts = ", ".join(f"{entity['rows']} {name}" for name, entity in manifest["entities"].items())
    console.print(f"exported ({scope.value}) to {directory}: {counts}", markup=False, soft_wrap=True)


def import_(
    directory: Annotated[
        Path, typer.Argument(help="A directory written by `coplab export` (either scope).", exists=True, file_okay=False)
    ],
) -> None:
    """Load an export into an empty registry, keeping its ids (docs/exports.md).

    Prepare the database first: `coplab db upgrade`, then `coplab vocabularies load`.

    Every file is checked (format, schema version, checksums, row counts, each record) before anything is written, and everything loads in one transaction: on any problem nothing is imported.
    """
    engine = create_sync_engine(get_settings().database_url)
    try:
        export_ = read_export(directory)
        with import_transaction(engine) as connection:
            check_target(connection, export_)
            with progress() as bars:
                loaded = load(connection, export_, track=_tracker(bars))
    except ExportProblems as error:
        _refuse(error.problems)
    except sa.exc.DBAPIError as error:
        _refuse([f"the database refused the data: {error.orig}"])
    finally:
        engine.dispose()
    counts = ", ".join(f"{count} {name}" for name, count in loaded.items())
    console.print(f"imported ({export_.scope.value}) from {directory}: {counts}", markup=False, soft_wrap=True)
    console.print(
        "the initiatives are queued for the search index: the API server's indexer (or "
        "`coplab search worker` with Meilisearch) indexes them; `coplab search reindex` rebuilds a Meilisearch "
        "index at once.",
        markup=False,
        soft_wrap=True,
    )


def _refuse(problems: list[str]) -> NoReturn:
    for problem in problems:
        console.print(problem, style="red", markup=False, soft_wrap=True)
    console.print("nothing was imported", style="red")
    raise typer.Exit(1)


def _tracker(bars: Progress) -> Callable[[str, int], Callable[[], None]]:
    """A progress bar per entity."""

    def track(name: str, total: int) -> Callable[[], None]:
        # An empty entity shows as done rather than as a bar that never moves.
        task = bars.add_task(name, total=total or 1, completed=0 if total else 1)
        return lambda: bars.advance(task)

    return track
