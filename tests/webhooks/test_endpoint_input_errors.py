"""Refused webhook endpoints: every bad input answers `userErrors` with its field path and a stable code, and
nothing is written. In development and test http and loopback addresses are allowed (the tests' receiver is
http on 127.0.0.1); in production the URL must be https to a public address (the rules themselves:
test_delivery_rules.py)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.core.settings import Settings
from api.main import create_app
from tests.factories import Factory, mutate, stored
from tests.webhooks.conftest import ENDPOINT, Admin, admin_of, production_settings, webhook_rows

VALID = {"url": "https://hooks.example.org/coplab", "eventTypes": ["record.published"], "description": "Case system"}


def _refused(client, admin: Admin, name: str, values: dict) -> list[tuple[list[str], str]]:  # noqa: ANN001
    payload = mutate(client, name, values, admin.token, ENDPOINT if name != "createWebhookEndpoint" else f"{ENDPOINT} secret")
    assert payload["endpoint"] is None
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"eventTypes": ["record.published", "record.exploded"]}, [(["input", "eventTypes", "1"], "UNKNOWN_EVENT_TYPE")]),
        ({"eventTypes": []}, [(["input", "eventTypes"], "REQUIRED")]),
        ({"url": "hooks.example.org/coplab"}, [(["input", "url"], "INVALID_URL")]),
        ({"url": "ftp://hooks.example.org/"}, [(["input", "url"], "INVALID_URL")]),
        ({"description": "x" * 501}, [(["input", "description"], "TOO_LONG")]),
        (
            {"url": "", "eventTypes": ["record.removed"]},
            [(["input", "url"], "BLANK"), (["input", "eventTypes", "0"], "UNKNOWN_EVENT_TYPE")],
        ),
    ],
)
def test_a_refused_endpoint_writes_nothing(client, make, db, values, errors) -> None:  # noqa: ANN001
    admin = admin_of(make, "lead-org")
    before = stored(db)
    assert _refused(client, admin, "createWebhookEndpoint", {**VALID, **values}) == errors
    assert stored(db) == before
    assert _count(db, "webhook_endpoint") == _count(db, "webhook_secret") == 0


def test_a_refused_update_changes_nothing(client, make, db) -> None:  # noqa: ANN001
    admin = admin_of(make, "lead-org")
    created = mutate(client, "createWebhookEndpoint", VALID, admin.token, ENDPOINT)["endpoint"]
    before = webhook_rows(db)
    changes = {"id": created["id"], "url": "mailto:someone@example.org", "eventTypes": ["rating.changed", "nope"]}
    assert _refused(client, admin, "updateWebhookEndpoint", changes) == [
        (["input", "url"], "INVALID_URL"),
        (["input", "eventTypes", "1"], "UNKNOWN_EVENT_TYPE"),
    ]
    assert _refused(client, admin, "updateWebhookEndpoint", {"id": created["id"], "url": None}) == [
        (["input", "url"], "REQUIRED")
    ]
    assert webhook_rows(db) == before


def test_development_allows_http_and_loopback(client, make) -> None:  # noqa: ANN001
    admin = admin_of(make, "lead-org")
    payload = mutate(client, "createWebhookEndpoint", {**VALID, "url": "http://127.0.0.1:9/hooks"}, admin.token, ENDPOINT)
    assert payload["userErrors"] == [] and payload["endpoint"]["url"] == "http://127.0.0.1:9/hooks"


@pytest.fixture
def production(settings: Settings, db: Session) -> Iterator[tuple[TestClient, Factory]]:
    """A production server, and a factory whose tokens it accepts."""
    produced = production_settings(settings.database_url)
    with TestClient(create_app(produced)) as client:
        yield client, Factory(db, produced)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.example.org/coplab", "INSECURE_URL"),
        ("https://127.0.0.1/hooks", "PRIVATE_ADDRESS"),
        ("https://localhost:8443/hooks", "PRIVATE_ADDRESS"),
        ("https://10.1.2.3/hooks", "PRIVATE_ADDRESS"),
        ("https://192.168.0.10/hooks", "PRIVATE_ADDRESS"),
        ("https://169.254.169.254/latest/meta-data", "PRIVATE_ADDRESS"),
        ("https://[::1]/hooks", "PRIVATE_ADDRESS"),
        ("https://[::ffff:127.0.0.1]/hooks", "PRIVATE_ADDRESS"),
        ("https://240.0.0.1/hooks", "PRIVATE_ADDRESS"),
    ],
)
def test_production_refuses_http_and_private_addresses(production, db, url, code) -> None:  # noqa: ANN001
    client, make = production
    admin = admin_of(make, "lead-org")
    before = stored(db)
    assert _refused(client, admin, "createWebhookEndpoint", {**VALID, "url": url}) == [(["input", "url"], code)]
    assert stored(db) == before and _count(db, "webhook_endpoint") == 0


def test_production_refuses_a_private_address_on_update_too(production, db) -> None:  # noqa: ANN001
    client, make = production
    admin = admin_of(make, "lead-org")
    # A public address as the host: nothing to resolve, so the test needs no DNS.
    created = mutate(client, "createWebhookEndpoint", {**VALID, "url": "https://93.184.215.14/hooks"}, admin.token, f"{ENDPOINT} secret")
    assert created["userErrors"] == []
    before = webhook_rows(db)
    assert _refused(client, admin, "updateWebhookEndpoint", {"id": created["endpoint"]["id"], "url": "https://127.0.0.2/"}) == [
        (["input", "url"], "PRIVATE_ADDRESS")
    ]
    assert webhook_rows(db) == before
    # The secret is stored sealed with the key encryption key: the database does not hold it in the clear.
    (sealed,) = [row["sealed"] for row in before["webhook_secret"]]
    assert created["secret"].removeprefix("whsec_") not in sealed and not sealed.startswith("{")


def _count(db, table: str) -> int:  # noqa: ANN001
    return len(webhook_rows(db)[table])
