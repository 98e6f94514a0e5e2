"""What one createInitiative (and one updateInitiative) says to the database: no DELETE of rows a new
initiative cannot have, one change-log row per initiative per transaction, and a small number of
statements, on every backend (docs/performance.md, "Writes: statements per createInitiative")."""

import sqlalchemy as sa

from api.initiatives.models import Initiative
from api.search.models import SearchOutbox
from tests.factories import gid, graphql, mutate, sql_statements, user_errors

OUTBOX = SearchOutbox.__table__
FULL = {
    "title": "Hotline network",
    "status": "IMPLEMENTATION",
    "summary": "Reports travel between national hotlines.",
    "links": [{"url": "https://inhope.org/", "label": "Home"}, {"url": "https://inhope.org/report"}],
    "harms": ["CSAM-KNOWN", "CSAM-NEW"],
    "interventionTypes": ["DET-HASH"],
    "mnrCapabilities": ["MNR-16"],
    "targetGroups": ["INDUSTRY"],
    "regions": ["GLOBAL"],
    "countries": ["CA", "FR", "GB"],
    "languages": ["en", "fr"],
}
# Before: 19 statements for this create on SQLite and PostgreSQL (6 vocabulary SELECTs, 7 DELETEs of
# nothing, 3 change-log INSERTs). After: 5 (the principal, one vocabulary SELECT, the initiative, its
# classifications in one executemany, one change-log row); then 8 with version 1 (the classifications
# read back for its snapshot, and the version), its activity entry and the webhook endpoints that may
# want to hear of it.
CREATE_STATEMENTS = 9
# Before: 19 for an update replacing every scheme (7 DELETEs, 2 change-log rows). After: 7 (the
# principal, the initiative, one vocabulary SELECT, one DELETE, UPDATE, classifications, one row); then
# 12 with its new version (the classifications read back, the last version, the new one), its activity
# entry and the webhook endpoints that may want to hear of it.
UPDATE_STATEMENTS = 12


def logged(engine: sa.Engine, initiative_id: int) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(OUTBOX).where(OUTBOX.c.initiative_id == initiative_id)
        ).scalar_one()


def _verbs(statements: list[str]) -> list[str]:
    return [s.split(None, 1)[0].upper() for s in statements]


def test_creating_an_initiative_deletes_nothing_and_logs_it_once(client, app, engine, make) -> None:  # noqa: ANN001
    token = make.token(make.organisation("inhope", stakeholder_type="HOTLINE"))
    graphql(client, "{ viewer { kind } }", token=token)  # warm the signing-key cache
    with sql_statements(app) as statements:
        payload = mutate(client, "createInitiative", FULL, token, "initiative { id }")
    assert user_errors(payload) == []
    with engine.connect() as connection:
        new_id = connection.execute(sa.select(sa.func.max(Initiative.id))).scalar_one()
    assert "DELETE" not in _verbs(statements), statements
    assert logged(engine, new_id) == 1
    assert len(statements) <= CREATE_STATEMENTS, "\n".join(statements)


def test_updating_an_initiative_logs_it_once(client, app, engine, make) -> None:  # noqa: ANN001
    inhope = make.organisation("inhope", stakeholder_type="HOTLINE")
    token = make.token(inhope)
    initiative = make.initiative(inhope, "Notice and take-down", harms=["CSAM-KNOWN"])
    with engine.begin() as connection:
        connection.execute(OUTBOX.delete())
    graphql(client, "{ viewer { kind } }", token=token)
    with sql_statements(app) as statements:
        payload = mutate(client, "updateInitiative", {"id": gid("Initiative", initiative.id), **FULL}, token)
    assert user_errors(payload) == []
    assert logged(engine, initiative.id) == 1
    assert len(statements) <= UPDATE_STATEMENTS, "\n".join(statements)
