"""The synthetic registry as callers meet it: what the initiatives service lets anonymous callers read is
what GraphQL lists, each with its synthetic source (test_synthetic_rules.py pins the generator and loader)."""

import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

from api.auth.principal import ANONYMOUS
from api.initiatives import service as initiatives
from api.seeding.synthetic import load_synthetic
from tests.factories import graphql

N, SEED = 120, 11


@pytest.fixture
def loaded(database_url: str, engine: sa.Engine) -> dict[str, int]:
    """A synthetic registry of N initiatives in the (empty) test database."""
    return load_synthetic(url=database_url, initiatives=N, seed=SEED)


def test_the_registry_is_readable_through_the_service_and_the_api(loaded: dict[str, int], engine: sa.Engine,
                                                                  client) -> None:  # noqa: ANN001
    with Session(engine) as session:
        readable = session.exec(select(func.count()).select_from(initiatives.readable(ANONYMOUS).subquery())).one()
    assert 0 < readable < N
    body = graphql(client, "{ initiatives(first: 3) { totalCount edges { node { title provenance { source } } } } }")
    assert body["data"]["initiatives"]["totalCount"] == readable
    assert {e["node"]["provenance"][0]["source"] for e in body["data"]["initiatives"]["edges"]} == {"synthetic"}
