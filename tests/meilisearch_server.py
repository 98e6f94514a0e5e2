"""A live Meilisearch server for the tests that need one, found or started, never built.

In order:
1. `COPLAB_TEST_MEILISEARCH_URL` (with `COPLAB_TEST_MEILISEARCH_KEY`, its master key): that server;
2. a `meilisearch` binary named by `COPLAB_TEST_MEILISEARCH_BIN`, or on PATH: started once per test
   session on a free 127.0.0.1 port with a temporary database directory and a random master key,
   and stopped afterwards;
3. neither: the tests that need a server skip, with the reason.

Tests share the server, never an index: each one uses an index uid of its own.
"""

import os
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.core.settings import Settings
from api.search.record_schemas import SCHEMAS, index_uid as record_index_uid
from tests.server import free_port

URL_VARIABLE = "COPLAB_TEST_MEILISEARCH_URL"
KEY_VARIABLE = "COPLAB_TEST_MEILISEARCH_KEY"
BIN_VARIABLE = "COPLAB_TEST_MEILISEARCH_BIN"
NO_MEILISEARCH = (
    f"no Meilisearch server: set {URL_VARIABLE} (and {KEY_VARIABLE}), "
    f"or put a meilisearch binary on PATH (or name it in {BIN_VARIABLE})"
)
# The actions of coplab's API key in production (docs/search.md), so the tests prove they suffice.
API_KEY_ACTIONS = ["documents.*", "indexes.*", "settings.*", "tasks.get", "search"]
START_SECONDS = 60  # a loaded two-core machine has been seen to need more than 30
STOP_SECONDS = 10


@dataclass
class MeilisearchServer:
    """A server the tests may use: its URL and master key (None for a server without one)."""

    url: str
    master_key: str | None
    version: str
    # Set for a server this module started, so that a test may stop and restart it.
    process: subprocess.Popen | None = None
    binary: str | None = None
    db_path: Path | None = None
    log: Path | None = None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.master_key}"} if self.master_key else {}

    def index_uid(self, purpose: str) -> str:
        """A fresh index uid, so no two tests see each other's documents."""
        return f"coplab_{purpose}_{uuid.uuid4().hex[:12]}"

    def delete_indexes(self, prefix: str) -> None:
        """Delete every index whose uid starts with `prefix` (a test's index and its shadow)."""
        with httpx.Client(base_url=self.url, headers=self.headers(), timeout=10) as client:
            for index in client.get("/indexes", params={"limit": 1000}).json()["results"]:
                if index["uid"].startswith(prefix):
                    task = client.delete(f"/indexes/{index['uid']}").json()["taskUid"]
                    _wait_for_task(client, task)

    def create_search_key(self, index_uid: str) -> tuple[str, str]:
        """A search-only API key for the initiatives index `index_uid` and its evidence and best-practice
        indexes, as docs/search.md tells operators to make it, made with the master key: (key, uid)."""
        return self.create_key(["search"], [index_uid, *(record_index_uid(index_uid, kind) for kind in SCHEMAS)])

    def create_api_key(self) -> tuple[str, str]:
        """The key coplab's processes use, as docs/search.md tells operators to make it: (key, uid).
        Every index: the rebuild must see its index-swap task, which belongs to no index."""
        return self.create_key(API_KEY_ACTIONS, ["*"])

    def create_key(self, actions: list[str], indexes: list[str]) -> tuple[str, str]:
        body = {"actions": actions, "indexes": indexes, "expiresAt": None, "description": "coplab tests"}
        answer = httpx.post(f"{self.url}/keys", json=body, headers=self.headers(), timeout=10)
        answer.raise_for_status()
        return answer.json()["key"], answer.json()["uid"]

    # For a server this module started: the engine going away and coming back.

    def stop(self) -> None:
        if self.process is None:
            raise RuntimeError("this server was not started by the tests; it cannot be stopped")
        _stop(self.process)

    def restart(self) -> None:
        """Start the stopped server again on the same port and database directory."""
        if self.process is None or self.process.poll() is None:
            raise RuntimeError("restart() needs a server this module started, and stopped")
        assert self.binary and self.db_path and self.log and self.master_key
        self.process = _launch(self.binary, self.url, self.db_path, self.master_key, self.log)
        _wait_until_healthy(self.url, self.process, self.log)


