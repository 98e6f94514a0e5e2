"""Who may see and change webhook endpoints: only administrators of the owning organisation holding
`org:admin`. Another organisation's endpoint behaves exactly as a missing one, for reading, changing,
rotating its secret and deleting it; nothing it tries changes anything."""

import sqlalchemy as sa
from strawberry.relay import from_base64

from api.auth.principal import Role
from tests.factories import error_extensions, gid, graphql, mutate, sql_statements
from tests.webhooks.conftest import ENDPOINT, admin_of, webhook_rows

VALID = {"url": "https://hooks.example.org/coplab", "eventTypes": ["record.published"]}
LIST = "query { webhookEndpoints { totalCount edges { node { id url } } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { url } } }"


def test_another_organisation_can_neither_read_nor_change_an_endpoint(client, make, db) -> None:  # noqa: ANN001
    owner, other = admin_of(make, "owner-org"), admin_of(make, "other-org")
    endpoint_id = mutate(client, "createWebhookEndpoint", VALID, owner.token, ENDPOINT)["endpoint"]["id"]
    before = webhook_rows(db)

    assert graphql(client, LIST, token=other.token)["data"]["webhookEndpoints"] == {"totalCount": 0, "edges": []}
    assert graphql(client, NODE, {"id": endpoint_id}, other.token)["data"]["node"] is None
    not_found = [{"field": ["input", "id"], "code": "NOT_FOUND", "message": "No webhook endpoint with this id."}]
    for name, values in [
        ("updateWebhookEndpoint", {"id": endpoint_id, "url": "https://attacker.example/"}),
        ("updateWebhookEndpoint", {"id": endpoint_id, "enabled": False}),
        ("rotateWebhookSecret", {"id": endpoint_id}),
        ("deleteWebhookEndpoint", {"id": endpoint_id}),
    ]:
        assert mutate(client, name, values, other.token)["userErrors"] == not_found, name
    # A missing endpoint gets the same answer.
    missing = gid("WebhookEndpoint", 999)
    assert mutate(client, "rotateWebhookSecret", {"id": missing}, other.token)["userErrors"] == not_found
    assert webhook_rows(db) == before
    # The owner still has it as it was.
    listed = graphql(client, LIST, token=owner.token)["data"]["webhookEndpoints"]
    assert listed == {"totalCount": 1, "edges": [{"node": {"id": endpoint_id, "url": VALID["url"]}}]}


def test_members_who_are_not_administrators_cannot_manage_endpoints(client, make, db) -> None:  # noqa: ANN001
    owner = admin_of(make, "owner-org")
    editor = make.member(owner.organisation, "editor@owner-org.example", Role.EDITOR)
    editor_token = make.token(owner.organisation, ["initiatives:read", "initiatives:write"], user=editor)
    endpoint_id = mutate(client, "createWebhookEndpoint", VALID, owner.token, ENDPOINT)["endpoint"]["id"]
    before = webhook_rows(db)

    listed = graphql(client, LIST, token=editor_token)
    assert listed["data"] is None and error_extensions(listed)[0]["code"] == "FORBIDDEN"
    refused = graphql(
        client,
        "mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { secret } }",
        {"input": {"id": endpoint_id}},
        editor_token,
    )
    assert refused["data"] is None and error_extensions(refused)[0]["code"] == "FORBIDDEN"
    # An administrator's token without `org:admin` sees none either.
    limited = make.token(owner.organisation, ["org:read"], user=make.member(make.organisation("x-org"), "admin@owner-org.example"))
    assert error_extensions(graphql(client, LIST, token=limited))[0]["code"] == "FORBIDDEN"
    assert webhook_rows(db) == before


def test_the_owner_changes_rotates_and_deletes_its_endpoint(client, make, db) -> None:  # noqa: ANN001
    owner = admin_of(make, "owner-org")
    created = mutate(client, "createWebhookEndpoint", {**VALID, "description": "Case system"}, owner.token, f"{ENDPOINT} secret")
    endpoint_id, first_secret = created["endpoint"]["id"], created["secret"]
    changed = mutate(
        client,
        "updateWebhookEndpoint",
        {"id": endpoint_id, "eventTypes": ["rating.changed", "record.withdrawn", "rating.changed"], "description": None},
        owner.token,
        "endpoint { url eventTypes description }",
    )
    assert changed["endpoint"]["eventTypes"] == ["rating.changed", "record.withdrawn"]
    assert changed["endpoint"]["description"] is None and changed["endpoint"]["url"] == VALID["url"]
    rotated = mutate(client, "rotateWebhookSecret", {"id": endpoint_id}, owner.token, "secret")
    assert rotated["secret"] != first_secret and len(webhook_rows(db)["webhook_secret"]) == 2
    assert mutate(client, "deleteWebhookEndpoint", {"id": endpoint_id}, owner.token, "deletedId") == {
        "deletedId": endpoint_id, "userErrors": []
    }
    assert all(rows == [] for rows in webhook_rows(db).values())


def _deliveries_with_attempts(db, endpoint_row_id: int, numbers: range) -> None:  # noqa: ANN001
    """Deliveries to the endpoint, each with two attempts (a 500, then a 200), written directly."""
    with db.get_bind().begin() as connection:
        activity_id = connection.execute(
            sa.text("INSERT INTO activity (occurred_at, kind, subject_type, subject_id, actor, detail) "
                    "VALUES (CURRENT_TIMESTAMP, 'EDITED', 'Initiative', :id, 'cli', '{}') RETURNING id"),
            {"id": 1},
        ).scalar_one()
        for n in numbers:
            delivery_id = connection.execute(
                sa.text("INSERT INTO webhook_delivery (endpoint_id, activity_id, event_type, message_id, body, status, "
                        "attempt_count, created_at, next_attempt_at) VALUES (:e, :a, 'record.updated', :m, '{}', "
                        "'DELIVERED', 2, CURRENT_TIMESTAMP, 0) RETURNING id"),
                {"e": endpoint_row_id, "a": activity_id, "m": f"msg_{n}"},
            ).scalar_one()
            for status in (500, 200):
                connection.execute(
                    sa.text("INSERT INTO webhook_attempt (delivery_id, attempted_at, http_status, duration_ms) "
                            "VALUES (:d, CURRENT_TIMESTAMP, :s, 5)"),
                    {"d": delivery_id, "s": status},
                )


def test_a_page_of_deliveries_loads_its_attempts_in_one_statement(app, client, make, db) -> None:  # noqa: ANN001
    owner = admin_of(make, "owner-org")
    endpoint_id = mutate(client, "createWebhookEndpoint", VALID, owner.token, ENDPOINT)["endpoint"]["id"]
    query = (
        "query { webhookEndpoints { edges { node { deliveries(first: 50) { edges { node { webhookId "
        "attempts { httpStatus } } } } } } } }"
    )
    counts = []
    for total, added in ((2, range(2)), (12, range(2, 12))):
        _deliveries_with_attempts(db, int(from_base64(endpoint_id)[1]), added)
        with sql_statements(app) as statements:
            body = graphql(client, query, token=owner.token)
        (endpoint,) = body["data"]["webhookEndpoints"]["edges"]
        deliveries = endpoint["node"]["deliveries"]["edges"]
        assert len(deliveries) == total
        assert all([a["httpStatus"] for a in d["node"]["attempts"]] == [200, 500] for d in deliveries)
        counts.append(len(statements))
    assert counts[0] == counts[1]
