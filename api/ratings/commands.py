"""`coplab ratings` (registered in api/cli.py): the published rating rule sets."""

from pathlib import Path
from typing import Annotated

import typer

from api.core.console import console
from api.ratings.rendering import DOCS_FILE, docs_markdown

ratings_app = typer.Typer(help="The published rating rule sets (seed/ratings/).", no_args_is_help=True)


@ratings_app.command("docs")
def ratings_docs(
    check: Annotated[bool, typer.Option(help="Write nothing; exit 1 when the page differs from the rule sets.")] = False,
    output: Annotated[Path, typer.Option(help="Where the page goes.")] = DOCS_FILE,
) -> None:
    """Render every version of the rule set into docs/ratings.md."""
    page = docs_markdown()
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != page:
            console.print(f"[red]{output} is stale: run `coplab ratings docs` and commit it")
            raise typer.Exit(1)
        console.print(f"{output} matches the rule sets")
        return
    output.write_text(page, encoding="utf-8")
    console.print(f"wrote {output}")
