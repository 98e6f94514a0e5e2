"""A serving process freezes its startup heap; the test process, which builds many apps, does not."""

import gc
import json
import subprocess
import sys

from api.core.settings import PROJECT_ROOT

SERVE_ONCE = """
import gc, json, sys
from pathlib import Path
from fastapi.testclient import TestClient
from api.main import create_app
from api.core.settings import Settings
settings = Settings(environment=sys.argv[1], database_url=sys.argv[2], data_dir=Path(sys.argv[3]))
before = (gc.get_freeze_count(), gc.get_threshold()[0])
with TestClient(create_app(settings)) as client:
    assert client.get("/health").status_code == 200
    print(json.dumps({"before": before, "after": [gc.get_freeze_count(), gc.get_threshold()[0]]}))
"""


def _serve_once(environment: str, tmp_path) -> dict:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'gc.db'}"
    subprocess.run(
        [sys.executable, "-m", "api.cli", "db", "upgrade"],
        cwd=PROJECT_ROOT, env={"COPLAB_DATABASE_URL": url, "PATH": ""}, check=True, capture_output=True,
    )
    done = subprocess.run(
        [sys.executable, "-c", SERVE_ONCE, environment, url, str(tmp_path)],
        cwd=PROJECT_ROOT, check=True, capture_output=True, text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_serving_process_freezes_its_startup_heap(tmp_path) -> None:  # noqa: ANN001
    state = _serve_once("development", tmp_path)
    assert state["before"][0] == 0  # nothing frozen before the app starts
    frozen, young_threshold = state["after"]
    assert frozen > 10_000  # modules, schema and ORM mappers
    assert young_threshold == 5000


def test_the_test_environment_leaves_collection_alone(tmp_path) -> None:  # noqa: ANN001
    state = _serve_once("test", tmp_path)
    assert state["after"] == state["before"]
    assert state["after"][0] == 0


def test_this_test_process_is_not_tuned(client) -> None:  # noqa: ANN001
    assert gc.get_freeze_count() == 0
    assert client.get("/health").status_code == 200
    assert gc.get_freeze_count() == 0
