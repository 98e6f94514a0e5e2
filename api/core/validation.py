"""Input checks shared by every domain; each failure becomes a `Problem` with a field path."""

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, TypeVar, Union

import pycountry
from pydantic import HttpUrl, TypeAdapter, ValidationError
from strawberry import UNSET
from strawberry.types.unset import UnsetType

from api.core.errors import ErrorCode, Problems

T = TypeVar("T")

# A field of an update: UNSET (omitted) leaves it unchanged, None (explicit null) clears it.
Patch = Union[T, None, UnsetType]  # noqa: UP007

# C0/C1 control characters except tab, line feed and carriage return (allowed in long text only);
# every bidi control (Unicode's Bidi_Control property: ALM U+061C, LRM and RLM U+200E-U+200F,
# embeddings and overrides U+202A-U+202E, isolates U+2066-U+2069), which make displayed text differ
# from stored text; the invisible word joiner and operators (U+2060-U+2064) and a byte-order mark
# (U+FEFF) inside text, which only hide one string inside another; and unpaired surrogates, which
# no database can store. Zero-width (non-)joiners U+200C-U+200D stay: Persian, Indic scripts and
# emoji need them.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    r"\ufeff\ud800-\udfff]"
)
_LINE_BREAKS = re.compile(r"[\t\n\r\u2028\u2029]")
# The shape is checked before parsing because URL parsers repair `http:host`, `https:\\host` and
# `https://user@host` into something else than what a reader of the stored text sees.
_URL_SHAPE = re.compile(r"^https?://[^\s/\\?#@]+(?:[/?#][^\s\\]*)?$", re.IGNORECASE)
_URL = TypeAdapter(HttpUrl)

SHORT_TEXT = 300
LONG_TEXT = 20_000
URL_LENGTH = 2000


def named_fields(data: object, *, creating: bool) -> dict[str, Any]:
    """A dataclass's fields to write: all on create (omitted ones as None), only those named on update."""
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    return {k: None if v is UNSET else v for k, v in values.items() if creating or v is not UNSET}


# PostgreSQL refuses NUL in text and SQLite's LIKE stops at one; no code, slug or name holds a NUL,
# so the escaped value matches nothing, exactly as the original would.
def comparable(value: str) -> str:
    """`value` with each NUL written as the four characters `\\x00`, safe to compare in SQL."""
    return value.replace("\x00", "\\x00")


def comparable_all(values: Sequence[str]) -> list[str]:
    """`comparable` applied to each value."""
    return [comparable(value) for value in values]


# What no database holds: a NUL (PostgreSQL refuses one) and an unpaired surrogate (not UTF-8 at all).
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def storable(value: str) -> bool:
    """Whether `value` is text a database can hold and compare: no NUL and no unpaired surrogate. No
    stored text has either, so a value that is not storable names nothing."""
    return not _UNSTORABLE.search(value)


def text(
    problems: Problems,
    field: Sequence[str],
    value: str | None,
    *,
    max_length: int = SHORT_TEXT,
    required: bool = False,
    multiline: bool = False,
) -> str | None:
    """Trimmed, NFC-normalised text; None when absent, blank, or reported as a problem."""
    if value is None:
        if required:
            problems.add(field, ErrorCode.REQUIRED, "This field is required.")
        return None
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        if required:
            problems.add(field, ErrorCode.BLANK, "This field must not be blank.")
        return None
    reported = len(problems.items)
    if _CONTROL.search(value) or (not multiline and _LINE_BREAKS.search(value)):
        problems.add(field, ErrorCode.CONTROL_CHARACTERS, "Control characters are not allowed here.")
    if len(value) > max_length:
        problems.add(field, ErrorCode.TOO_LONG, f"At most {max_length} characters.")
    return value if len(problems.items) == reported else None


def url(problems: Problems, field: Sequence[str], value: str | None) -> str | None:
    """An absolute http(s) URL with a host and no credentials, whitespace or backslashes; or a problem."""
    value = text(problems, field, value, max_length=URL_LENGTH)
    if value is None:
        return None
    if not _URL_SHAPE.match(value) or not _parses_as_url(value):
        problems.add(field, ErrorCode.INVALID_URL, "Must be an absolute http or https URL.")
        return None
    return value


def _parses_as_url(value: str) -> bool:
    try:
        _URL.validate_python(value)
    except ValidationError:
        return False
    return True


# Codes people type for a country that ISO 3166-1 gives another code: the EU's own abbreviations
# (EL for Greece, UK for the United Kingdom; .uk is also the country's domain name).
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}
# How much of a refused value an error message repeats.
REPEATED_LENGTH = 60


def repeated(value: str) -> str:
    """`value` quoted for an error message, shortened when long, with controls escaped."""
    shown = value if len(value) <= REPEATED_LENGTH else value[: REPEATED_LENGTH - 1] + "…"
    return repr(shown)


def did_you_mean(message: str, suggestion: str | None) -> str:
    """`message` with the likely value appended, when there is one."""
    return message if suggestion is None else f"{message} Did you mean {suggestion!r}?"


