"""The rules under webhook deliveries, called directly: signatures (checked with the standardwebhooks
package), retry delays, event types, which addresses are public, and claims that never hand one delivery to
two workers at once. Through a real server and receiver: test_deliveries.py."""

import asyncio
import ipaddress
import time

import pytest
from sqlmodel import Session
from standardwebhooks import Webhook

import api.activity.subjects  # noqa: F401  (who may read what, as every process that records activity has it)
from api.activity.models import ActivityKind
from api.core.db import create_engine, session_factory
from api.core.settings import Settings
from api.webhooks import addresses, delivery, events, signing
from api.webhooks.models import WebhookEndpoint
from tests.factories import ACTOR
from tests.webhooks.events import record_event


def test_a_signature_verifies_with_the_standardwebhooks_package() -> None:
    secrets_ = [signing.new_secret(), signing.new_secret()]
    body = '{"type":"record.published","timestamp":"2026-12-05T08:00:00Z","data":{"detail":{"note":"Zoë"}}}'
    headers = signing.headers(secrets_, message_id="msg_1", timestamp=int(time.time()), body=body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in secrets_:
        assert Webhook(secret).verify(body, headers)["data"]["detail"]["note"] == "Zoë"
    with pytest.raises(Exception, match="No matching signature found"):
        Webhook(signing.new_secret()).verify(body, headers)


def test_the_spec_example_signature() -> None:
    # The example of the Standard Webhooks specification (its "Signature scheme" section).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"test": 2432232314}'
    assert signing.signature(secret, message_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330, body=body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_retries_back_off_exponentially_with_jitter_up_to_the_maximum(settings: Settings) -> None:
    quick = settings.model_copy(update={"webhook_retry_initial_seconds": 10.0, "webhook_retry_max_seconds": 100.0})
    assert [delivery.retry_delay(n, quick, jitter=0) for n in range(1, 7)] == [10, 20, 40, 80, 100, 100]
    assert delivery.retry_delay(3, quick, jitter=1) == pytest.approx(32)


def test_event_types_and_what_is_never_delivered() -> None:
    assert set(events.KNOWN) == {
        "record.published", "record.withdrawn", "record.created", "record.updated", "rating.changed",
        "membership.changed",
    }
    assert not set(events.RETIRED) & set(events.KNOWN)
    assert events.event_type("PUBLISHED", "Initiative") == "record.published"
    assert events.event_type("PUBLISHED", "RatingInquiry") == "record.published"  # a ruling on an inquiry or appeal
    assert events.event_type("INQUIRY_ANSWERED", "RatingInquiry") is None
    assert events.event_type("PUBLISHED", "Revision") is None
    assert events.event_type("REVIEW_SUBMITTED", "Initiative") is None
    assert events.event_type("SOMETHING_NEW", "Initiative") is None


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True), ("2606:4700::1111", True), ("127.0.0.1", False), ("10.0.0.1", False),
        ("172.16.5.4", False), ("192.168.1.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
        ("0.0.0.0", False), ("240.0.0.1", False), ("224.0.0.1", False), ("::1", False), ("fe80::1", False),
        ("fc00::1", False), ("::ffff:10.0.0.1", False),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert addresses.is_public(ipaddress.ip_address(address)) is public


def test_at_send_time_a_loopback_host_is_refused_in_production_only() -> None:
    async def check(production: bool) -> object:
        try:
            return await addresses.addresses_to_use("https://localhost/hooks", production=production)
        except addresses.UnsafeAddress as unsafe:
            return unsafe.code

    assert asyncio.run(check(True)) == "PRIVATE_ADDRESS"
    assert all(not addresses.is_public(a) for a in asyncio.run(check(False)))


def test_two_workers_never_claim_the_same_delivery(make, db: Session, settings: Settings) -> None:
    organisation = make.organisation("lead-org")
    initiative = make.initiative(organisation)
    db.add(WebhookEndpoint(organisation_id=organisation.id, url="http://127.0.0.1:9/", event_types=["record.updated"],
                           created_by=ACTOR, updated_by=ACTOR))
    db.commit()
    for _ in range(10):
        record_event(settings, kind=ActivityKind.EDITED, subject_type="Initiative", subject_id=initiative.id)
    batches = settings.model_copy(update={"webhook_batch_size": 4, "webhook_lease_seconds": 60.0})

    async def claims() -> tuple[list[list[int]], list[int]]:
        engine = create_engine(settings.database_url)
        sessions = session_factory(engine)
        try:
            async def one(holder: str) -> list[int]:
                async with sessions() as session:
                    return [c.delivery.id for c in await delivery.claim(session, holder=holder, settings=batches)]

            together = await asyncio.gather(*(one(f"worker-{n}") for n in range(3)))
            afterwards = await one("late")
            return list(together), afterwards
        finally:
            await engine.dispose()

    together, afterwards = asyncio.run(claims())
    claimed = [i for batch in together for i in batch]
    assert len(claimed) == len(set(claimed)) == 10  # 4 + 4 + 2, whoever got which
    assert afterwards == []  # every lease still held
