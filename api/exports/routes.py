"""`GET /exports/` (the manifest) and `GET /exports/{file}`: the public export over HTTP.

The server writes the public export on the first request, and again when the registry's data
version has changed (or the export is older than COPLAB_EXPORTS_MAX_AGE_SECONDS), one writing at a
time, into a temporary directory of its own. Its bytes, and so its ETags, are a function of the
data alone: every process serving one database answers the same (docs/exports.md). Only the public
scope is ever served.
"""

import asyncio
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from api.exports.entities import Scope
from api.exports.formats import sha256_of
from api.exports.writer import MANIFEST, data_version, write_export
from api.core.settings import Settings

MEDIA_TYPES = {".jsonl": "application/x-ndjson", ".csv": "text/csv; charset=utf-8", ".json": "application/json"}
# Clients may keep a copy but ask again each time; the ETag makes asking again cheap.
CACHE_CONTROL = "no-cache"


@dataclass(frozen=True)
class Generation:
    """One written public export: its directory, its manifest, the ETag of each file by name, and
    the data version it was written at (or after)."""

    directory: Path
    manifest: bytes
    etags: dict[str, str]
    version: str
    written_at: float  # time.monotonic()


class PublicExport:
    """The public export this server serves, written again when the data version changes, and
    when older than `max_age_seconds` in any case."""

    def __init__(self, *, max_age_seconds: float) -> None:
        self.max_age_seconds = max_age_seconds
        self._lock = asyncio.Lock()
        self._root: Path | None = None
        self._count = 0
        self._generations: list[Generation] = []

    def _fresh(self, version: str) -> Generation | None:
        current = self._generations[-1] if self._generations else None
        if (
            current is not None
            and current.version == version
            and time.monotonic() - current.written_at < self.max_age_seconds
        ):
            return current
        return None

    async def current(self, engine: sa.Engine) -> Generation:
        """The export of the data as it is now, written first when this process has none."""
        version = await asyncio.to_thread(_version, engine)
        if (fresh := self._fresh(version)) is not None:
            return fresh
        async with self._lock:
            # Requests that waited here get the export the first of them wrote.
            if (fresh := self._fresh(version)) is not None:
                return fresh
            generation = await asyncio.to_thread(self._write, engine, version)
            self._generations.append(generation)
            self._retire()
            return generation

    def _write(self, engine: sa.Engine, version: str) -> Generation:
        """Write the export. Its snapshot starts after `version` was read, so it holds at least
        that data; a write in between only makes the next request write it again."""
        self._count += 1
        directory = self._directory() / str(self._count)
        write_export(engine=engine, directory=directory, scope=Scope.PUBLIC, dated_by_data=True)
        etags = {path.name: sha256_of(path) for path in directory.iterdir()}
        return Generation(directory, (directory / MANIFEST).read_bytes(), etags, version, time.monotonic())

    def _directory(self) -> Path:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="coplab-exports-"))
            weakref.finalize(self, shutil.rmtree, self._root, ignore_errors=True)
        return self._root

    def _retire(self) -> None:
        """Keep the previous export too: a download that started from it is still being sent."""
        while len(self._generations) > 2:
            shutil.rmtree(self._generations.pop(0).directory, ignore_errors=True)


def _version(engine: sa.Engine) -> str:
    with engine.connect() as connection:
        return data_version(connection, Scope.PUBLIC)


def _etag(digest: str) -> str:
    return f'"{digest}"'


def _not_modified(request: Request, etag: str) -> bool:
    """Whether If-None-Match names this ETag (weak comparison, as RFC 9110 asks for GET)."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def _unchanged(etag: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})


def exports_router(settings: Settings) -> APIRouter:
    """The /exports/ routes, with the public export they serve."""
    exports = PublicExport(max_age_seconds=settings.exports_max_age_seconds)
    router = APIRouter(prefix="/exports", include_in_schema=False)

    @router.get("/")
    async def manifest(request: Request) -> Response:
        """The manifest of the public export: entities, row counts, file names and checksums."""
        generation = await exports.current(request.app.state.sync_engine)
        etag = _etag(generation.etags[MANIFEST])
        if _not_modified(request, etag):
            return _unchanged(etag)
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        return Response(generation.manifest, media_type=MEDIA_TYPES[".json"], headers=headers)

    @router.get("/{name}")
    async def download(name: str, request: Request) -> Response:
        """One file of the public export, as an attachment."""
        generation = await exports.current(request.app.state.sync_engine)
        if name not in generation.etags:
            raise HTTPException(404, detail="no such file in the public export; GET /exports/ lists them")
        etag = _etag(generation.etags[name])
        if _not_modified(request, etag):
            return _unchanged(etag)
        return FileResponse(
            generation.directory / name,
            media_type=MEDIA_TYPES[Path(name).suffix],
            filename=name,
            headers={"ETag": etag, "Cache-Control": CACHE_CONTROL},
        )

    return router