def country(problems: Problems, field: Sequence[str], value: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code, upper case, or a problem repeating the value and suggesting one."""
    if value is None:
        return None
    code = value.strip().upper()
    known = len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None
    return _known_code(
        problems, field, value, code if known else None, likely_country, ErrorCode.INVALID_COUNTRY,
        "an ISO 3166-1 alpha-2 country code",
    )


def likely_country(value: str) -> str | None:
    """The alpha-2 code meant by an alias, an alpha-3 code or a country's name; None if unclear."""
    typed = value.strip()
    if typed.upper() in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[typed.upper()]
    if not typed or "\x00" in typed:
        return None
    try:
        # Matches alpha-3 and numeric codes and the name, official name and common name.
        return pycountry.countries.lookup(typed).alpha_2
    except LookupError:
        return None


def language(problems: Problems, field: Sequence[str], value: str) -> str | None:
    """An ISO 639-1 (two-letter) or ISO 639-3 code, lower case, or a problem repeating the value and
    suggesting one."""
    code = value.strip().lower()
    found = (
        pycountry.languages.get(alpha_2=code)
        if len(code) == 2
        else pycountry.languages.get(alpha_3=code) if len(code) == 3 else None
    )
    return _known_code(
        problems, field, value, code if found is not None else None, likely_language, ErrorCode.INVALID_LANGUAGE,
        "an ISO 639 language code",
    )


def _known_code(
    problems: Problems,
    field: Sequence[str],
    value: str,
    code: str | None,
    likely: Callable[[str], str | None],
    error: ErrorCode,
    what: str,
) -> str | None:
    """`code` when the value named a known one; otherwise a problem that repeats the value and
    suggests the code it probably meant."""
    if code is not None:
        return code
    suggestion = likely(value)
    problems.add(field, error, did_you_mean(f"{repeated(value)} is not {what}.", suggestion), suggestion)
    return None


def likely_language(value: str) -> str | None:
    """The code meant by an ISO 639-2/B code (fre), a language tag (en-GB) or a language's name."""
    typed = value.strip()
    if not typed or "\x00" in typed:
        return None
    # A language tag (en-GB) means its primary language subtag.
    candidate = typed.replace("_", "-").split("-")[0]
    lowered = candidate.lower()
    found = (
        pycountry.languages.get(alpha_2=lowered)
        or pycountry.languages.get(alpha_3=lowered)
        or pycountry.languages.get(bibliographic=lowered)
    )
    if found is None:
        try:
            # Matches alpha-2 and alpha-3 codes and the name.
            found = pycountry.languages.lookup(candidate)
        except LookupError:
            return None
    return getattr(found, "alpha_2", None) or found.alpha_3


def within_limit(problems: Problems, field: Sequence[str], values: Sequence[object], limit: int) -> bool:
    """True if `values` has at most `limit` items; otherwise a TOO_MANY problem."""
    if len(values) > limit:
        problems.add(field, ErrorCode.TOO_MANY, f"At most {limit} values.")
        return False
    return True


def codes_list(
    problems: Problems,
    field: Sequence[str],
    values: Sequence[str],
    check: Callable[[Problems, Sequence[str], str], str | None],
    *,
    limit: int = 50,
) -> list[str]:
    """Each value checked by `check`; duplicates removed, order kept."""
    if not within_limit(problems, field, values, limit):
        return []
    seen: dict[str, None] = {}
    for index, value in enumerate(values):
        checked = check(problems, [*field, str(index)], value)
        if checked is not None:
            seen.setdefault(checked, None)
    return list(seen)


def texts_list(problems: Problems, field: Sequence[str], values: Sequence[str], *, limit: int = 50) -> list[str]:
    """Short one-line texts (names, aliases); blanks and duplicates dropped, order kept."""
    return codes_list(problems, field, values, text, limit=limit)


def date_range(problems: Problems, field: Sequence[str], start: date | None, end: date | None) -> None:
    """End must not come before start."""
    if start is not None and end is not None and end < start:
        problems.add(field, ErrorCode.INVALID_DATE_RANGE, "The end date is before the start date.")


def country_label(code: str) -> str:
    found = pycountry.countries.get(alpha_2=code)
    return found.name if found else code


def language_label(code: str) -> str:
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return found.name if found else code


@dataclass(frozen=True)
class Source:
    """One provenance entry as a caller gives it: the source, and optionally the passage and a note."""

    source: str | None
    passage: str | None = None
    note: str | None = None


MAX_SOURCES = 20
PASSAGE_LENGTH = 2000


def provenance(problems: Problems, field: Sequence[str], entries: Sequence[Source]) -> list[dict[str, str]]:
    """Provenance entries as every record stores them (`{"source", "passage", "note"}`, absent parts left
    out): a source is required, passage and note are optional, at most MAX_SOURCES entries."""
    if not within_limit(problems, field, entries, MAX_SOURCES):
        return []
    stored = []
    for index, entry in enumerate(entries):
        at = [*field, str(index)]
        values = {
            "source": text(problems, [*at, "source"], entry.source, required=True),
            "passage": text(problems, [*at, "passage"], entry.passage, max_length=PASSAGE_LENGTH, multiline=True),
            "note": text(problems, [*at, "note"], entry.note, max_length=PASSAGE_LENGTH, multiline=True),
        }
        stored.append({key: value for key, value in values.items() if value is not None})
    return stored


def camel(name: str) -> str:
    """A Python field name as the GraphQL schema spells it (`sample_size` → `sampleSize`)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
