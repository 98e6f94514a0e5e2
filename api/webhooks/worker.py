"""The delivery worker: runs in every `coplab serve` process (like the search indexer, docs/webhooks.md),
claims due deliveries, signs and sends them, records each attempt, and stops cleanly when asked."""

import asyncio
import contextlib
import logging
import os
import socket
import time
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.activity.models import Activity
from api.activity.subjects import READABLE_IDS
from api.auth.key_encryption import KeyEncryption
from api.core.db import transaction, utcnow
from api.core.settings import Settings
from api.organisations.models import Organisation, OrganisationStatus
from api.webhooks import delivery, signing
from api.webhooks.models import WebhookSecret
from api.webhooks.outbox import organisation_reader
from api.webhooks.sending import post

log = logging.getLogger("coplab.webhooks")


@dataclass
class WorkerState:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    encryption: KeyEncryption


def holder_name() -> str:
    """This process, as claims name it (at most 40 characters)."""
    return f"{socket.gethostname()[:24]}:{os.getpid()}"


async def _secrets(session: AsyncSession, endpoint_id: int, encryption: KeyEncryption) -> list[str]:
    """The current secret first, then the previous one while its grace period lasts."""
    rows = (
        await session.exec(
            select(WebhookSecret)
            .where(WebhookSecret.endpoint_id == endpoint_id)
            .order_by(col(WebhookSecret.id).desc())
        )
    ).all()
    now = utcnow()
    return [
        signing.open_secret(encryption, secret_id=row.id, sealed=row.sealed)
        for row in rows
        if row.expires_at is None or row.expires_at > now
    ]


async def _still_readable(session: AsyncSession, claimed: delivery.Claimed) -> bool:
    """Whether the endpoint's organisation may still read the record: visibility may have changed since."""
    entry = await session.get(Activity, claimed.delivery.activity_id)
    organisation = await session.get(Organisation, claimed.endpoint.organisation_id)
    reader = READABLE_IDS.get(entry.subject_type) if entry is not None else None
    if entry is None or organisation is None or reader is None or organisation.status is OrganisationStatus.SUSPENDED:
        return False
    principal = organisation_reader(organisation.id, status=organisation.status, endpoint_id=claimed.endpoint.id)
    found = await session.exec(select(col(Activity.id)).where(Activity.id == entry.id, col(Activity.subject_id).in_(reader(principal))))
    return found.first() is not None


async def deliver(state: WorkerState, client: httpx.AsyncClient, claimed: delivery.Claimed) -> None:
    """One attempt of one claimed delivery, recorded in its own transaction."""
    async with transaction(state.sessions) as session:
        if not await _still_readable(session, claimed):
            await delivery.withhold(session, claimed)
            return
        secrets_ = await _secrets(session, claimed.endpoint.id, state.encryption)
    body = claimed.delivery.body
    headers = signing.headers(secrets_, message_id=claimed.delivery.message_id, timestamp=int(time.time()), body=body)
    outcome = await post(client, claimed.endpoint.url, headers=headers, body=body, production=state.settings.is_production)
    async with transaction(state.sessions) as session:
        if await delivery.record(session, claimed, outcome, settings=state.settings):
            log.warning("webhooks: endpoint %s disabled after failing too long", claimed.endpoint.id)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run_worker(state: WorkerState, stop: asyncio.Event) -> None:
    """Until `stop` is set: claim a batch, send it (concurrently), repeat; pause when nothing is due. A batch
    under way when `stop` is set finishes (each attempt is bounded by the timeout); leases still held are
    given back."""
    settings, holder = state.settings, holder_name()
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        failing = False
        while not stop.is_set():
            claimed: list[delivery.Claimed] = []
            try:
                async with state.sessions() as session:
                    claimed = await delivery.claim(session, holder=holder, settings=settings)
                outcomes = await asyncio.gather(*(deliver(state, client, c) for c in claimed), return_exceptions=True)
                for outcome in outcomes:
                    if isinstance(outcome, Exception):
                        raise outcome
                if failing:
                    log.info("webhooks: the database answers again")
                failing = False
            except Exception as error:  # noqa: BLE001  (the worker outlives a database outage)
                if not failing:
                    log.warning("webhooks: %s: %s; retrying", type(error).__name__, error)
                failing = True
            if not claimed or len(claimed) < settings.webhook_batch_size:
                await _pause(stop, settings.webhook_poll_seconds)
    with contextlib.suppress(Exception):  # leases lapse by themselves if the database is gone
        async with transaction(state.sessions) as session:
            await delivery.release(session, holder=holder)
