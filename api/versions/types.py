"""Versions as the API shows them, and the fields every versioned record type shares."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.lazy_types import schema_type
from api.graphql.loaders import load_one
from api.organisations import loaders as organisation_loaders
from api.versions import service
from api.versions.loaders import LOADERS
from api.versions.models import Publication
from api.versions.models import RecordVersion as VersionRow


@strawberry.type(description="One published version of a record: what readers saw from its publication on.")
class RecordVersion:
    number: int = strawberry.field(description="1 for the first publication, then one more each time.")
    published_at: datetime = strawberry.field(description="When it was published.")
    publication: Publication = strawberry.field(description="How it came to be published: reviewed, or not.")
    change_note: str | None = strawberry.field(description="What the publishers said changed.")
    snapshot: JSON = strawberry.field(
        description="The record as this version published it: its fields and parts under the API's names, "
        "references as global ids."
    )
    organisation_id: strawberry.Private[int | None]

    @strawberry.field(description="The organisation that published it (none for the Lab's own loading).")
    def published_by(
        self, info: Info
    ) -> Annotated["Organisation", strawberry.lazy("api.organisations.types")] | None:
        organisation = schema_type(info, "Organisation")
        return load_one(info, organisation_loaders.organisation_by_id, self.organisation_id, organisation.from_model)

    @classmethod
    def from_model(cls, row: VersionRow) -> "RecordVersion":
        return cls(
            number=row.number,
            published_at=row.published_at,
            publication=Publication(row.publication),
            change_note=row.change_note,
            snapshot=row.snapshot,
            organisation_id=row.organisation_id,
        )


@strawberry.type(description="One change between two versions: an RFC 6902 JSON Patch operation.")
class PatchOperation:
    op: str = strawberry.field(description="add, remove, replace, move, copy or test.")
    path: str = strawberry.field(description="A JSON Pointer into the snapshot: the field that changed.")
    from_: str | None = strawberry.field(name="from", description="Where a move or copy takes its value from.")
    value: JSON | None = strawberry.field(description="The new value (add, replace, test).")

    @classmethod
    def from_operation(cls, operation: dict) -> "PatchOperation":
        return cls(op=operation["op"], path=operation["path"], from_=operation.get("from"), value=operation.get("value"))


@strawberry.type
class Versioned:
    """Fields of every record type that keeps numbered versions; the type's name says which versions."""

    @strawberry.field(description="Every published version, oldest first.")
    def versions(self, info: Info) -> list[RecordVersion]:
        return info.context.loaders.resolve(
            LOADERS[type(self).__name__], self.id, lambda rows: [RecordVersion.from_model(r) for r in rows]
        )

    @strawberry.field(description="One published version, by its number; null if there is none.")
    def version(self, info: Info, number: int) -> RecordVersion | None:
        return info.context.loaders.resolve(
            LOADERS[type(self).__name__],
            self.id,
            lambda rows: next((RecordVersion.from_model(r) for r in rows if r.number == number), None),
        )

    @strawberry.field(
        name="diff",
        description="The field-level changes from one version to another (RFC 6902 JSON Patch operations); "
        "null if either version does not exist.",
    )
    def diff(self, info: Info, from_: Annotated[int, strawberry.argument(name="from")], to: int) -> list[PatchOperation] | None:
        def changes(rows: list[VersionRow]) -> list[PatchOperation] | None:
            by_number = {row.number: row for row in rows}
            if from_ not in by_number or to not in by_number:
                return None
            return [PatchOperation.from_operation(op) for op in service.diff(by_number[from_], by_number[to])]

        return info.context.loaders.resolve(LOADERS[type(self).__name__], self.id, changes)
