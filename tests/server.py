"""A real uvicorn server on 127.0.0.1, in a background thread, for tests about HTTP."""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
import tempfile
from contextlib import ExitStack, contextmanager
from typing import IO, Any
from pathlib import Path

import httpx
import uvicorn

from api.main import create_app
from api.core.settings import Settings


# How long a test's HTTP client waits for an answer. httpx's 5 s default is shorter than a real
# server on a CI machine running two test processes and a database sometimes needs; a slow answer
# is not what these tests are about, so it must never fail them.
HTTP_TIMEOUT = 60

COPLAB = shutil.which("coplab", path=str(Path(sys.executable).parent))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(settings: Settings, *, log_level: str = "warning", app: Any = None, port: int | None = None) -> Iterator[str]:  # noqa: ANN401
    """Serve the app for `settings` (or `app`, made by the test); yields its base URL and stops it
    afterwards. `log_level="info"` turns on uvicorn's access log, as `coplab serve` runs. `port`:
    one the test chose beforehand (to name the server in its settings, as its issuer), else a free one."""
    port = port or free_port()
    app = app if app is not None else create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_until_answering(
    process: subprocess.Popen, base_url: str, *, timeout: float = 120, output: IO[bytes] | None = None
) -> None:
    """Return once the server process at `base_url` answers /health; a loaded machine starts it
    slowly. If it dies or takes longer, it is killed and its output (piped, or the file `output`)
    goes in the error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()  # else reading its output waits for an end that never comes
            process.wait()
            readable = output is not None and output.readable()  # a caller's log file may be write-only
            if readable:
                output.seek(0)
            source = output if readable else process.stderr or process.stdout
            said = source.read() if source else ""
            said = said.decode() if isinstance(said, bytes) else said
            raise RuntimeError(f"the server did not start: {said[-2000:]}")
        time.sleep(0.1)


@contextmanager
def server_process(
    command: list[str], env: dict[str, str], *, port: int, output: IO[bytes] | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """A server command (`coplab serve …`) in a process of its own, listening on `port`: yields its
    base URL and the process once it answers (its standard error shown if it fails to start), and
    stops it afterwards. With `output` (a file), everything the server prints goes there instead,
    for a test that reads the server's log."""
    with ExitStack() as stack:
        if output is None:
            # A file, not a pipe: nobody reads a pipe while the server runs, and a full one (64 KB of
            # log lines) would stop the server at its next line.
            output = stack.enter_context(tempfile.TemporaryFile())
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        with _stopped_after(process):
            wait_until_answering(process, f"http://127.0.0.1:{port}", output=output)
            yield f"http://127.0.0.1:{port}", process


@contextmanager
def _stopped_after(process: subprocess.Popen) -> Iterator[None]:
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def coplab_environment(database_url: str, **values: str) -> dict[str, str]:
    """The environment of a user who has set nothing but the database (and `values`)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("COPLAB_")}
    return {**inherited, "COPLAB_DATABASE_URL": database_url, **values}


@contextmanager
def coplab_serve(env: dict[str, str], *args: str) -> Iterator[str]:
    """`coplab serve ARGS` in its own process until it answers; yields its base URL."""
    port = free_port()
    assert port != 8000
    with server_process([COPLAB, "serve", "--no-seed", "--port", str(port), *args], env, port=port) as (base, _):
        yield base
