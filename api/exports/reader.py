"""Reading an export back: the manifest, every file's checksum and row count, and each record's values,
all checked before anything is written."""

import csv
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from api.core.db import UTCDateTime
from api.exports.entities import Embedded, Entity, Scope, file_names, in_scope
from api.exports.formats import sha256_of
from api.exports.writer import FORMAT, MANIFEST

# What a public export leaves out, filled in on import: the principal that wrote each row is unknown, and
# no imported organisation becomes the secretariat.
IMPORT_ACTOR = "import"
PUBLIC_DEFAULTS = {
    "created_by": IMPORT_ACTOR,
    "updated_by": IMPORT_ACTOR,
    "endorsed_by": IMPORT_ACTOR,
    "confirmed_by": IMPORT_ACTOR,
    "changed_by": IMPORT_ACTOR,
    "deleted_at": None,
    "withdrawn_reason": None,
    "is_secretariat": False,
}
MAX_PROBLEMS = 50


class ExportProblems(Exception):
    """An export that cannot be loaded, and why (file and line where it applies)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Problems:
    found: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        if len(self.found) < MAX_PROBLEMS:
            self.found.append(message)
        elif len(self.found) == MAX_PROBLEMS:
            self.found.append("… and more; the first problems are listed")

    def raise_any(self) -> None:
        if self.found:
            raise ExportProblems(self.found)


@dataclass(frozen=True)
class Export:
    """A verified export: its manifest, and per entity its records with values ready to insert."""

    directory: Path
    manifest: dict[str, Any]
    scope: Scope
    records: dict[str, list[dict[str, Any]]]


def read_export(directory: Path) -> Export:
    """The export in `directory`, verified; raises ExportProblems naming every problem found."""
    manifest = read_manifest(directory)
    scope = Scope(manifest["scope"])
    problems = Problems()
    for entity in in_scope(scope):
        _check_files(directory, entity, scope, manifest["entities"][entity.name], problems)
    problems.raise_any()
    records = {entity.name: _read_records(directory, entity, scope, problems) for entity in in_scope(scope)}
    problems.raise_any()
    return Export(directory=directory, manifest=manifest, scope=scope, records=records)


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest, checked for the format, the scope and the entities it must list."""
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportProblems([f"{path}: no manifest; is this a directory written by `coplab export`?"]) from None
    except OSError as error:
        raise ExportProblems([f"{path}: cannot be read ({error.strerror})"]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ExportProblems([f"{MANIFEST}: not JSON ({error})"]) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise ExportProblems([f"{MANIFEST}: format {found!r} is not {FORMAT!r}, the format this coplab reads"])
    if manifest.get("scope") not in {s.value for s in Scope}:
        raise ExportProblems([f"{MANIFEST}: scope {manifest.get('scope')!r} is neither 'public' nor 'all'"])
    expected = [e.name for e in in_scope(Scope(manifest["scope"]))]
    listed = manifest.get("entities")
    if not isinstance(listed, dict) or sorted(listed) != sorted(expected):
        raise ExportProblems([f"{MANIFEST}: entities must be exactly {', '.join(expected)}"])
    return manifest


def _check_files(directory: Path, entity: Entity, scope: Scope, listed: Any, problems: Problems) -> None:
    """Each file exists, has the checksum the manifest gives, and as many records as it says."""
    files = listed.get("files") if isinstance(listed, dict) else None
    rows = listed.get("rows") if isinstance(listed, dict) else None
    if not isinstance(files, dict) or not isinstance(rows, int):
        problems.add(f"{MANIFEST}: entity {entity.name} lacks its files or row count")
        return
    for name in file_names(entity):
        path = directory / name
        expected = files.get(name, {}).get("sha256") if isinstance(files.get(name), dict) else None
        if expected is None:
            problems.add(f"{MANIFEST}: no checksum for {name}")
        elif not path.is_file():
            problems.add(f"{name}: missing")
        elif sha256_of(path) != expected:
            problems.add(f"{name}: SHA-256 differs from the manifest's: the file changed after the export")
        elif (count := _count_records(path, entity, scope, problems)) is not None and count != rows:
            problems.add(f"{name}: {count} rows, the manifest says {rows}")


def _count_records(path: Path, entity: Entity, scope: Scope, problems: Problems) -> int | None:
    try:
        with path.open(encoding="utf-8", newline="") as file:
            if path.suffix == ".jsonl":
                return sum(1 for _ in file)
            reader = csv.reader(file)
            header = next(reader, None)
            if header != list(entity.fields(scope)):
                problems.add(f"{path.name} line 1: the columns are not {', '.join(entity.fields(scope))}")
                return None
            return sum(1 for _ in reader)
    except (UnicodeDecodeError, csv.Error) as error:
        problems.add(f"{path.name}: unreadable ({error})")
        return None


def _read_records(directory: Path, entity: Entity, scope: Scope, problems: Problems) -> list[dict[str, Any]]:
    """The JSON Lines file's records (the CSV holds the same, less precisely), as insertable values."""
    name = file_names(entity)[0]
    fields = entity.fields(scope)
    records = []
    with (directory / name).open(encoding="utf-8", newline="") as file:
        for number, line in enumerate(file, start=1):
            where = f"{name} line {number}"
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                problems.add(f"{where}: not JSON ({error.msg})")
                continue
            if not isinstance(value, dict) or sorted(value) != sorted(fields):
                problems.add(f"{where}: a record has exactly the keys {', '.join(fields)}")
                continue
            records.append(_record(entity, scope, value, where, problems))
    return records


def _record(entity: Entity, scope: Scope, value: dict[str, Any], where: str, problems: Problems) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name in entity.columns:
        if name in value:
            record[name] = _checked(entity.table.c[name], value[name], f"{where}: {name}", problems)
        elif scope is Scope.PUBLIC:
            record[name] = PUBLIC_DEFAULTS[name]
    for embedded in entity.embedded:
        record[embedded.name] = _checked_list(embedded, value[embedded.name], f"{where}: {embedded.name}", problems)
    return record


def _checked_list(embedded: Embedded, values: Any, where: str, problems: Problems) -> list[Any]:
    if not isinstance(values, list):
        problems.add(f"{where}: not a list")
        return []
    column = embedded.table.c[embedded.value]
    checked = [_checked(column, value, where, problems) for value in values]
    if len(set(checked)) != len(checked):
        problems.add(f"{where}: a value is listed twice")
    return checked


def _checked(column: sa.Column, value: Any, where: str, problems: Problems) -> Any:
    """`value` as the column stores it; a problem (and None) when it cannot be."""
    if value is None:
        if not column.nullable:
            problems.add(f"{where}: missing (null)")
        return None
    try:
        return _converted(column.type, value)
    except (TypeError, ValueError) as error:
        problems.add(f"{where}: {error}")
        return None


def _converted(kind: sa.types.TypeEngine, value: Any) -> Any:
    if isinstance(kind, UTCDateTime):
        parsed = datetime.fromisoformat(_text(value, "a timestamp"))
        if parsed.tzinfo is None:
            raise ValueError(f"{value!r} has no UTC offset")
        return parsed.astimezone(UTC)
    if isinstance(kind, sa.TypeDecorator):  # sqlmodel's AutoString: a String underneath
        return _converted(kind.impl_instance, value)
    if isinstance(kind, sa.Date):
        return date.fromisoformat(_text(value, "a date"))
    if isinstance(kind, sa.Boolean):
        return _typed(value, bool, "true or false")
    if isinstance(kind, sa.Integer):
        return _typed(value, int, "an integer")
    if isinstance(kind, sa.Float):
        return float(_typed(value, (int, float), "a number"))
    if isinstance(kind, sa.JSON):
        return _typed(value, (list, dict), "a list or an object")
    if isinstance(kind, sa.Enum):
        if value not in kind.enums:
            raise ValueError(f"{value!r} is not one of {', '.join(kind.enums)}")
        return value
    if isinstance(kind, sa.String):
        text = _text(value, "text")
        if kind.length is not None and len(text) > kind.length:
            raise ValueError(f"longer than {kind.length} characters")
        return text
    raise TypeError(f"no conversion for {kind!r}")


def _typed(value: Any, kinds: type | tuple[type, ...], label: str) -> Any:
    # bool is an int in Python, not in JSON: true is no integer.
    if not isinstance(value, kinds) or (isinstance(value, bool) and kinds is not bool):
        raise ValueError(f"{value!r} is not {label}")
    return value


def _text(value: Any, label: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not {label}")
    return value
