"""/metrics in multiprocess mode: uvicorn with two worker processes and PROMETHEUS_MULTIPROC_DIR
set, as `coplab serve --workers 2` runs. Whichever process answers the scrape, it reports the
counts of both (docs/operations.md, "Metrics")."""

import os
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.operations.scraping import scrape, value
from tests.server import free_port, server_process
from tests.server import HTTP_TIMEOUT

pytestmark = pytest.mark.http

HEALTH = {"method": "GET", "route": "/health", "status_class": "2xx"}


@pytest.fixture
def workers(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Two uvicorn workers serving the app, counting in a directory of their own."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    port = free_port()
    environment = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "COPLAB_ENVIRONMENT": "test",
        "COPLAB_DATABASE_URL": database_url,
        "COPLAB_SEARCH_INDEXER_IN_PROCESS": "false",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app", "--workers", "2",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with server_process(command, environment, port=port) as (base, _):
        yield base, directory


def _health_by_process(directory: Path) -> Counter:
    """The /health requests each worker counted, read from its own files."""
    counts: Counter = Counter()
    for file in directory.glob("histogram_*.db"):
        pid = file.stem.rsplit("_", 1)[1]
        for metric in MultiProcessCollector.merge([str(file)], accumulate=True):
            for sample in metric.samples:
                if sample.name == "coplab_http_request_duration_seconds_count" and sample.labels == HEALTH:
                    counts[pid] += sample.value
    return counts


def test_two_workers_counts_are_added_up(workers: tuple[str, Path]) -> None:
    base, directory = workers
    before = value(scrape(base), "coplab_http_request_duration_seconds_count", **HEALTH)
    sent = 0
    # Requests on fresh connections, many at once, until both workers have served some.
    with ThreadPoolExecutor(max_workers=8) as pool:
        while sent < 400:
            statuses = list(pool.map(lambda _: httpx.get(f"{base}/health", timeout=HTTP_TIMEOUT).status_code, range(20)))
            assert statuses == [200] * 20
            sent += 20
            if len([n for n in _health_by_process(directory).values() if n > 0]) >= 2:
                break
    per_process = _health_by_process(directory)
    assert len([n for n in per_process.values() if n > 0]) == 2, per_process
    samples = scrape(base)
    total = value(samples, "coplab_http_request_duration_seconds_count", **HEALTH)
    assert total - before == sent
    assert total == sum(per_process.values())
    # Each worker's pool is counted once: two processes, SQLAlchemy's default of 5 connections each.
    assert value(samples, "coplab_db_pool_size", engine="api") == 2 * 5
    assert value(samples, "coplab_db_pool_checked_out", engine="api") == 0
