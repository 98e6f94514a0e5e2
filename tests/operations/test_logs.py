"""The server's log output (docs/operations.md, Logs): one JSON object per line, with the request id
(the client's X-Request-ID when well-formed) and the acting organisation, coplab's own INFO lines
among them, and secrets redacted; read from a real `coplab serve` process's output."""

import json
import logging
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from api.core.log_redaction import REDACTED
from api.core.logs import JsonFormatter, RequestContext, request_id_var
from api.core.settings import LogFormat, Settings
from tests.factories import TEST_KEY_ENCRYPTION_KEY
from tests.operations.serving import client_token, coplab_serve
from tests.server import HTTP_TIMEOUT

pytestmark = pytest.mark.http

FIELDS = {"time", "level", "logger", "message", "request_id", "organisation", "pid"}
VIEWER = {"query": "{ viewer { kind } }"}
FRESH_ID = re.compile(r"[0-9a-f]{32}")


def _access_lines(lines: list[dict], fragment: str) -> list[dict]:
    return [line for line in lines if line["logger"] == "uvicorn.access" and fragment in line["message"]]


def test_every_line_is_json_with_the_request_id_and_organisation(make, database_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    organisation = make.organisation("hotline")
    client, secret = make.oauth_client(organisation, ["initiatives:read"])
    with coplab_serve(database_url, tmp_path) as served:
        token = client_token(served.base_url, client.client_id, secret)
        answer = httpx.post(
            f"{served.base_url}/graphql?mark=one",
            json=VIEWER,
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "abc-123"}, timeout=HTTP_TIMEOUT
        )
        assert answer.status_code == 200 and answer.json()["data"]["viewer"]["kind"] == "client"
        assert answer.headers["x-request-id"] == "abc-123"
        # A rejected token is logged by coplab at INFO, inside the request.
        refused = httpx.post(
            f"{served.base_url}/graphql?mark=two", json=VIEWER, headers={"Authorization": "Bearer x.y.z", "X-Request-ID": "r:2.b_c"}, timeout=HTTP_TIMEOUT
        )
        assert refused.status_code == 401 and refused.headers["x-request-id"] == "r:2.b_c"
        served.stop()
        lines = served.json_lines()  # fails on any line that is not JSON

    for line in lines:
        assert FIELDS <= set(line), line
        stamp = datetime.fromisoformat(line["time"])
        assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0, line
        assert line["level"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
    # uvicorn's access line carries the id the client sent and the organisation it acted for.
    [first] = _access_lines(lines, "POST /graphql?mark=one")
    assert first["request_id"] == "abc-123" and first["organisation"] == organisation.id, first
    assert first["level"] == "INFO"
    # coplab's own INFO lines appear: at startup, outside any request…
    startup = [line for line in lines if line["logger"] == "coplab" and line["message"].startswith("issuer ")]
    assert startup and startup[0]["level"] == "INFO" and startup[0]["request_id"] is None, startup
    # …and within one, with its id; the principal is not known, so no organisation.
    [rejected] = [line for line in lines if line["message"].startswith("rejected bearer token")]
    assert rejected["logger"] == "coplab" and rejected["level"] == "INFO"
    assert rejected["request_id"] == "r:2.b_c" and rejected["organisation"] is None, rejected
    [second] = _access_lines(lines, "POST /graphql?mark=two")
    assert second["request_id"] == "r:2.b_c" and second["organisation"] is None
    # Lines of other requests carry their own ids, never another's.
    [token_line] = _access_lines(lines, "POST /oauth/token")
    assert FRESH_ID.fullmatch(token_line["request_id"]), token_line


@pytest.mark.parametrize(
    "incoming",
    ["abc 123", "x" * 129, "x" * 300, 'abc"}, {"level": "ERROR', "ab\u00e9", ""],
    ids=["space", "129-chars", "300-chars", "quotes", "non-ascii", "empty"],
)
def test_a_malformed_request_id_is_replaced(incoming: str, database_url: str, tmp_path: Path) -> None:
    with coplab_serve(database_url, tmp_path) as served:
        answer = httpx.get(f"{served.base_url}/livez?mark=malformed", headers={"X-Request-ID": incoming.encode()}, timeout=HTTP_TIMEOUT)
        assert answer.status_code == 200
        fresh = answer.headers["x-request-id"]
        assert FRESH_ID.fullmatch(fresh) and fresh != incoming
        served.stop()
        lines = served.json_lines()
    [access] = _access_lines(lines, "GET /livez?mark=malformed")
    assert access["request_id"] == fresh
    if incoming:
        assert incoming not in served.output()


def test_the_longest_well_formed_request_id_is_kept(database_url: str, tmp_path: Path) -> None:
    longest = "A-z.0:9_" * 16  # 128 characters
    with coplab_serve(database_url, tmp_path) as served:
        answer = httpx.get(f"{served.base_url}/livez", headers={"X-Request-ID": longest}, timeout=HTTP_TIMEOUT)
        assert answer.headers["x-request-id"] == longest
        served.stop()
        [access] = _access_lines(served.json_lines(), "GET /livez")
    assert access["request_id"] == longest


def test_secrets_in_logged_messages_stay_redacted(make, database_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    client, secret = make.oauth_client(make.organisation("ngo"), ["initiatives:read"])
    password = "correct-horse-battery-staple"
    with coplab_serve(database_url, tmp_path) as served:
        token = client_token(served.base_url, client.client_id, secret)
        httpx.post(f"{served.base_url}/graphql?access_token={token}&password={password}&kept=yes", json=VIEWER, timeout=HTTP_TIMEOUT)
        served.stop()
        output = served.output()
        lines = served.json_lines()
    assert token not in output and secret not in output and password not in output
    [access] = _access_lines(lines, "POST /graphql?")
    assert f"access_token={REDACTED}&password={REDACTED}&kept=yes" in access["message"], access


def test_text_format_and_level_are_settings(database_url: str, tmp_path: Path) -> None:
    with coplab_serve(database_url, tmp_path, COPLAB_LOG_FORMAT="text") as served:
        httpx.get(f"{served.base_url}/livez", headers={"X-Request-ID": "text-1"}, timeout=HTTP_TIMEOUT)
        served.stop()
        text = served.output()
    [access] = [line for line in text.splitlines() if "GET /livez HTTP/1.1" in line]
    assert not access.startswith("{") and " INFO " in access and "uvicorn.access" in access
    assert "[request_id=text-1]" in access, access
    assert re.search(r"coplab \[request_id=-\] issuer http://", text), text

    with coplab_serve(database_url, tmp_path, COPLAB_LOG_LEVEL="warning") as served:
        httpx.get(f"{served.base_url}/livez", timeout=HTTP_TIMEOUT)
        served.stop()
        quiet = served.output()
    assert "GET /livez" not in quiet and "issuer " not in quiet  # INFO lines are below the level


def test_log_settings_defaults_and_validation() -> None:
    assert Settings(environment="development").log_format is LogFormat.TEXT
    assert Settings(environment="test").log_format is LogFormat.JSON
    production = {"issuer": "https://registry.example.org", "key_encryption_keys": [TEST_KEY_ENCRYPTION_KEY]}
    assert Settings(environment="production", **production).log_format is LogFormat.JSON
    assert Settings(environment="development", log_format="json").log_format is LogFormat.JSON
    assert Settings(log_level="debug").log_level == "DEBUG"
    with pytest.raises(ValidationError, match="COPLAB_LOG_LEVEL"):
        Settings(log_level="chatty")
    with pytest.raises(ValidationError):
        Settings(log_format="xml")


def test_a_record_with_a_traceback_keeps_it_in_one_json_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("coplab", logging.ERROR, __file__, 1, "unexpected error, request id %s", ("r-1",), sys.exc_info())
    token = request_id_var.set("r-1")
    try:
        RequestContext().filter(record)
    finally:
        request_id_var.reset(token)
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "unexpected error, request id r-1" and line["request_id"] == "r-1"
    assert line["level"] == "ERROR" and 'raise ValueError("boom")' in line["exception"]
