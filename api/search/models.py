"""The search outbox: initiatives whose search documents must be rebuilt, written in the same
transaction as the change that made them stale (docs/search-indexing.md)."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from api.core.db import UTCDateTime, utcnow


class SearchOutbox(SQLModel, table=True):
    __tablename__ = "search_outbox"

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int  # no foreign key: the row outlives nothing, and may name a removed initiative
    enqueued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
