"""Webhook deliveries end to end: a real server (with its delivery worker) sends to a receiver on 127.0.0.1,
which verifies every signature with the `standardwebhooks` package, an implementation independent of
coplab's. The rules underneath (signatures, retry delays, event types, addresses) are pinned directly in
test_delivery_rules.py."""

import json

import httpx
import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from api.activity.models import ActivityKind
from api.auth.key_encryption import KeyEncryption
from api.webhooks import signing
from api.webhooks.models import WebhookEndpoint, WebhookSecret
from tests.factories import ACTOR, TEST_KEY_ENCRYPTION_KEY, gid, graphql, mutate
from tests.webhooks.conftest import ENDPOINT, QUICK, admin_of, production_settings, webhook_rows
from tests.webhooks.events import record_event
from tests.server import HTTP_TIMEOUT, running_server
from tests.webhooks.receiver import Received, receiving, wait_for

DELIVERIES = """
query { webhookEndpoints { edges { node { id enabled disabledReason
  deliveries(first: 10) { totalCount edges { node { eventType webhookId activityId status attemptCount
    attempts { httpStatus error durationMs responseExcerpt attemptedAt } } } } } } } }
"""


def _register(api, admin, url: str, event_types: list[str]) -> tuple[str, str]:  # noqa: ANN001
    payload = mutate(
        api, "createWebhookEndpoint", {"url": url, "eventTypes": event_types}, admin.token, f"{ENDPOINT} secret"
    )
    assert payload["userErrors"] == []
    return payload["endpoint"]["id"], payload["secret"]


def _verified(secret: str, received: Received) -> dict:
    """The payload, once the standardwebhooks package has verified its signature (it raises otherwise)."""
    return Webhook(secret).verify(received.body, received.headers)


def _deliveries(db) -> list[dict]:  # noqa: ANN001
    return webhook_rows(db)["webhook_delivery"]


def test_a_subscribed_event_arrives_signed_and_only_where_its_record_may_be_read(api, make, db, quick_settings) -> None:  # noqa: ANN001
    lead, other = admin_of(make, "lead-org"), admin_of(make, "other-org")
    public = make.initiative(lead.organisation, "Open", visibility="PUBLIC")
    private = make.initiative(lead.organisation, "Own eyes only", visibility="ORGANISATION")
    with receiving() as lead_receiver, receiving() as other_receiver:
        _, lead_secret = _register(api, lead, lead_receiver.url, ["record.published", "record.updated"])
        _, other_secret = _register(api, other, other_receiver.url, ["record.published"])

        on_private = record_event(
            quick_settings, kind=ActivityKind.PUBLISHED, subject_type="Initiative", subject_id=private.id, version=3
        )
        on_public = record_event(
            quick_settings, kind=ActivityKind.PUBLISHED, subject_type="Initiative", subject_id=public.id,
            detail={"note": "First publication"},
        )
        # Neither endpoint subscribes to withdrawals, and drafts under review are never delivered.
        record_event(quick_settings, kind=ActivityKind.WITHDRAWN, subject_type="Initiative", subject_id=public.id)
        record_event(quick_settings, kind=ActivityKind.EDITED, subject_type="Revision", subject_id=1)

        wait_for(lambda: len(lead_receiver.requests()) == 2 and len(other_receiver.requests()) == 1, what="deliveries")
        wait_for(lambda: all(d["status"] == "DELIVERED" for d in _deliveries(db)), what="every delivery recorded")

        lead_payloads = [_verified(lead_secret, r) for r in lead_receiver.requests()]
        (other_payload,) = [_verified(other_secret, r) for r in other_receiver.requests()]

    # The outbox holds exactly the deliveries made: none for the withdrawal, the draft, or the record the
    # other organisation may not read.
    assert sorted((d["activity_id"], d["event_type"]) for d in _deliveries(db)) == [
        (on_private, "record.published"), (on_public, "record.published"), (on_public, "record.published")
    ]
    assert sorted(p["data"]["activityId"] for p in lead_payloads) == [on_private, on_public]
    assert other_payload == {
        "type": "record.published",
        "timestamp": other_payload["data"]["occurredAt"],
        "data": {
            "activityId": on_public,
            "id": gid("Initiative", public.id),
            "type": "Initiative",
            "version": None,
            "kind": "PUBLISHED",
            "occurredAt": other_payload["data"]["occurredAt"],
            "detail": {"note": "First publication"},
        },
    }
    (private_payload,) = [p for p in lead_payloads if p["data"]["activityId"] == on_private]
    assert private_payload["data"]["version"] == 3
    # The verifier refuses a delivery checked with another organisation's secret.
    with pytest.raises(WebhookVerificationError):
        _verified(other_secret, lead_receiver.requests()[0])


