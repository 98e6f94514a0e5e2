"""`coplab vocabularies` (registered in api/cli.py), and the preparation every fresh database needs."""

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from api.core.console import console, in_transaction, progress
from api.core.settings import get_settings
from api.migrations.commands import db_upgrade
from api.ratings import service as ratings
from api.versions import service as versions
from api.vocabularies import service as vocabularies

vocab_app = typer.Typer(help="Controlled vocabularies.", no_args_is_help=True)


@vocab_app.command("load")
def vocabularies_load() -> None:
    """Load (or update) the controlled vocabularies from seed/vocabularies."""
    documents = vocabularies.read_files(get_settings().seed_dir / "vocabularies")

    async def work(session: AsyncSession) -> int:
        changed = 0
        with progress(transient=True) as bars:
            task = bars.add_task("vocabularies", total=len(documents))
            for document in documents:
                changed += await vocabularies.load(session=session, documents=[document])
                bars.advance(task)
        return changed

    changed = in_transaction(work)
    console.print(f"{len(documents)} vocabularies, {changed} rows changed")


def prepare_database() -> None:
    """Migrate, load vocabularies and adopt the first rating rule set: what every fresh database needs before it serves (`coplab serve`,
    `coplab seed`)."""
    db_upgrade("head")
    vocabularies_load()
    rated = in_transaction(lambda session: ratings.adopt_first_ruleset(session=session, actor="cli"))
    if rated:
        console.print(f"rule set adopted; {rated} outcome ratings computed")
    # Records written before versions were kept get their version 1 (once: afterwards nothing is missing).
    in_transaction(lambda session: versions.catch_up(session=session, actor="cli"))
