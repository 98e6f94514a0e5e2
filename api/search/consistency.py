"""`coplab search check`: the database's search documents compared with the engine's."""

import json
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
    *, sessions: Sessions, backend: SearchBackend, progress: Callable[[int], Any] | None = None
) -> Differences:
    """Every difference between the documents built from the database and those the engine holds."""
    result = Differences()
    indexed = backend.document_ids()
    async with sessions() as session:
        async for ids in documents.every_initiative_id(session=session):
            built, _ = await documents.build(session=session, initiative_ids=ids)
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
