"""`coplab search check`: the database's search documents compared with the engine's, and (with the
embedded engine) running servers' indexes compared with one built from the database."""

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.search import documents
from api.search.backend import Document, SearchBackend
from api.search.indexer import Sessions


@dataclass
class Differences:
    checked: int = 0  # documents the database holds
    missing: list[str] = field(default_factory=list)  # in the database, not in the engine
    extra: list[str] = field(default_factory=list)  # in the engine, not in the database
    different: list[str] = field(default_factory=list)  # in both, with other contents

    @property
    def in_sync(self) -> bool:
        return not (self.missing or self.extra or self.different)


def _comparable(document: Document) -> Any:
    """The document as JSON would carry it, so engines' list/tuple or int/float choices do not count."""
    return json.loads(json.dumps(document, sort_keys=True, default=str))


async def compare(
    *,
    sessions: Sessions,
    backend: SearchBackend,
    progress: Callable[[int], Any] | None = None,
    every_id: Callable[..., Any] = documents.every_initiative_id,
    build: Callable[..., Any] | None = None,
) -> Differences:
    """Every difference between the documents built from the database and those the engine holds: the
    initiatives index's, or another's whose ids `every_id(session=)` yields and `build(session, ids)` builds."""
    result = Differences()
    indexed = backend.document_ids()
    async with sessions() as session:
        async for ids in every_id(session=session):
            built, _ = await (build(session, ids) if build else documents.build(session=session, initiative_ids=ids))
            stored = {str(d["id"]): d for d in backend.get_documents([d["id"] for d in built])}
            for document in built:
                document_id = document["id"]
                indexed.discard(document_id)
                if document_id not in stored:
                    result.missing.append(document_id)
                elif _comparable(stored[document_id]) != _comparable(document):
                    result.different.append(document_id)
            result.checked += len(built)
            if progress is not None:
                progress(len(built))
    result.extra = sorted(indexed, key=lambda i: (len(i), i))
    return result


# /readyz's search detail names the digest of each embedded index (api/search/indexer.py, `readiness`):
# "digest …" for the initiatives index, "evidence digest …" and "best_practice digest …" for the others.
DIGEST = re.compile(r"(?:\b(\w+) )?digest ([0-9a-f]{16})")
INITIATIVES = "initiatives"

Digests = dict[str, str]  # index (INITIATIVES or a record type) → digest


def digests_named(detail: str) -> Digests:
    """The digests a /readyz search detail names, by index."""
    found: Digests = {}
    for kind, digest in DIGEST.findall(detail):
        found.setdefault(kind or INITIATIVES, digest)
    return found


def server_digests(base_url: str, *, token: str = "", timeout: float = 10) -> Digests | None:
    """The digests of the embedded indexes of the server process that answered /readyz at `base_url`;
    None when it names none (not built yet, another engine, or `token` is not the server's metrics
    token: /readyz names them to operators only) or does not answer."""
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) address: {base_url!r}")
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(f"{base_url.rstrip('/')}/readyz", headers=headers)  # noqa: S310 (checked above)
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (checked above)
            body = answer.read()
    except urllib.error.HTTPError as not_ready:  # 503 still names its checks
        body = not_ready.read()
    except OSError:  # refused, unreachable, timed out
        return None
    try:
        detail = json.loads(body)["checks"]["search"]["detail"]
    except (ValueError, KeyError, TypeError):
        return None
    return digests_named(str(detail)) or None


def differing(expected: Digests, seen: Digests | None) -> list[str]:
    """The indexes of `expected` whose digest `seen` does not name or names otherwise."""
    return [kind for kind, digest in expected.items() if (seen or {}).get(kind) != digest]


def server_agrees(
    base_url: str, expected: Digests, *, answers: int, wait: float, token: str = ""
) -> tuple[bool, Digests | None]:
    """Whether `answers` readings in a row of the server's digests equal `expected` (every index)
    within `wait` seconds (a server of several workers answers from any of them, each with its own
    indexes); and the last digests read."""
    deadline, streak = time.monotonic() + wait, 0
    while True:
        seen = server_digests(base_url, token=token)
        agrees = not differing(expected, seen)
        streak = streak + 1 if agrees else 0
        if streak >= answers:
            return True, seen
        if time.monotonic() > deadline:
            return False, seen
        time.sleep(0.05 if agrees else 0.5)