def no_server_reason() -> str:
    """Why there is no server to test against, in one line."""
    named = os.environ.get(BIN_VARIABLE)
    if named and not Path(named).is_file():
        return f"{BIN_VARIABLE}={named} is not a file: no Meilisearch server to test against"
    return NO_MEILISEARCH


@contextmanager
def on_meilisearch(settings: Settings, server: MeilisearchServer, purpose: str = "app") -> Iterator[Settings]:
    """`settings` for the app on `server`, with an index of its own (deleted afterwards), an API key
    limited to it as operators make one, and a search key for it (to sign tenant tokens)."""
    uid = server.index_uid(purpose)
    search_key, search_key_uid = server.create_search_key(uid)
    api_key, api_key_uid = server.create_api_key()
    try:
        yield settings.model_copy(
            update={
                "meilisearch_url": server.url,
                "meilisearch_api_key": api_key,
                "search_index_uid": uid,
                "meilisearch_search_key": search_key,
                "meilisearch_search_key_uid": search_key_uid,
                "search_poll_seconds": 0.05,
            }
        )
    finally:
        server.delete_indexes(prefix=uid)
        for key_uid in (search_key_uid, api_key_uid):
            httpx.delete(f"{server.url}/keys/{key_uid}", headers=server.headers(), timeout=10)


def find_binary() -> str | None:
    named = os.environ.get(BIN_VARIABLE)
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("meilisearch")


def server_version(url: str, master_key: str | None) -> str:
    headers = {"Authorization": f"Bearer {master_key}"} if master_key else {}
    return httpx.get(f"{url}/version", headers=headers, timeout=10).json()["pkgVersion"]


@contextmanager
def find_or_start_meilisearch() -> Iterator[MeilisearchServer | None]:
    """The configured server, one started from a binary, or None (`no_server_reason()` says why)."""
    url = os.environ.get(URL_VARIABLE)
    if url:
        key = os.environ.get(KEY_VARIABLE)
        yield MeilisearchServer(url.rstrip("/"), key, server_version(url, key))
        return
    binary = find_binary()
    if binary is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="coplab-meilisearch-") as directory:
        url = f"http://127.0.0.1:{free_port()}"
        # Meilisearch needs at least 16 bytes. Given as --master-key=KEY: a key starting with "-" (one in
        # 64 of these) would otherwise be read as an option.
        master_key = secrets.token_urlsafe(32)
        db_path, log = Path(directory) / "data.ms", Path(directory) / "meilisearch.log"
        process = _launch(binary, url, db_path, master_key, log)
        server = MeilisearchServer(url, master_key, "", process, binary, db_path, log)
        try:
            _wait_until_healthy(url, process, log)
            server.version = server_version(url, master_key)
            yield server
        finally:
            if server.process is not None and server.process.poll() is None:
                _stop(server.process)


def _launch(binary: str, url: str, db_path: Path, master_key: str, log: Path) -> subprocess.Popen:
    address = url.removeprefix("http://")
    with log.open("ab") as output:
        return subprocess.Popen(
            [binary, "--db-path", str(db_path), "--http-addr", address, f"--master-key={master_key}",
             "--no-analytics", "--env", "development"],
            stdout=output, stderr=subprocess.STDOUT, cwd=db_path.parent,
        )


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"meilisearch exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).json().get("status") == "available":
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    _stop(process)
    raise RuntimeError(f"meilisearch did not answer /health within {START_SECONDS} s:\n{log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_for_task(client: httpx.Client, task_uid: int) -> None:
    deadline = time.monotonic() + 30
    while client.get(f"/tasks/{task_uid}").json()["status"] in {"enqueued", "processing"}:
        if time.monotonic() > deadline:
            raise TimeoutError(f"Meilisearch task {task_uid} did not finish")
        time.sleep(0.05)
