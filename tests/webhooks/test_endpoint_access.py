"""Who may see and change webhook endpoints: only administrators of the owning organisation holding
`org:admin`. Another organisation's endpoint behaves exactly as a missing one, for reading, changing,
rotating its secret and deleting it; nothing it tries changes anything."""

import sqlalchemy as sa

from api.auth.principal import Role
from tests.factories import error_extensions, gid, graphql, mutate
from tests.webhooks.conftest import ENDPOINT, admin_of

VALID = {"url": "https://hooks.example.org/coplab", "eventTypes": ["record.published"]}
LIST = "query { webhookEndpoints { totalCount edges { node { id url } } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { url } } }"


def _rows(db) -> dict[str, list[dict]]:  # noqa: ANN001
    with db.get_bind().connect() as connection:
        return {
            table: [dict(r._mapping) for r in connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]
            for table in ("webhook_endpoint", "webhook_secret")
        }


def test_another_organisation_can_neither_read_nor_change_an_endpoint(client, make, db) -> None:  # noqa: ANN001
    owner, other = admin_of(make, "owner-org"), admin_of(make, "other-org")
    endpoint_id = mutate(client, "createWebhookEndpoint", VALID, owner.token, ENDPOINT)["endpoint"]["id"]
    before = _rows(db)

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
    assert _rows(db) == before
    # The owner still has it as it was.
    listed = graphql(client, LIST, token=owner.token)["data"]["webhookEndpoints"]
    assert listed == {"totalCount": 1, "edges": [{"node": {"id": endpoint_id, "url": VALID["url"]}}]}


def test_members_who_are_not_administrators_cannot_manage_endpoints(client, make, db) -> None:  # noqa: ANN001
    owner = admin_of(make, "owner-org")
    editor = make.member(owner.organisation, "editor@owner-org.example", Role.EDITOR)
    editor_token = make.token(owner.organisation, ["initiatives:read", "initiatives:write"], user=editor)
    endpoint_id = mutate(client, "createWebhookEndpoint", VALID, owner.token, ENDPOINT)["endpoint"]["id"]
    before = _rows(db)

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
    assert _rows(db) == before


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
    assert rotated["secret"] != first_secret and len(_rows(db)["webhook_secret"]) == 2
    assert mutate(client, "deleteWebhookEndpoint", {"id": endpoint_id}, owner.token, "deletedId") == {
        "deletedId": endpoint_id, "userErrors": []
    }
    assert _rows(db) == {"webhook_endpoint": [], "webhook_secret": []}