def test_nothing_is_lost_while_the_receiver_is_down_and_a_retry_keeps_its_webhook_id(api, make, db, quick_settings) -> None:  # noqa: ANN001
    lead = admin_of(make, "lead-org")
    initiatives = [make.initiative(lead.organisation, f"Initiative {n}") for n in range(3)]
    with receiving() as receiver:
        _, secret = _register(api, lead, receiver.url, ["record.created"])
        receiver.stop()  # nothing listens on its port now
        entries = [
            record_event(quick_settings, kind=ActivityKind.CREATED, subject_type="Initiative", subject_id=i.id)
            for i in initiatives
        ]
        wait_for(lambda: [d["attempt_count"] >= 2 for d in _deliveries(db)] == [True] * 3, what="every delivery retried")
        assert {d["status"] for d in _deliveries(db)} == {"PENDING"}
        receiver.start()  # back, on the same port
        wait_for(lambda: all(d["status"] == "DELIVERED" for d in _deliveries(db)), what="every delivery made")
        received = receiver.requests()

    stored = _deliveries(db)
    assert sorted(d["activity_id"] for d in stored) == sorted(entries)
    # None lost, none sent twice once answered: one request per delivery, under the delivery's own id.
    assert sorted(r.headers["webhook-id"] for r in received) == sorted(d["message_id"] for d in stored)
    assert sorted(_verified(secret, r)["data"]["activityId"] for r in received) == sorted(entries)

    body = graphql(api, DELIVERIES, token=lead.token)
    (endpoint,) = [e["node"] for e in body["data"]["webhookEndpoints"]["edges"]]
    deliveries = [e["node"] for e in endpoint["deliveries"]["edges"]]
    assert endpoint["deliveries"]["totalCount"] == 3
    for delivery in deliveries:
        assert delivery["status"] == "DELIVERED"
        assert delivery["webhookId"] in {r.headers["webhook-id"] for r in received}
        newest, *failed = delivery["attempts"]
        assert delivery["attemptCount"] == len(delivery["attempts"]) >= 3
        assert (newest["httpStatus"], newest["error"], newest["responseExcerpt"]) == (200, None, "ok")
        assert all(a["httpStatus"] is None and a["error"].startswith("ConnectError") for a in failed)


def test_during_the_grace_period_both_secrets_sign(api, make, quick_settings) -> None:  # noqa: ANN001
    lead = admin_of(make, "lead-org")
    initiative = make.initiative(lead.organisation)
    with receiving() as receiver:
        endpoint_id, first_secret = _register(api, lead, receiver.url, ["record.updated"])
        rotated = mutate(api, "rotateWebhookSecret", {"id": endpoint_id}, lead.token, "secret endpoint { id }")
        assert rotated["userErrors"] == [] and rotated["secret"].startswith("whsec_")
        second_secret = rotated["secret"]
        assert second_secret != first_secret
        record_event(quick_settings, kind=ActivityKind.EDITED, subject_type="Initiative", subject_id=initiative.id)
        (received,) = wait_for(receiver.requests, what="the delivery")

    assert len(received.headers["webhook-signature"].split(" ")) == 2
    assert _verified(first_secret, received) == _verified(second_secret, received)
    assert _verified(second_secret, received)["type"] == "record.updated"


def test_an_endpoint_failing_too_long_is_disabled_and_its_administrators_told(make, db, quick_settings) -> None:  # noqa: ANN001
    lead = admin_of(make, "lead-org")
    initiative = make.initiative(lead.organisation)
    failing_for_a_second = quick_settings.model_copy(update={"webhook_disable_after_seconds": 1.0})
    with (
        running_server(failing_for_a_second) as url,
        httpx.Client(base_url=url, timeout=HTTP_TIMEOUT) as api,
        receiving(status=500) as receiver,
    ):
        endpoint_id, secret = _register(api, lead, receiver.url, ["record.updated"])
        first = record_event(quick_settings, kind=ActivityKind.EDITED, subject_type="Initiative", subject_id=initiative.id)
        endpoint = wait_for(lambda: _endpoint(api, lead, endpoint_id, enabled=False), what="disabling")
        assert "failed for longer than" in endpoint["disabledReason"] and "HTTP 500" in endpoint["disabledReason"]

        events = graphql(api, "query { auditEvents { edges { node { kind subject } } } }", token=lead.token)
        assert {"kind": "WEBHOOK_ENDPOINT_DISABLED", "subject": endpoint_id} in [
            e["node"] for e in events["data"]["auditEvents"]["edges"]
        ]
        # While disabled nothing new is queued for it, and what waits is kept.
        record_event(quick_settings, kind=ActivityKind.EDITED, subject_type="Initiative", subject_id=initiative.id)
        assert [(d["activity_id"], d["status"]) for d in _deliveries(db)] == [(first, "PENDING")]

        receiver.status = 200
        enabled = mutate(api, "updateWebhookEndpoint", {"id": endpoint_id, "enabled": True}, lead.token, ENDPOINT)
        assert enabled["endpoint"]["enabled"] is True and enabled["endpoint"]["disabledReason"] is None
        wait_for(lambda: [d["status"] for d in _deliveries(db)] == ["DELIVERED"], what="the waiting delivery")
        assert _verified(secret, receiver.requests()[-1])["data"]["activityId"] == first


