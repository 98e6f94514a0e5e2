"""`coplab serve` in a process of its own, its whole output (standard output and error) kept in a file."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.server import free_port, wait_until_answering
from tests.server import HTTP_TIMEOUT


@dataclass
class Served:
    base_url: str
    process: subprocess.Popen
    output_file: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        """Everything the server wrote so far (all of it, once stopped)."""
        return self.output_file.read_text()

    def json_lines(self) -> list[dict]:
        """Each line of the output as JSON (failing on a line that is not)."""
        return [json.loads(line) for line in self.output().splitlines() if line.strip()]


def client_token(base_url: str, client_id: str, secret: str) -> str:
    """An access token from the server's own token endpoint (client credentials): its issuer is the
    server's address, which a token minted in the test process would not name."""
    response = httpx.post(f"{base_url}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@contextmanager
def coplab_serve(database_url: str, tmp_path: Path, **env: str) -> Iterator[Served]:
    """`coplab serve --no-prepare --no-seed` on `database_url` (as it is: never migrated here), in
    the test environment, with `env` as further COPLAB_ settings."""
    port = free_port()
    environment = {
        **os.environ,
        "COPLAB_DATABASE_URL": database_url,
        "COPLAB_ENVIRONMENT": "test",
        "COPLAB_DATA_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    output_file = tmp_path / f"serve-{port}.log"
    with output_file.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--no-prepare", "--no-seed", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", process, output_file)
    try:
        try:
            wait_until_answering(process, served.base_url)
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{served.output()[-3000:]}") from None
        yield served
    finally:
        served.stop()
