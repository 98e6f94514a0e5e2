"""A partner named by an initiative's lead is shown only once it confirms, and may decline or withdraw:
through the API, search and the public export, on a real server with its own indexer."""

from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import select

from api.initiatives.models import Initiative, Participation
from api.organisations.models import Organisation
from api.auth.principal import Role
from tests.search.indexing import wait_until_server_caught_up
from api.core.settings import Settings
from tests.exports.registry import coplab, records
from tests.factories import gid, mutate, stored, user_errors
from tests.server import running_server
from tests.server import HTTP_TIMEOUT

PARTICIPATION = "participation { id confirmedAt organisation { slug } role { code } }"
PARTICIPATIONS = "query($id: ID!) { initiative(id: $id) { participations { id confirmedAt organisation { slug } } } }"
PARTNERED = "query($o: [ID!]) { initiatives(filter: {organisations: $o}) { totalCount } }"
SEARCH = "query($q: String!) { searchInitiatives(query: $q, matchingStrategy: ALL) { totalHits } }"


@pytest.fixture
def lead(make) -> Organisation:  # noqa: ANN001
    return make.organisation("ministry-of-justice", stakeholder_type="GOV")


@pytest.fixture
def partner(make) -> Organisation:  # noqa: ANN001
    return make.organisation("watchful-hotline", stakeholder_type="HOTLINE")


@pytest.fixture
def third(make) -> Organisation:  # noqa: ANN001
    return make.organisation("bystander-ngo")


@pytest.fixture
def initiative(make, lead) -> Initiative:  # noqa: ANN001
    return make.initiative(lead, "Takedown coordination")


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:  # the indexer runs in the server, as in production
        yield url