def _endpoint(api, admin, endpoint_id: str, *, enabled: bool) -> dict | None:  # noqa: ANN001
    """The endpoint once its `enabled` is as given; None before."""
    query = "query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { enabled disabledReason } } }"
    node = graphql(api, query, {"id": endpoint_id}, admin.token)["data"]["node"]
    return node if node["enabled"] is enabled else None


def test_the_stored_body_is_what_was_signed(api, make, db, quick_settings) -> None:  # noqa: ANN001
    lead = admin_of(make, "lead-org")
    initiative = make.initiative(lead.organisation)
    with receiving() as receiver:
        _, secret = _register(api, lead, receiver.url, ["rating.changed"])
        record_event(
            quick_settings, kind=ActivityKind.RATING_CHANGED, subject_type="Initiative", subject_id=initiative.id,
            detail={"before": "PROMISING", "after": "EFFECTIVE", "note": "Zoë's review"},
        )
        (received,) = wait_for(receiver.requests, what="the delivery")
    (stored,) = _deliveries(db)
    assert received.body == stored["body"]
    assert json.loads(received.body)["data"]["detail"]["note"] == "Zoë's review"
    assert _verified(secret, received)["type"] == "rating.changed"


def test_two_servers_send_each_delivery_once(make, db, quick_settings) -> None:  # noqa: ANN001
    lead = admin_of(make, "lead-org")
    initiatives = [make.initiative(lead.organisation, f"Initiative {n}") for n in range(12)]
    with (
        running_server(quick_settings) as first_url,
        running_server(quick_settings),
        httpx.Client(base_url=first_url, timeout=HTTP_TIMEOUT) as api,
        receiving() as receiver,
    ):
        _, secret = _register(api, lead, receiver.url, ["record.created"])
        entries = [
            record_event(quick_settings, kind=ActivityKind.CREATED, subject_type="Initiative", subject_id=i.id)
            for i in initiatives
        ]
        wait_for(lambda: [d["status"] for d in _deliveries(db)] == ["DELIVERED"] * 12, what="every delivery made")
        received = receiver.requests()
    assert sorted(_verified(secret, r)["data"]["activityId"] for r in received) == sorted(entries)
    assert len({r.headers["webhook-id"] for r in received}) == len(received) == 12
    assert {d["attempt_count"] for d in _deliveries(db)} == {1}


def test_production_checks_the_address_again_before_sending(make, db, settings) -> None:  # noqa: ANN001
    """A host that resolves to a loopback address (as DNS may come to answer after registration) is not sent to."""
    produced = production_settings(settings.database_url, **QUICK)
    lead = admin_of(make, "lead-org")
    initiative = make.initiative(lead.organisation)
    with receiving() as receiver, running_server(produced):
        endpoint = WebhookEndpoint(
            organisation_id=lead.organisation.id, url=f"https://localhost:{receiver.port}/hooks",
            event_types=["record.updated"], created_by=ACTOR, updated_by=ACTOR,
        )
        db.add(endpoint)
        db.commit()
        secret = WebhookSecret(endpoint_id=endpoint.id, sealed="")
        db.add(secret)
        db.commit()
        secret.sealed = signing.seal(KeyEncryption.of([TEST_KEY_ENCRYPTION_KEY]), secret_id=secret.id, secret=signing.new_secret())
        db.commit()
        record_event(produced, kind=ActivityKind.EDITED, subject_type="Initiative", subject_id=initiative.id)
        wait_for(lambda: _deliveries(db)[0]["attempt_count"] >= 2, what="two attempts")
        assert receiver.requests() == []
    with db.get_bind().connect() as connection:
        errors = connection.execute(sa.text("SELECT http_status, error FROM webhook_attempt")).all()
    assert errors and all(status is None and "private, loopback" in error for status, error in errors)


def test_a_delivery_whose_record_became_unreadable_is_withheld(api, make, db, quick_settings) -> None:  # noqa: ANN001
    lead, other = admin_of(make, "lead-org"), admin_of(make, "other-org")
    initiative = make.initiative(lead.organisation, visibility="PUBLIC")
    with receiving() as receiver:
        _register(api, other, receiver.url, ["record.updated"])
        receiver.stop()
        record_event(quick_settings, kind=ActivityKind.EDITED, subject_type="Initiative", subject_id=initiative.id)
        # Written when it happened, as the record was readable; its first attempt found no receiver.
        wait_for(lambda: [d["attempt_count"] for d in _deliveries(db)] == [1], what="a first attempt")
        with db.get_bind().begin() as connection:
            connection.execute(sa.text("UPDATE initiative SET visibility = 'ORGANISATION'"))
        receiver.start()
        wait_for(lambda: [d["status"] for d in _deliveries(db)] == ["WITHHELD"], what="the delivery withheld")
        assert receiver.requests() == []
    deliveries = graphql(api, DELIVERIES, token=other.token)["data"]["webhookEndpoints"]["edges"][0]["node"]["deliveries"]
    ((status, attempts),) = [(e["node"]["status"], e["node"]["attempts"]) for e in deliveries["edges"]]
    # Only the attempts made while the receiver was down: none after the record became unreadable.
    assert status == "WITHHELD" and attempts and all(a["httpStatus"] is None for a in attempts)
