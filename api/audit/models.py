"""Audit events. Append-only; they name clients and subjects, never secrets or tokens."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import strawberry
from sqlmodel import Field, SQLModel

from api.core.db import UTCDateTime, utcnow


@strawberry.enum(description="What an audit event records.")
class AuditKind(StrEnum):
    TOKEN_ISSUED = "TOKEN_ISSUED"
    TOKEN_REFRESHED = "TOKEN_REFRESHED"
    TOKEN_REVOKED = "TOKEN_REVOKED"
    CLIENT_AUTHENTICATION_FAILED = "CLIENT_AUTHENTICATION_FAILED"
    RATE_LIMITED = "RATE_LIMITED"
    AUTHORIZATION_GRANTED = "AUTHORIZATION_GRANTED"
    AUTHORIZATION_CODE_REUSED = "AUTHORIZATION_CODE_REUSED"
    REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"
    SIGN_IN_FAILED = "SIGN_IN_FAILED"
    PASSWORD_SET = "PASSWORD_SET"
    MEMBERSHIP_ACCEPTED = "MEMBERSHIP_ACCEPTED"
    SIGNING_KEY_ROTATED = "SIGNING_KEY_ROTATED"
    # The server disabled a webhook endpoint whose deliveries kept failing (subject: the endpoint's id).
    WEBHOOK_ENDPOINT_DISABLED = "WEBHOOK_ENDPOINT_DISABLED"


# Events about the whole server rather than one organisation: every organisation's admins see them.
LAB_WIDE_KINDS = frozenset({AuditKind.SIGNING_KEY_ROTATED})


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_organisation_time", "organisation_id", "occurred_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # None when the event cannot be tied to an organisation (an unknown client id).
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    kind: AuditKind = Field(sa_type=sa.Enum(AuditKind, native_enum=False, length=40))
    client_id: str | None = Field(default=None, max_length=64)
    subject: str | None = Field(default=None, max_length=200)
    scope: str | None = Field(default=None, max_length=1000)
    remote_address: str | None = Field(default=None, max_length=64)
