"""GraphQL types of the activity trail: an entry, the filters, the Lab-wide page and each record's own trail
(docs/api.md, "The activity trail")."""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.activity import loaders, readable
from api.activity.models import Activity as ActivityRow
from api.activity.models import RELATED_ORGANISATION, ActivityKind, shown_detail
from api.activity.subjects import READABLE_IDS
from api.core.errors import ErrorCode, Problems
from api.graphql.context import Info
from api.graphql.errors import bad_user_input
from api.graphql.ids import check_node_id, decode_argument
from api.graphql.lazy_types import schema_type
from api.graphql.loaders import load_nodes
from api.graphql.pagination import Connection, paginate
from api.vocabularies.cache import TermCache



@strawberry.type(
    description="One thing that happened to a registry record: readable by exactly those who may read the record."
)
class Activity(relay.Node):
    id: relay.NodeID[int]
    kind: ActivityKind = strawberry.field(description="What happened.")
    occurred_at: datetime = strawberry.field(description="When it happened (UTC).")
    version: int | None = strawberry.field(
        description="The published version the event produced or concerns, where the record has versions."
    )
    _row: strawberry.Private[ActivityRow]

    @classmethod
    def from_model(cls, row: ActivityRow, term_cache: TermCache | None = None) -> "Activity":  # noqa: ARG003
        return cls(id=row.id, kind=ActivityKind(row.kind), occurred_at=row.occurred_at, version=row.version, _row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.activity_by_id, cls.from_model)

    @strawberry.field(
        description="The record it concerns (an `Initiative`, `Study`, `EvidenceAssessment`, `BestPractice`, "
        "`OutcomeRating`, `RatingInquiry` or `Organisation`), read as the record's own field would read it."
    )
    async def subject(self, info: Info) -> relay.Node | None:
        # Each type's nodes come through its own batch loader: a page of entries costs a statement per type.
        node_type = schema_type(info, self._row.subject_type)
        return (await node_type.resolve_nodes(info=info, node_ids=[str(self._row.subject_id)]))[0]

    @strawberry.field(
        description="The organisation that acted; null for the Lab's own processes (the rating computation, the "
        "command line) and for an organisation you may not read."
    )
    def organisation(self, info: Info) -> Annotated["Organisation", strawberry.lazy("api.organisations.types")] | None:
        # Organisations show their trail: their type comes from the schema, not from an import.
        if self._row.organisation_id is None:
            return None
        return schema_type(info, "Organisation").loaded(info, self._row.organisation_id)

    @strawberry.field(
        description="Who acted (`user:…`, `client:…`), shown only to members of the organisation that acted; "
        "null for every other reader, the secretariat included."
    )
    def actor(self, info: Info) -> str | None:
        acting = self._row.organisation_id
        return self._row.actor if acting is not None and info.context.principal.organisation_id == acting else None

    @strawberry.field(
        description="What a reader needs to understand the entry, by kind (docs/api.md, \"The activity trail\"): "
        "e.g. the fields an edit changed, a rating before and after with the reason, a membership change."
    )
    def detail(self) -> JSON:
        return shown_detail(self._row.detail)

    @strawberry.field(
        description="The other organisation a membership change names (the network joined or left, the member "
        "added or removed); null when there is none or you may not read it."
    )
    def related_organisation(
        self, info: Info
    ) -> Annotated["Organisation", strawberry.lazy("api.organisations.types")] | None:
        related = self._row.detail.get(RELATED_ORGANISATION)
        return schema_type(info, "Organisation").loaded(info, related) if isinstance(related, int) else None


@strawberry.input(description="Filters for one record's activity; filters combine, kinds are alternatives.")
class RecordActivityFilter:
    kinds: list[ActivityKind] | None = strawberry.field(default=None, description="Entries of these kinds.")
    organisation: relay.GlobalID | None = strawberry.field(
        default=None, description="Entries made by this organisation (none if you may not read it)."
    )
    since: datetime | None = strawberry.field(default=None, description="Entries at or after this time (with its offset).")
    until: datetime | None = strawberry.field(default=None, description="Entries before this time (with its offset).")


@strawberry.input(description="Filters for the Lab-wide activity; filters combine, kinds are alternatives.")
class ActivityFilter(RecordActivityFilter):
    subject: relay.GlobalID | None = strawberry.field(
        default=None, description="Only the entries about this record (none if you may not read it)."
    )


def _times(problems: Problems, since: datetime | None, until: datetime | None) -> None:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            problems.add(
                ["filter", name], ErrorCode.INVALID_VALUE, "A time with its UTC offset, e.g. 2026-12-05T08:00:00Z."
            )
    if since is not None and until is not None and since.tzinfo and until.tzinfo and until <= since:
        problems.add(["filter", "until"], ErrorCode.INVALID_DATE_RANGE, "`until` must be after `since`.")


def _subject(global_id: relay.GlobalID | None) -> tuple[str, int] | None:
    if global_id is None:
        return None
    check_node_id(global_id, ["filter", "subject"])
    if global_id.type_name not in READABLE_IDS:
        return ("", 0)  # a record of a type without a trail: nothing matches, as for a missing record
    return global_id.type_name, int(global_id.node_id)


def _where(f: RecordActivityFilter, subject: tuple[str, int] | None) -> readable.ActivityFilter:
    problems = Problems()
    _times(problems, f.since, f.until)
    if problems.items:
        raise bad_user_input(problems.items)
    organisation_id = None
    if f.organisation is not None:
        # Another type's id names no organisation: 0 is no row's id, so nothing matches.
        organisation_id = decode_argument(f.organisation, "Organisation", ["filter", "organisation"]) or 0
    kinds: Sequence[str] = [k.value for k in f.kinds or []]
    return readable.ActivityFilter(
        kinds=kinds, organisation_id=organisation_id, subject=subject, since=f.since, until=f.until
    )


async def page(
    info: Info,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    filter: RecordActivityFilter | None,  # noqa: A002
    subject: tuple[str, int] | None = None,
) -> Connection[Activity]:
    """One page of the readable entries the filter selects, newest first."""
    f = filter or RecordActivityFilter()
    if subject is None and isinstance(f, ActivityFilter):
        subject = _subject(f.subject)
    return await paginate(
        info,
        statement=readable.filtered(info.context.principal, _where(f, subject)),
        id_column=ActivityRow.id,
        key=readable.NEWEST_FIRST,
        first=first,
        after=after,
        last=last,
        before=before,
        to_node=Activity.from_model,
    )


def trail(subject_type: str) -> Any:  # noqa: ANN401  (a strawberry field)
    """The `activity` field of a record type: the record's own trail."""

    async def activity(
        self: Any,  # noqa: ANN401
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: RecordActivityFilter | None = None,  # noqa: A002
    ) -> Connection[Activity]:
        return await page(
            info, first=first, after=after, last=last, before=before, filter=filter, subject=(subject_type, self.id)
        )

    return strawberry.field(
        resolver=activity,
        description="What happened to this record, newest first (`first`/`after` forwards, `last`/`before` "
        "backwards; 20 when neither is given).",
    )
