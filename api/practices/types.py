"""GraphQL types for best practices."""

from datetime import datetime

import strawberry
from strawberry import relay

from api.context import Info
from api.ids import node_ints
from api.initiatives.types import Provenance, provenance_list
from api.organisations import loaders as organisation_loaders
from api.organisations.types import Organisation
from api.practices import loaders
from api.practices.models import BestPractice as PracticeRow
from api.visibility import Visibility
from api.vocabularies.types import Term, term


@strawberry.type(description="A practice the Lab's members recommend, and what it rests on.")
class BestPractice(relay.Node):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="Short name of the practice.")
    statement: str = strawberry.field(description="What to do.")
    rationale: str | None = strawberry.field(description="Why.")
    visibility: Visibility = strawberry.field(description="Who may read this record.")
    provenance: list[Provenance] = strawberry.field(description="Where the record's facts came from.")
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record last changed.")
    _row: strawberry.Private[PracticeRow]

    @classmethod
    def from_model(cls, row: PracticeRow) -> "BestPractice":
        return cls(
            id=row.id,
            title=row.title,
            statement=row.statement,
            rationale=row.rationale,
            visibility=Visibility(row.visibility),
            provenance=provenance_list(row.provenance),
            created_at=row.created_at,
            updated_at=row.updated_at,
            _row=row,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        rows = await info.context.loaders(loaders.practice_by_id).load_many([i or 0 for i in node_ints(node_ids)])
        return [cls.from_model(r) if r is not None else None for r in rows]

    @strawberry.field(description="The organisation that proposed the practice.")
    async def organisation(self, info: Info) -> Organisation:
        row = await info.context.loaders(organisation_loaders.organisation_by_id).load(self._row.organisation_id)
        return Organisation.from_model(row)

    @strawberry.field(description="What the practice rests on (vocabulary `evidence-basis`).")
    async def evidence_basis(self, info: Info) -> Term:
        return await term(info, "evidence-basis", self._row.evidence_basis)
