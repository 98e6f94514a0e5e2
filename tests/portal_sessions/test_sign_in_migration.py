"""Migration 0024 on a registry that already has people: the portal's client row and its sessions
can be stored, a session id digest names one session only, and a session refers to a person and an
organisation that exist. On SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa

from api import migrations
from api.core.db import create_sync_engine
from tests.organisations.test_membership_migration import empty_url  # noqa: F401  (the fixture)

NOW = "CURRENT_TIMESTAMP"


def test_the_portal_keeps_its_client_and_one_session_per_id_digest(empty_url: str) -> None:  # noqa: F811
    migrations.upgrade(empty_url, "0023")
    engine = create_sync_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO user_account (email, name, created_at, updated_at, created_by, updated_by) "
                f"VALUES ('one@x.example', 'One', {NOW}, {NOW}, 't', 't')"
            ))
        migrations.upgrade(empty_url)
        session = (
            "INSERT INTO portal_session (id_hash, user_id, generation, created_at, last_seen_at, expires_at) "
            f"SELECT 'digest', id, 0, {NOW}, {NOW}, {NOW} FROM user_account"
        )
        with engine.begin() as connection:
            connection.execute(sa.text(
                f"INSERT INTO portal_client (name, client_id, sealed_secret, created_at) VALUES ('portal', 'cpl_x', '{{}}', {NOW})"
            ))
            connection.execute(sa.text(session))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(sa.text(session))  # the same id digest again
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(sa.text(
                f"INSERT INTO portal_client (name, client_id, sealed_secret, created_at) VALUES ('portal', 'cpl_y', '{{}}', {NOW})"
            ))  # a second process registering the client too: it reads the first one's instead
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT s.id_hash, u.email FROM portal_session s JOIN user_account u ON u.id = s.user_id")).all()
        assert [tuple(r) for r in rows] == [("digest", "one@x.example")]
    finally:
        engine.dispose()
