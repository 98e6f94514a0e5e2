"""`GET /exports/` and `/exports/{file}` on a real server: the public export only, with ETags."""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from api.organisations.models import Organisation
from api.core.settings import Settings
from tests.exports.registry import build
from tests.server import HTTP_TIMEOUT, running_server

NEVER_STALE = 10**9


@contextmanager
def _server(settings: Settings, max_age: int) -> Iterator[str]:
    served = Settings(
        environment="test",
        database_url=settings.database_url,
        data_dir=Path("/nonexistent"),
        exports_max_age_seconds=max_age,
    )
    with running_server(served) as base_url:
        yield base_url


def _get(url: str, **options: object) -> httpx.Response:
    # The first request after the export went stale writes it from the whole registry: on a loaded
    # machine that has taken longer than httpx's default 5 s.
    return httpx.get(url, timeout=HTTP_TIMEOUT, **options)


def _initiative_ids(base_url: str) -> set[int]:
    response = _get(f"{base_url}/exports/initiatives.jsonl")
    assert response.status_code == 200, response.text
    return {json.loads(line)["id"] for line in response.text.splitlines()}


def test_the_manifest_and_the_files_of_the_public_export(settings, make, db) -> None:  # noqa: ANN001
    registry = build(make, db)
    with _server(settings, NEVER_STALE) as base_url:
        index = _get(f"{base_url}/exports/")
        assert index.status_code == 200 and index.headers["content-type"] == "application/json"
        listed = index.json()
        assert listed["scope"] == "public" and "seed_records" not in listed["entities"]
        assert listed["entities"]["initiatives"]["rows"] == len(registry.public_initiatives)

        csv_file = _get(f"{base_url}/exports/organisations.csv")
        assert csv_file.status_code == 200
        assert csv_file.headers["content-type"] == "text/csv; charset=utf-8"
        assert csv_file.headers["content-disposition"] == 'attachment; filename="organisations.csv"'
        digest = listed["entities"]["organisations"]["files"]["organisations.csv"]["sha256"]
        assert hashlib.sha256(csv_file.content).hexdigest() == digest
        assert csv_file.headers["etag"] == f'"{digest}"'
        assert csv_file.text.startswith("id,slug,name,")

        jsonl = _get(f"{base_url}/exports/initiatives.jsonl")
        assert jsonl.headers["content-type"] == "application/x-ndjson"
        assert jsonl.headers["content-disposition"] == 'attachment; filename="initiatives.jsonl"'
        assert {json.loads(line)["id"] for line in jsonl.text.splitlines()} == registry.public_initiatives

        manifest_file = _get(f"{base_url}/exports/manifest.json")
        assert manifest_file.headers["content-type"] == "application/json"
        assert manifest_file.json() == listed


def test_an_unchanged_file_is_not_sent_again(settings, make, db) -> None:  # noqa: ANN001
    build(make, db)
    with _server(settings, NEVER_STALE) as base_url:
        first = _get(f"{base_url}/exports/findings.csv")
        etag = first.headers["etag"]
        again = _get(f"{base_url}/exports/findings.csv", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        other = _get(f"{base_url}/exports/findings.csv", headers={"If-None-Match": '"0000"'})
        assert other.status_code == 200 and other.content == first.content
        index = _get(f"{base_url}/exports/")
        assert _get(f"{base_url}/exports/", headers={"If-None-Match": index.headers["etag"]}).status_code == 304


def test_only_files_of_the_public_export_are_served(settings, make, db) -> None:  # noqa: ANN001
    build(make, db)
    with _server(settings, NEVER_STALE) as base_url:
        for name in ("seed_records.jsonl", "seed_records.csv", "users.csv", "coplab.db", "..%2Fmanifest.json"):
            assert _get(f"{base_url}/exports/{name}").status_code == 404, name


def test_records_hidden_before_the_first_request_are_absent(settings, make, db) -> None:  # noqa: ANN001
    registry = build(make, db)
    secret = make.initiative(db.get(Organisation, registry.hotline), "Created just before", visibility="ORGANISATION")
    with _server(settings, NEVER_STALE) as base_url:
        ids = _initiative_ids(base_url)
    assert secret.id not in ids and ids == registry.public_initiatives


def test_a_change_to_the_registry_is_served_at_the_next_request(settings, make, db) -> None:  # noqa: ANN001
    """However long the export may be kept, a change moves the data version and it is written again."""
    registry = build(make, db)
    lead = make.organisation("late-member")
    with _server(settings, NEVER_STALE) as base_url:
        assert _initiative_ids(base_url) == registry.public_initiatives
        before = _get(f"{base_url}/exports/initiatives.jsonl").headers["etag"]
        added = make.initiative(lead, "Added while the export is fresh")
        assert added.id in _initiative_ids(base_url)
        again = _get(f"{base_url}/exports/initiatives.jsonl", headers={"If-None-Match": before})
        assert again.status_code == 200 and again.headers["etag"] != before


def test_the_export_is_written_again_once_stale(settings, make, db) -> None:  # noqa: ANN001
    build(make, db)
    lead = make.organisation("late-member")
    with _server(settings, 0) as base_url:
        kept = make.initiative(lead, "Added before a request")
        assert kept.id in _initiative_ids(base_url)
        added = make.initiative(lead, "Added after a request")
        assert added.id in _initiative_ids(base_url)
