"""What `coplab seed` last loaded for each seed record, so a later run changes only what the files changed."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.core.db import UTCDateTime, utcnow


class SeedRecord(SQLModel, table=True):
    __tablename__ = "seed_record"

    kind: str = Field(primary_key=True, max_length=40)
    key: str = Field(primary_key=True, max_length=120)
    record_id: int
    # The record's fields as last loaded from the file: a field changed in the registry since then is
    # left alone unless the file changes that field too.
    content: dict = Field(default_factory=dict, sa_type=sa.JSON)
    loaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
