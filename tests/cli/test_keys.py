"""`coplab keys rotate` and `coplab keys list`, run as an operator would, on a database of their own."""

import os
import subprocess
import sys
from datetime import timedelta

from sqlmodel import Session, select

from api.audit.models import AuditEvent
from api.auth.models import SigningKey
from api.core.db import create_sync_engine, utcnow

COPLAB = [sys.executable, "-m", "api.cli"]


def _coplab(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*COPLAB, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def _states(listing: str) -> dict[str, str]:
    """kid → state, from the rows of `coplab keys list`."""
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in listing.splitlines() if line.startswith("│")]
    return {row[0]: row[1] for row in rows}


def test_rotate_publishes_the_next_key_then_retires_the_old_one_and_list_shows_each_state(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "COPLAB_DATABASE_URL": url, "COPLAB_KEY_PUBLISH_SECONDS": "120"}
    assert _coplab("db", "upgrade", env=env).returncode == 0
    empty = _coplab("keys", "list", env=env)
    assert empty.returncode == 0 and "no signing keys yet" in empty.stderr

    first = _coplab("keys", "rotate", env=env)  # nothing signs yet: the first key signs at once
    assert first.returncode == 0, first.stderr
    second = _coplab("keys", "rotate", env=env)  # published for COPLAB_KEY_PUBLISH_SECONDS first
    assert second.returncode == 0, second.stderr
    engine = create_sync_engine(url)
    with Session(engine) as db:
        [old, new] = db.exec(select(SigningKey).order_by(SigningKey.created_at)).all()
        assert old.activates_at is None
        assert abs((new.activates_at - new.created_at).total_seconds() - 120) < 2
    assert f"published key {old.kid}" in first.stderr and f"published key {new.kid}" in second.stderr
    assert _states(_coplab("keys", "list", env=env).stdout) == {old.kid: "active", new.kid: "next"}

    # The next key's hour has come and gone, and with it every token the old key signed.
    with Session(engine) as db:
        row = db.get(SigningKey, new.kid)
        row.activates_at = utcnow() - timedelta(hours=1)
        db.add(row)
        db.commit()
    assert _states(_coplab("keys", "list", env=env).stdout) == {old.kid: "verifying-only", new.kid: "active"}
    third = _coplab("keys", "rotate", "--activate-in", "0", env=env)
    assert third.returncode == 0, third.stderr
    assert f"retired key {old.kid}" in third.stderr
    with Session(engine) as db:
        newest = db.exec(select(SigningKey).order_by(SigningKey.created_at.desc())).first()
        events = db.exec(select(AuditEvent)).all()
    engine.dispose()
    assert _states(_coplab("keys", "list", env=env).stdout) == {
        old.kid: "retired",
        new.kid: "verifying-only",
        newest.kid: "active",
    }
    assert [(e.kind.value, e.organisation_id, e.subject) for e in events] == [("SIGNING_KEY_ROTATED", None, "cli")] * 3

    negative = _coplab("keys", "rotate", "--activate-in", "-1", env=env)
    assert negative.returncode == 2 and "--activate-in" in negative.stderr
