"""Where a record's facts came from, as every domain's GraphQL type shows it."""

import strawberry


@strawberry.type(description="Where a fact came from: a source document and, where known, the passage.")
class Provenance:
    source: str = strawberry.field(description="The source document.")
    passage: str | None = strawberry.field(description="The passage the fact was taken from.")
    note: str | None = strawberry.field(description="What the registry made of the source, where it had to decide.")


def provenance_list(items: list[dict[str, str]] | None) -> list[Provenance]:
    return [Provenance(source=p.get("source", ""), passage=p.get("passage"), note=p.get("note")) for p in items or []]
