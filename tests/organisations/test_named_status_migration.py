"""Migration 0011 on a registry seeded before it: organisations the seed loaded as OBSERVER and that
still are become NAMED, and their seed records say so; a status the secretariat set since, and
organisations that did not come from the seed, are left as they are. Downgrading gives OBSERVER back
to every NAMED organisation. On SQLite and PostgreSQL."""

import json

import sqlalchemy as sa
from alembic import command

from api import migrations
from api.core.db import create_sync_engine
from tests.organisations.test_membership_migration import _rows, empty_url  # noqa: F401  (the fixture)

NOW = "CURRENT_TIMESTAMP"


def _organisation(connection: sa.Connection, slug: str, status: str, seeded_as: str | None) -> None:
    connection.execute(sa.text(
        "INSERT INTO organisation (slug, name, aliases, misspellings, stakeholder_type, status, is_secretariat, "
        f"provenance, created_at, updated_at, created_by, updated_by) VALUES ('{slug}', '{slug}', '[]', '[]', 'NGO', "
        f"'{status}', false, '[]', {NOW}, {NOW}, 't', 't')"
    ))
    if seeded_as is not None:
        content = json.dumps({"name": slug, "status": seeded_as})
        connection.execute(sa.text(
            "INSERT INTO seed_record (kind, key, record_id, content, loaded_at) "
            f"SELECT 'organisation', slug, id, '{content}', {NOW} FROM organisation WHERE slug = '{slug}'"
        ))


def test_seeded_observers_become_named_and_nothing_else_changes(empty_url: str) -> None:  # noqa: F811
    migrations.upgrade(empty_url, "0010")
    engine = create_sync_engine(empty_url)
    try:
        with engine.begin() as connection:
            _organisation(connection, "thorn", "OBSERVER", seeded_as="OBSERVER")  # as the seed left it
            _organisation(connection, "iwf", "MEMBER", seeded_as="OBSERVER")  # admitted by the secretariat since
            _organisation(connection, "google", "MEMBER", seeded_as="MEMBER")
            _organisation(connection, "observer", "OBSERVER", seeded_as=None)  # set by a person, not the seed

        migrations.upgrade(empty_url, "0011")

        statuses = "SELECT slug, status, updated_by FROM organisation ORDER BY slug"
        assert _rows(engine, statuses) == [
            ("google", "MEMBER", "t"),
            ("iwf", "MEMBER", "t"),
            ("observer", "OBSERVER", "t"),
            ("thorn", "NAMED", "seed:registry"),
        ]
        records = {key: json.loads(content) if isinstance(content, str) else content
                   for key, content in _rows(engine, "SELECT key, content FROM seed_record")}
        # As if the new seed files had been loaded: a later `coplab seed` writes nothing over IWF's MEMBER.
        assert {key: content["status"] for key, content in records.items()} == {
            "thorn": "NAMED", "iwf": "NAMED", "google": "MEMBER",
        }
        assert records["thorn"]["name"] == "thorn"  # the rest of the content kept
        migrations.upgrade(empty_url, "head")  # and the migrations after it leave the models and the schema agreeing
        migrations.check(empty_url)

        command.downgrade(migrations.alembic_config(empty_url), "0010")
        assert _rows(engine, "SELECT slug, status FROM organisation ORDER BY slug") == [
            ("google", "MEMBER"), ("iwf", "MEMBER"), ("observer", "OBSERVER"), ("thorn", "OBSERVER"),
        ]
        assert {key: (json.loads(c) if isinstance(c, str) else c)["status"]
                for key, c in _rows(engine, "SELECT key, content FROM seed_record")} == {
            "thorn": "OBSERVER", "iwf": "OBSERVER", "google": "MEMBER",
        }
        assert not sa.inspect(engine).has_table("network_membership")
    finally:
        engine.dispose()
