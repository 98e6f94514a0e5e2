"""How values are written: JSON Lines keep native JSON, CSV cells are text; both byte-for-byte reproducible."""

import csv
import hashlib
import json
import os
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

LIST_SEPARATOR = "; "
# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(…), +cmd|…, @SUM(…));
# OWASP's advice for CSV files: such text cells start with a single quote, shown as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def json_value(value: Any) -> Any:
    """A database value as JSON: dates ISO 8601, timestamps ISO 8601 in UTC, enums by value."""
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def timestamp(value: datetime) -> str:
    """Always with microseconds and a Z, so equal instants are equal text on every backend."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def json_line(record: dict[str, Any]) -> str:
    """One record as one line; keys in the record's (fixed) order."""
    return json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"


def csv_cell(value: Any) -> str:
    """A JSON value as a CSV cell: lists of strings joined with "; ", lists of objects as JSON text, and
    text that a spreadsheet would run as a formula behind a single quote. Numbers are never quoted: a
    negative effect size stays a number."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(item, str | int) and not isinstance(item, bool) for item in value):
        return inert_text(LIST_SEPARATOR.join(str(item) for item in value))
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    if isinstance(value, float):
        return json.dumps(value, allow_nan=False)
    if isinstance(value, int):
        return str(value)
    return inert_text(str(value))


def inert_text(text: str) -> str:
    """Text a spreadsheet shows as it is rather than evaluating."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


class HashedWriter:
    """A text file written as UTF-8 while its SHA-256 and size are computed."""

    def __init__(self, path: Path, *, private: bool) -> None:
        # A private export may hold non-public records: readable by the owner only, from the first byte.
        mode = 0o600 if private else 0o644
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        os.fchmod(descriptor, mode)  # an existing file keeps its mode through O_CREAT
        self._file = os.fdopen(descriptor, "wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self._hash.update(data)
        self._file.write(data)
        self.size += len(data)
        return len(text)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def close(self) -> None:
        self._file.close()


class EntityFiles:
    """The JSON Lines and CSV files of one entity, written row by row."""

    def __init__(self, directory: Path, names: tuple[str, str], fields: tuple[str, ...], *, private: bool) -> None:
        self.names = names
        self.jsonl = HashedWriter(directory / names[0], private=private)
        self.csv = HashedWriter(directory / names[1], private=private)
        self._csv = csv.writer(self.csv, lineterminator="\n")
        self._csv.writerow(fields)

    def write(self, record: dict[str, Any]) -> None:
        self.jsonl.write(json_line(record))
        self._csv.writerow([csv_cell(value) for value in record.values()])

    def close(self) -> dict[str, dict[str, Any]]:
        """File name → checksum and size, for the manifest."""
        self.jsonl.close()
        self.csv.close()
        return {
            self.names[0]: {"sha256": self.jsonl.sha256, "bytes": self.jsonl.size},
            self.names[1]: {"sha256": self.csv.sha256, "bytes": self.csv.size},
        }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def write_json(path: Path, document: dict[str, Any], *, private: bool) -> None:
    writer = HashedWriter(path, private=private)
    writer.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    writer.close()
