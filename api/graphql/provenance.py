"""Where a record's facts came from, as every domain's GraphQL type shows it."""

from collections.abc import Sequence

import strawberry

from api.core.validation import Source
from api.seeding.sources import source_document


@strawberry.type(description="A source document the registry was seeded from, as the document itself gives its "
                 "title, publisher, date and address.")
class SourceDocument:
    key: str = strawberry.field(description="The document's file name, which provenance entries cite as their source.")
    title: str | None = strawberry.field(description="The document's title; null where it gives none.")
    kind: str | None = strawberry.field(description="What the document is: press release, open letter, article, web page.")
    publisher: str | None = strawberry.field(
        description="The organisation that issued the document, where the document says so.")
    date: str | None = strawberry.field(
        description="The document's date as far as it gives one: a year (`2020`), a month (`2020-12`) or a day "
        "(`2020-12-21`); null where it is undated.")
    url: str | None = strawberry.field(description="The document's public address, where the document gives one.")
    note: str | None = strawberry.field(description="What the document does not give, and how the fields were read.")


@strawberry.type(description="Where a fact came from: a source document and, where known, the passage.")
class Provenance:
    source: str = strawberry.field(description="The source document.")
    passage: str | None = strawberry.field(description="The passage the fact was taken from.")
    note: str | None = strawberry.field(description="What the registry made of the source, where it had to decide.")

    @strawberry.field(description="The source document `source` names, with its title, publisher, date and "
                      "address; null when the source is not one of the registry's seed documents.")
    def document(self) -> SourceDocument | None:
        found = source_document(self.source)
        if found is None:
            return None
        return SourceDocument(key=found.key, title=found.title, kind=found.kind, publisher=found.publisher,
                              date=found.date, url=found.url, note=found.note)


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
