"""Where a record's facts came from, as every domain's GraphQL type shows it."""

from collections.abc import Sequence

import strawberry

from api.core.validation import Source


@strawberry.type(description="Where a fact came from: a source document and, where known, the passage.")
class Provenance:
    source: str = strawberry.field(description="The source document.")
    passage: str | None = strawberry.field(description="The passage the fact was taken from.")
    note: str | None = strawberry.field(description="What the registry made of the source, where it had to decide.")


def provenance_list(items: list[dict[str, str]] | None) -> list[Provenance]:
    return [Provenance(source=p.get("source", ""), passage=p.get("passage"), note=p.get("note")) for p in items or []]


@strawberry.input(description="Where a fact came from: the source, and where known the passage and a note.")
class ProvenanceInput:
    source: str = strawberry.field(description="The source: a document's title, publisher and date, or its URL.")
    passage: str | None = strawberry.field(default=None, description="The passage, quoted exactly.")
    note: str | None = strawberry.field(default=None, description="What you made of the source, where you had to decide.")


def sources(items: Sequence[ProvenanceInput]) -> list[Source]:
    """The service's view of provenance inputs."""
    return [Source(source=i.source, passage=i.passage, note=i.note) for i in items]
