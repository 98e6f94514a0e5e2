"""Tokens never reach the logs (SECURITY.md 26): uvicorn's access log prints each request line with
its query string, so credential-bearing parameters are redacted in every server log record."""

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from uvicorn.logging import AccessFormatter

from api.core.log_redaction import REDACTED
from api.core.settings import Settings
from tests.server import free_port, running_server, wait_until_answering
from tests.server import HTTP_TIMEOUT

VIEWER = {"query": "{ viewer { kind } }"}
ONE_TIME_CODE = "one-time-code-4f1c9e"
# The test's own HTTP client logs the URLs it requests; it is not the server.
CLIENT_LOGGERS = ("httpx", "httpcore")


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(CLIENT_LOGGERS):
            self.records.append(record)


@contextmanager
def collected() -> Iterator[Collect]:
    """Every record the server's loggers emit, at every level: root and uvicorn's own loggers, which
    do not propagate. Attached after uvicorn configured its logging, which replaces handlers."""
    handler = Collect()
    loggers = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.access")]
    coplab = logging.getLogger("coplab")
    level = coplab.level
    for logger in loggers:
        logger.addHandler(handler)
    coplab.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        coplab.setLevel(level)


def _text(record: logging.LogRecord) -> str:
    """Everything of the record a handler could write."""
    rendered = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record) if (
        record.name == "uvicorn.access"
    ) else logging.Formatter().format(record)
    return "\n".join([rendered, str(record.msg), repr(record.args)])


def _token(base_url: str, client_id: str, secret: str) -> str:
    response = httpx.post(f"{base_url}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_a_token_in_the_query_string_is_logged_redacted(make, settings: Settings) -> None:  # noqa: ANN001
    client, secret = make.oauth_client(make.organisation("hotline"), ["initiatives:read"])
    with running_server(settings, log_level="info") as base_url, collected() as logs:
        token = _token(base_url, client.client_id, secret)
        # The token is valid, but not read from the query string: the caller stays anonymous.
        response = httpx.post(f"{base_url}/graphql?access_token={token}", json=VIEWER, timeout=HTTP_TIMEOUT)
        assert response.status_code == 200 and response.json()["data"]["viewer"]["kind"] == "anonymous"
        bearer = httpx.post(f"{base_url}/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT)
        assert bearer.json()["data"]["viewer"]["kind"] == "client"
        assert httpx.get(f"{base_url}/health?code={ONE_TIME_CODE}&state=kept", timeout=HTTP_TIMEOUT).status_code == 200
        refused = httpx.post(f"{base_url}/graphql?token={token}", json=VIEWER, headers={"Authorization": "Bearer x.y.z"}, timeout=HTTP_TIMEOUT)
        assert refused.status_code == 401  # logged by coplab too ("rejected bearer token")

    texts = [_text(record) for record in logs.records]
    access = [text for record, text in zip(logs.records, texts, strict=True) if record.name == "uvicorn.access"]
    # The requests were logged…
    assert any('"POST /oauth/token HTTP/1.1" 200' in text for text in access), access
    assert any('"POST /graphql?access_token=' in text for text in access), access
    assert any(record.name.startswith("coplab") for record in logs.records)
    # …with no credential in any record…
    for credential in (token, secret, ONE_TIME_CODE):
        assert not [text for text in texts if credential in text]
    # …and what they were is still readable.
    assert any(f'"POST /graphql?access_token={REDACTED} HTTP/1.1" 200' in text for text in access), access
    assert any(f'"GET /health?code={REDACTED}&state=kept HTTP/1.1" 200' in text for text in access), access
    assert any(f'"POST /graphql?token={REDACTED} HTTP/1.1" 401' in text for text in access), access


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, subprocess.Popen]]:
    """`coplab serve` in a process of its own, on the test database; its output is what an operator sees."""
    port = free_port()
    env = {**os.environ, "COPLAB_DATABASE_URL": settings.database_url, "COPLAB_ENVIRONMENT": "test", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--no-prepare", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(process, base_url)
        yield base_url, process
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_coplab_serve_writes_no_token_to_its_output(make, served) -> None:  # noqa: ANN001
    base_url, process = served
    client, secret = make.oauth_client(make.organisation("ngo"), ["initiatives:read"])
    token = _token(base_url, client.client_id, secret)
    assert httpx.post(f"{base_url}/graphql?access_token={token}", json=VIEWER, timeout=HTTP_TIMEOUT).status_code == 200
    process.terminate()
    output, _ = process.communicate(timeout=15)
    assert "POST /oauth/token HTTP/1.1" in output and "POST /graphql?access_token=" in output, output
    assert token not in output and secret not in output
    assert f"POST /graphql?access_token={REDACTED} HTTP/1.1" in output


def test_issued_tokens_stay_out_of_the_log_even_with_everything_at_debug(make, settings: Settings) -> None:  # noqa: ANN001
    """Authlib logs each token it issues at DEBUG; an operator turning DEBUG on for every logger
    must still not get them."""
    client, secret = make.oauth_client(make.organisation("hotline"), ["initiatives:read"])
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        with running_server(settings) as base_url, collected() as logs:
            token = _token(base_url, client.client_id, secret)
    finally:
        root.setLevel(level)
    assert not [r for r in logs.records if token in _text(r) or token[-20:] in _text(r)]
