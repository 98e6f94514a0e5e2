"""`coplab seed` (registered in api/cli.py): the Lab's registry from seed/registry, or a synthetic one."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import select

from api.core.console import console, database_engine, in_transaction, progress
from api.core.db import session_factory
from api.core.settings import get_settings
from api.organisations.models import Organisation
from api.seeding import registry as seeding
from api.seeding import synthetic
from api.seeding.validate import Registry, SeedInvalid, read_registry
from api.vocabularies import service as vocabularies
from api.ratings import service as ratings
from api.versions import service as versions
from api.vocabularies.commands import prepare_database


def seed(
    synthetic: Annotated[
        int | None, typer.Option(help="Generate this many synthetic initiatives instead (benchmarks, demos).")
    ] = None,
    seed_value: Annotated[int, typer.Option("--seed", help="Random seed of --synthetic: same seed, same data.")] = 1,
    alongside_registry: Annotated[
        bool, typer.Option(help="Allow the real registry and synthetic data in one database.")
    ] = False,
    directory: Annotated[Path | None, typer.Option(help="The registry files (default: seed/registry).")] = None,
    dry_run: Annotated[bool, typer.Option(help="Check the files and report what would change; write nothing.")] = False,
) -> None:
    """Load the Lab's registry from seed/registry: checked first, all or nothing, idempotent.

    A second run changes nothing and says so; after a file is edited, only the fields it changed are
    written. Records members changed since keep their changes in every field the file did not change."""
    prepare_database()
    if synthetic is not None:
        _seed_synthetic(synthetic, seed_value, alongside_registry)
        return
    loaded = _run_load(directory or _registry_files(), alongside_registry=alongside_registry, dry_run=dry_run)
    if loaded is not None:
        print_report(*loaded, dry_run=dry_run)


def _registry_files() -> Path:
    return get_settings().seed_dir / "registry"


def _run_load(
    directory: Path, *, alongside_registry: bool, dry_run: bool = False, only_into_empty: bool = False
) -> tuple[seeding.SeedReport, Registry] | None:
    """Read the files and load them, reporting problems and refusals; None when `only_into_empty` and the
    database holds organisations (the files are then not even read)."""
    try:
        return asyncio.run(
            _load(directory, alongside_registry=alongside_registry, dry_run=dry_run, only_into_empty=only_into_empty)
        )
    except SeedInvalid as invalid:
        for problem in invalid.problems:
            console.print(f"[red]{problem}", highlight=False)
        count = len(invalid.problems)
        console.print(f"[red]{count} problem{'s' if count > 1 else ''}; nothing was loaded")
        raise typer.Exit(1) from None
    except seeding.SeedRefused as refused:
        console.print(f"[red]{refused}")
        raise typer.Exit(1) from None


async def _load(
    directory: Path, *, alongside_registry: bool, dry_run: bool, only_into_empty: bool
) -> tuple[seeding.SeedReport, Registry] | None:
    async with database_engine() as engine:
        async with session_factory(engine)() as session:
            if only_into_empty and not await seeding.registry_is_empty(session):
                return None
            if not alongside_registry and await _holds_synthetic(session):
                raise seeding.SeedRefused(
                    "this database holds synthetic data; load the registry into another database, "
                    "or pass --alongside-registry to mix them"
                )
            registry = read_registry(directory, vocabularies.read_files(get_settings().seed_dir / "vocabularies"))
            with progress(transient=True) as bars:
                task = bars.add_task("registry", total=sum(len(k.records(registry)) for k in seeding.KINDS))
                report = await seeding.load(
                    session=session, registry=registry, progress=lambda _kind, n: bars.advance(task, n)
                )
            # What the files changed becomes a new version of each record, marked as nobody's review.
            await versions.catch_up(session=session, actor=seeding.SEED_ACTOR, change_note="Changed by the Lab's seed files.")
            if dry_run:
                await session.rollback()
            else:
                await session.commit()
            return report, registry


async def _holds_synthetic(session) -> bool:  # noqa: ANN001
    statement = select(Organisation.id).where(Organisation.created_by == synthetic.ACTOR).limit(1)
    return (await session.exec(statement)).first() is not None


def _label(kind: str) -> str:
    """A kind of seed record as the report names it ("network membership")."""
    return kind.replace("_", " ")


def print_report(report: seeding.SeedReport, registry: Registry, *, dry_run: bool = False) -> None:
    totals = ", ".join(f"{len(kind.records(registry))} {_label(kind.name)}s" for kind in seeding.KINDS)
    if not report.changed:
        console.print(f"nothing changed: the registry already matches the seed files ({totals})")
        _print_left_alone(report)
        return
    table = Table("", "created", "updated", "linked", "unchanged", title="would change" if dry_run else "seeded")
    for name, kind in report.kinds.items():
        table.add_row(_label(name), str(len(kind.created)), str(len(kind.updated)), str(len(kind.adopted)), str(kind.unchanged))
    console.print(table)
    for name, kind in report.kinds.items():
        for key, fields in kind.updated.items():
            console.print(f"  {_label(name)} {key}: {', '.join(fields)}", highlight=False)
        for key in kind.adopted:
            console.print(f"  {_label(name)} {key}: already in the registry; linked, only its empty fields filled")
    _print_left_alone(report)
    if dry_run:
        console.print("dry run: nothing was written")


def _print_left_alone(report: seeding.SeedReport) -> None:
    for name, kind in report.kinds.items():
        for key in kind.deleted_in_registry:
            console.print(f"  {_label(name)} {key}: deleted in the registry since it was loaded; left deleted")
        for key in kind.not_in_files:
            console.print(f"  {_label(name)} {key}: no longer in the seed files; left in the registry")


def seed_if_empty() -> None:
    """Load the registry into a database that holds no organisation yet (what `coplab serve` does first)."""
    loaded = _run_load(_registry_files(), alongside_registry=False, only_into_empty=True)
    if loaded is not None:
        print_report(*loaded)


def _seed_synthetic(initiatives: int, seed_value: int, alongside_registry: bool) -> None:
    with progress(transient=True) as bars:
        tasks: dict[str, int] = {}

        def advance(table: str, rows_done: int) -> None:
            task = tasks.setdefault(table, bars.add_task(table, total=None))
            bars.update(task, completed=rows_done)

        try:
            counts = synthetic.load_synthetic(
                url=get_settings().database_url,
                initiatives=initiatives,
                seed=seed_value,
                alongside_registry=alongside_registry,
                progress=advance,
            )
        except synthetic.SyntheticRefused as refused:
            console.print(f"[red]{refused}")
            raise typer.Exit(1) from None
    rows = ", ".join(f"{count} {table}" for table, count in counts.items())
    console.print(f"synthetic registry (seed {seed_value}, marked {synthetic.ACTOR!r}): {rows}")
    # The synthetic findings are rated like any others, by the current rule set.
    rated = in_transaction(
        lambda session: ratings.recompute_everything(
            session=session, reason=ratings.Reason.NEW_EVIDENCE, actor=synthetic.ACTOR
        )
    )
    console.print(f"{rated} outcome ratings computed")
    in_transaction(lambda session: versions.catch_up(session=session, actor=synthetic.ACTOR))
    console.print(synthetic.SEARCH_REINDEX_NOTE)
