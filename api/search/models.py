"""The search change log: records (initiatives, evidence assessments, best practices) whose search
documents must be rebuilt, written in the same
transaction as the change that made them stale, and the log's shared state (docs/search-indexing.md).

Rows are not consumed: every process that keeps an index (each API process with the embedded engine,
the one indexer of a shared Meilisearch) follows the log from its own position, and rows are pruned
once older than the retention. The table keeps its first name, `search_outbox`, and so does its
`initiative_id` column: it holds the id of a record of the row's `record_type` (RECORD_TYPES)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from api.core.db import UTCDateTime, current_transaction_id, utcnow

INITIATIVE = "initiative"
EVIDENCE = "evidence"
BEST_PRACTICE = "best_practice"
RECORD_TYPES = (INITIATIVE, EVIDENCE, BEST_PRACTICE)


class SearchOutbox(SQLModel, table=True):
    __tablename__ = "search_outbox"
    # On SQLite AUTOINCREMENT: ids never come back after the newest rows are pruned, so positions hold.
    __table_args__ = (sa.Index("ix_search_outbox_position", "txid", "id"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int  # no foreign key: the row outlives nothing, and may name a removed record
    # Which index the row is for (RECORD_TYPES): one log, one position per follower, for every index.
    record_type: str = Field(
        default="initiative",
        sa_column=sa.Column(sa.String(20), nullable=False, server_default="initiative"),
    )
    enqueued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # The writing transaction's id on PostgreSQL (0 on SQLite, whose writers commit one at a time in id
    # order): followers read only below the horizon every earlier transaction has passed.
    txid: int = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger, nullable=False, server_default=current_transaction_id()),
    )


class SearchLogState(SQLModel, table=True):
    """One row: how far the log was pruned, where the shared index's indexer stands, and who that
    indexer is (a lease renewed while it runs, so another process takes over when it dies)."""

    __tablename__ = "search_log_state"

    id: int = Field(default=1, primary_key=True)
    pruned_txid: int = Field(default=0, sa_type=sa.BigInteger)
    pruned_id: int = Field(default=0, sa_type=sa.BigInteger)
    indexed_txid: int = Field(default=0, sa_type=sa.BigInteger)
    indexed_id: int = Field(default=0, sa_type=sa.BigInteger)
    leader: str | None = Field(default=None, max_length=200)
    lease_until: float | None = None  # seconds since the epoch, by the database's clock
