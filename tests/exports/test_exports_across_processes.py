"""Every process serving one database serves the same public export (docs/exports.md, Over HTTP):
two `coplab serve` processes answer identical bytes and ETags for every file, a conditional GET
with one's ETag gets 304 from the other, and after a write both serve the same new export."""

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from api.organisations.models import Organisation
from tests.exports.registry import build
from tests.server import coplab_environment, coplab_serve
from tests.server import HTTP_TIMEOUT


@pytest.fixture
def servers(database_url: str) -> Iterator[list[str]]:
    """Two API processes on the test database, each keeping its export as long as the default allows."""
    with ExitStack() as stack:
        yield [stack.enter_context(coplab_serve(coplab_environment(database_url))) for _ in range(2)]


def _get(url: str, **options: object) -> httpx.Response:
    return httpx.get(url, timeout=HTTP_TIMEOUT, **options)  # writing the export on a loaded machine takes a while


def _same_from_both(servers: list[str], path: str) -> httpx.Response:
    """GET `path` from both servers: the same bytes and the same ETag; one answer."""
    first, second = (_get(f"{base_url}{path}") for base_url in servers)
    assert first.status_code == second.status_code == 200, (path, first.text, second.text)
    assert first.content == second.content, path
    assert first.headers["etag"] == second.headers["etag"], path
    return first


def _file_names(manifest: dict) -> list[str]:
    return ["manifest.json", *(name for entity in manifest["entities"].values() for name in entity["files"])]


def test_two_processes_serve_the_same_export_and_agree_after_a_write(servers, make, db) -> None:  # noqa: ANN001
    registry = build(make, db)
    index = _same_from_both(servers, "/exports/")
    assert index.json()["generated_at"] is not None  # dated by the data, not by the process that wrote it
    names = _file_names(index.json())
    assert "initiatives.jsonl" in names and "organisations.csv" in names
    etags = {name: _same_from_both(servers, f"/exports/{name}").headers["etag"] for name in names}

    for name, etag in etags.items():  # a mirror that asked one process may ask the other
        for base_url in servers:
            unchanged = _get(f"{base_url}/exports/{name}", headers={"If-None-Match": etag})
            assert unchanged.status_code == 304 and unchanged.content == b"", (name, base_url)
    assert _get(f"{servers[1]}/exports/", headers={"If-None-Match": index.headers["etag"]}).status_code == 304

    added = make.initiative(db.get(Organisation, registry.hotline), "Added while both servers run")
    new_index = _same_from_both(servers, "/exports/")
    assert new_index.headers["etag"] != index.headers["etag"]
    initiatives = _same_from_both(servers, "/exports/initiatives.jsonl")
    assert initiatives.headers["etag"] != etags["initiatives.jsonl"]
    assert f'"id":{added.id},' in initiatives.text
    for base_url in servers:
        stale = _get(f"{base_url}/exports/initiatives.jsonl", headers={"If-None-Match": etags["initiatives.jsonl"]})
        assert stale.status_code == 200 and stale.headers["etag"] == initiatives.headers["etag"]
    unchanged = _same_from_both(servers, "/exports/findings.csv")  # what the write did not touch keeps its ETag
    assert unchanged.headers["etag"] == etags["findings.csv"]
