"""The source documents the seeded registry cites, as seed/registry/sources.yaml describes them.

A seed record's provenance names its document by file name (`001_85538bccebee7c49.txt`); the API shows a
reader the document's title, publisher, date and address instead (`Provenance.document`). The file is read
from the project's seed/registry/, like the rating rule sets from seed/ratings/: it is part of the seed the
registry was loaded from, checked with it by `coplab seed` (validate.py), and served as it stands, with no
table of its own.
"""

import functools
from pathlib import Path

import yaml

from api.core.settings import PROJECT_ROOT
from api.seeding.records import SourceDocumentRecord

SOURCES_FILE = PROJECT_ROOT / "seed" / "registry" / "sources.yaml"


@functools.cache
def source_documents(path: Path = SOURCES_FILE) -> dict[str, SourceDocumentRecord]:
    """Every source document of the file, by its key (the file name provenance cites)."""
    records = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {record.key: record for record in map(SourceDocumentRecord.model_validate, records)}


def source_document(key: str) -> SourceDocumentRecord | None:
    """The source document a provenance entry's `source` names; None when it names none of them (a source a
    contributor typed, or a seed file's own note)."""
    return source_documents().get(key)
