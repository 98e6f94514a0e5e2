"""Migration 0008 on a database that has people already: every existing membership counts as
accepted, under the name its person had; an unused link belongs to the person's one membership, or
ends when it cannot tell which organisation it is for. On SQLite and PostgreSQL."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from api import migrations
from api.core.db import create_sync_engine
from tests.conftest import POSTGRES_URL, _private_postgres_schema


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migration.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL: set COPLAB_TEST_DATABASE_URL")
    url, drop = _private_postgres_schema(POSTGRES_URL)
    try:
        yield url
    finally:
        drop()


def _rows(engine: sa.Engine, statement: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(statement))]


def test_existing_memberships_are_accepted_under_their_persons_name(empty_url: str) -> None:
    migrations.upgrade(empty_url, "0005")
    engine = create_sync_engine(empty_url)
    try:
        now = "CURRENT_TIMESTAMP"
        with engine.begin() as connection:
            for slug in ("alpha", "bravo"):
                connection.execute(sa.text(
                    "INSERT INTO organisation (slug, name, aliases, stakeholder_type, status, is_secretariat, provenance, "
                    f"created_at, updated_at, created_by, updated_by) VALUES ('{slug}', '{slug}', '[]', 'NGO', 'MEMBER', "
                    f"false, '[]', {now}, {now}, 't', 't')"
                ))
            for email, name in (("one@x.example", "Only Alpha"), ("two@x.example", "In Both")):
                connection.execute(sa.text(
                    "INSERT INTO user_account (email, name, created_at, updated_at, created_by, updated_by) "
                    f"VALUES ('{email}', '{name}', {now}, {now}, 't', 't')"
                ))
            memberships = (("one@x.example", "alpha"), ("two@x.example", "alpha"), ("two@x.example", "bravo"))
            for email, slug in memberships:
                connection.execute(sa.text(
                    "INSERT INTO membership (user_id, organisation_id, role, created_at, updated_at, created_by, updated_by) "
                    f"SELECT u.id, o.id, 'ADMIN', {now}, {now}, 't', 't' FROM user_account u, organisation o "
                    f"WHERE u.email = '{email}' AND o.slug = '{slug}'"
                ))
            for code, email in (("one", "one@x.example"), ("two", "two@x.example")):
                connection.execute(sa.text(
                    "INSERT INTO password_setup (code_hash, user_id, expires_at) "
                    f"SELECT '{code}', id, {now} FROM user_account WHERE email = '{email}'"
                ))

        migrations.upgrade(empty_url)

        assert _rows(engine, """SELECT u.email, o.slug, m.name, m.accepted_at IS NOT NULL FROM membership m
            JOIN user_account u ON u.id = m.user_id JOIN organisation o ON o.id = m.organisation_id ORDER BY m.id""") == [
            ("one@x.example", "alpha", "Only Alpha", True),
            ("two@x.example", "alpha", "In Both", True),
            ("two@x.example", "bravo", "In Both", True),
        ]
        assert _rows(engine, """SELECT p.code_hash, o.slug, p.used_at IS NOT NULL FROM password_setup p
            LEFT JOIN membership m ON m.id = p.membership_id LEFT JOIN organisation o ON o.id = m.organisation_id
            ORDER BY p.code_hash""") == [("one", "alpha", False), ("two", None, True)]
        migrations.check(empty_url)  # the models and the migrations agree
    finally:
        engine.dispose()
