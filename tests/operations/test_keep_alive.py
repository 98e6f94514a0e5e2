"""Idle keep-alive connections stay open for COPLAB_KEEP_ALIVE_SECONDS (docs/operations.md, Settings):
above a proxy's idle timeout, so the server does not close a connection just as the proxy reuses it."""

import http.client
import time

import pytest

from tests.operations.serving import coplab_serve

pytestmark = pytest.mark.http


def _still_open_after(base_url: str, seconds: float) -> bool:
    """One keep-alive request, `seconds` idle, then another on the same connection: whether it was
    answered (False: the server had closed the connection)."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", "/livez")
        first = connection.getresponse()
        assert first.status == 200 and first.read() == b'{"status":"ok"}'
        time.sleep(seconds)
        connection.auto_open = False  # reuse this connection or fail; never open another
        try:
            connection.request("GET", "/livez")
            return connection.getresponse().status == 200
        except (http.client.RemoteDisconnected, http.client.NotConnected, ConnectionError):
            return False
    finally:
        connection.close()


def test_an_idle_connection_is_closed_after_the_setting_and_kept_before(database_url: str, tmp_path) -> None:  # noqa: ANN001
    with coplab_serve(database_url, tmp_path, COPLAB_KEEP_ALIVE_SECONDS="1") as served:
        assert not _still_open_after(served.base_url, 2.5)
    with coplab_serve(database_url, tmp_path) as served:  # the default, 75 s
        assert _still_open_after(served.base_url, 6)  # uvicorn's own default is 5 s