def _graphql(base_url: str, query: str, variables: dict, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = httpx.post(f"{base_url}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=HTTP_TIMEOUT).json()
    assert "errors" not in body, body
    return body["data"]


def _mutate(base_url: str, name: str, values: dict, token: str) -> dict:
    query = f"mutation($i: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $i) {{ {PARTICIPATION} userErrors {{ field code message }} }} }}"
    return _graphql(base_url, query, {"i": values}, token)[name]


def _shown(base_url: str, initiative: Initiative, token: str | None = None) -> list[str]:
    found = _graphql(base_url, PARTICIPATIONS, {"id": gid("Initiative", initiative.id)}, token)["initiative"]
    return [p["organisation"]["slug"] for p in found["participations"]]


def _indexed(db, base_url: str) -> None:  # noqa: ANN001
    """Wait until the server's index has applied every change in the search change log."""
    wait_until_server_caught_up(base_url, db.get_bind())


def _hits(base_url: str, words: str) -> int:
    return _graphql(base_url, SEARCH, {"q": words})["searchInitiatives"]["totalHits"]


def test_a_proposed_partner_is_shown_only_once_it_confirms(
    server, db, make, lead, partner, third, initiative, database_url, tmp_path  # noqa: ANN001
) -> None:
    ours, theirs, others = make.token(lead), make.token(partner), make.token(third)
    proposed = _mutate(
        server,
        "addParticipation",
        {"initiative": gid("Initiative", initiative.id), "organisation": gid("Organisation", partner.id), "role": "IMPLEMENTING"},
        ours,
    )
    assert proposed["userErrors"] == []
    assert proposed["participation"]["confirmedAt"] is None
    participation_id = proposed["participation"]["id"]

    # The two organisations see the proposal; nobody else does, on any path.
    assert _shown(server, initiative, ours) == ["watchful-hotline"]
    assert _shown(server, initiative, theirs) == ["watchful-hotline"]
    assert _shown(server, initiative) == [] and _shown(server, initiative, others) == []
    assert _graphql(server, "query($id: ID!) { node(id: $id) { id } }", {"id": participation_id}, others)["node"] is None
    by_partner = {"o": [gid("Organisation", partner.id)]}
    assert _graphql(server, PARTNERED, by_partner)["initiatives"]["totalCount"] == 0
    assert _graphql(server, PARTNERED, by_partner, theirs)["initiatives"]["totalCount"] == 1
    _indexed(db, server)
    assert _hits(server, "Watchful Hotline") == 0
    assert _hits(server, "Takedown coordination") == 1
    out = tmp_path / "proposed"
    assert coplab(database_url, "export", "--out", str(out)).exit_code == 0
    assert records(out, "participations") == []

    confirmed = _mutate(server, "confirmParticipation", {"id": participation_id}, theirs)
    assert confirmed["userErrors"] == [] and confirmed["participation"]["confirmedAt"] is not None
    assert _shown(server, initiative) == ["watchful-hotline"]
    assert _shown(server, initiative, others) == ["watchful-hotline"]
    assert _graphql(server, PARTNERED, by_partner)["initiatives"]["totalCount"] == 1
    _indexed(db, server)  # the confirmation queued the initiative for the index in its own transaction
    assert _hits(server, "Watchful Hotline") == 1
    out = tmp_path / "confirmed"
    assert coplab(database_url, "export", "--out", str(out)).exit_code == 0
    assert [(p["initiative_id"], p["organisation_id"]) for p in records(out, "participations")] == [
        (initiative.id, partner.id)
    ]
    assert "confirmed_by" not in records(out, "participations")[0]  # names an internal principal

    # Withdrawn: gone everywhere; the initiative's own fields are as the lead left them.
    db.expire_all()
    before = db.get(Initiative, initiative.id).model_dump(exclude={"updated_at"})
    withdrawn = _mutate(server, "withdrawParticipation", {"id": participation_id}, theirs)
    assert withdrawn["userErrors"] == []
    assert _shown(server, initiative, ours) == [] and _shown(server, initiative) == []
    db.expire_all()
    assert db.exec(select(Participation)).all() == []
    assert db.get(Initiative, initiative.id).model_dump(exclude={"updated_at"}) == before
    _indexed(db, server)
    assert _hits(server, "Watchful Hotline") == 0


def test_the_lead_naming_its_own_organisation_needs_no_confirmation(client, make, lead, initiative) -> None:  # noqa: ANN001
    values = {"initiative": gid("Initiative", initiative.id), "organisation": gid("Organisation", lead.id), "role": "FUNDING"}
    payload = mutate(client, "addParticipation", values, make.token(lead), PARTICIPATION)
    assert user_errors(payload) == [] and payload["participation"]["confirmedAt"] is not None


def _propose(client, make, lead, partner, initiative) -> str:  # noqa: ANN001
    values = {"initiative": gid("Initiative", initiative.id), "organisation": gid("Organisation", partner.id), "role": "IMPLEMENTING"}
    payload = mutate(client, "addParticipation", values, make.token(lead), PARTICIPATION)
    assert user_errors(payload) == []
    return payload["participation"]["id"]


@pytest.mark.parametrize("mutation", ["confirmParticipation", "withdrawParticipation"])
def test_a_third_organisation_cannot_confirm_or_withdraw_anothers_participation(
    client, db, make, lead, partner, third, initiative, mutation  # noqa: ANN001
) -> None:
    participation_id = _propose(client, make, lead, partner, initiative)
    others = make.token(third)
    before = stored(db)
    # Proposed, it is invisible to the third organisation: exactly like a missing one.
    hidden = mutate(client, mutation, {"id": participation_id}, others, "participation { id }")
    missing = mutate(client, mutation, {"id": gid("Participation", 999_999)}, others, "participation { id }")
    assert hidden == missing  # the same words too
    assert hidden["participation"] is None and user_errors(hidden) == [(["input", "id"], "NOT_FOUND")]
    assert stored(db) == before

    mutate(client, "confirmParticipation", {"id": participation_id}, make.token(partner))
    before = stored(db)
    # Confirmed on a public initiative, the third organisation reads it, and may not change it.
    shown = mutate(client, mutation, {"id": participation_id}, others, "participation { id }")
    assert shown["participation"] is None
    [error] = shown["userErrors"]
    assert (error["field"], error["code"]) == (["input", "id"], "FORBIDDEN")
    assert "Only the organisation taking part" in error["message"]
    assert stored(db) == before


def test_the_lead_cannot_confirm_for_its_partner_but_can_still_remove_it(
    client, db, make, lead, partner, initiative  # noqa: ANN001
) -> None:
    participation_id = _propose(client, make, lead, partner, initiative)
    ours = make.token(lead)
    before = stored(db)
    refused = mutate(client, "confirmParticipation", {"id": participation_id}, ours, "")
    assert user_errors(refused) == [(["input", "id"], "FORBIDDEN")]
    assert stored(db) == before
    removed = mutate(client, "removeParticipation", {"id": participation_id}, ours, "")
    assert user_errors(removed) == []
    assert stored(db)["participation"] == []


@pytest.mark.parametrize("mutation", ["confirmParticipation", "withdrawParticipation"])
@pytest.mark.parametrize(
    "participation_id",
    [gid("Participation", 999_999), gid("Initiative", 1), gid("Participation", 0)],
    ids=["missing", "another type", "zero"],
)
def test_bad_ids_are_refused_and_nothing_changes(
    client, db, make, lead, partner, initiative, mutation, participation_id  # noqa: ANN001
) -> None:
    _propose(client, make, lead, partner, initiative)
    before = stored(db)
    payload = mutate(client, mutation, {"id": participation_id}, make.token(partner), "participation { id }")
    assert payload["participation"] is None
    [(field, code)] = user_errors(payload)
    assert field == ["input", "id"] and code in {"NOT_FOUND", "INVALID_ID"}
    assert stored(db) == before


@pytest.mark.parametrize("mutation", ["confirmParticipation", "withdrawParticipation"])
def test_a_viewer_of_the_partner_may_not_answer_for_it(client, db, make, lead, partner, initiative, mutation) -> None:  # noqa: ANN001
    participation_id = _propose(client, make, lead, partner, initiative)
    viewer = make.member(partner, "viewer@watchful.example", Role.VIEWER)
    before = stored(db)
    payload = mutate(client, mutation, {"id": participation_id}, make.token(partner, user=viewer), "")
    assert user_errors(payload) == [(["input", "id"], "FORBIDDEN")]
    assert stored(db) == before


@pytest.mark.parametrize("mutation", ["confirmParticipation", "withdrawParticipation"])
def test_without_initiatives_write_nothing_is_answered(client, db, make, lead, partner, initiative, mutation) -> None:  # noqa: ANN001
    participation_id = _propose(client, make, lead, partner, initiative)
    before = stored(db)
    response = client.post(
        "/graphql",
        json={"query": f'mutation {{ {mutation}(input: {{id: "{participation_id}"}}) {{ userErrors {{ code }} }} }}'},
        headers={"Authorization": f"Bearer {make.token(partner, 'initiatives:read')}"},
    )
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["FORBIDDEN"]
    assert stored(db) == before
