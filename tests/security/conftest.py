"""Helpers for the security tests: reading what is stored, counting SQL, a real uvicorn server."""

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy import event
from sqlmodel import Session, select

from api.organisations.models import Membership

# RFC 6750's challenge: a quoted description holds no quote, backslash or control character.
INVALID_TOKEN_CHALLENGE = re.compile(r'Bearer error="invalid_token", error_description="([ !#-\[\]-~]+)"')


def invalid_token_reason(response: Any) -> str:  # noqa: ANN401
    """The reason of a 401 for a refused bearer token, once its challenge and its body are checked to
    say the same thing, the body shaped like every other GraphQL error."""
    assert response.status_code == 401, response.text
    challenge = INVALID_TOKEN_CHALLENGE.fullmatch(response.headers["www-authenticate"])
    assert challenge, response.headers["www-authenticate"]
    body = response.json()
    assert list(body) == ["errors"] and len(body["errors"]) == 1, body
    [error] = body["errors"]
    assert error["message"] == challenge[1]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    return error["extensions"]["reason"]


def stored(db: Session, table: sa.Table, **where: Any) -> list[dict[str, Any]]:
    """Rows of `table` as the database holds them now (a fresh query, past any cached objects)."""
    db.rollback()  # end any read transaction, so the query sees every commit the server made
    statement = sa.select(table).where(*(table.c[name] == value for name, value in where.items()))
    return [dict(row) for row in db.execute(statement.order_by(*table.primary_key.columns)).mappings()]


def count(db: Session, table: sa.Table) -> int:
    db.rollback()
    return db.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def membership_id(db: Session, user_id: int, organisation_id: int) -> int:
    db.rollback()
    return db.exec(
        select(Membership.id).where(Membership.user_id == user_id, Membership.organisation_id == organisation_id)
    ).one()


def codes(body: dict) -> list[str | None]:
    """The `extensions.code` of each top-level error."""
    return [(error.get("extensions") or {}).get("code") for error in body.get("errors") or []]


class StatementCounter:
    """Counts the SQL statements the application's own engine sends."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        self._engine = engine
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._seen)


@pytest.fixture
def statements(client, app) -> Iterator[StatementCounter]:  # noqa: ANN001
    """SQL statements sent by the app behind `client` (its engine exists once the client started)."""
    counter = StatementCounter(app.state.engine.sync_engine)
    yield counter
    counter.close()


@contextmanager
def live_server(app) -> Iterator[str]:  # noqa: ANN001
    """`app` served by a real uvicorn server on a free port of 127.0.0.1; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
