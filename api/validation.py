"""Input checks shared by every domain; each failure becomes a `Problem` with a field path."""

import re
import unicodedata
from collections.abc import Sequence
from datetime import date

import pycountry
from pydantic import HttpUrl, TypeAdapter, ValidationError

from api.errors import ErrorCode, Problems

# C0/C1 control characters except tab, line feed and carriage return (allowed in long text only).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")
_URL = TypeAdapter(HttpUrl)

SHORT_TEXT = 300
LONG_TEXT = 20_000
URL_LENGTH = 2000


def text(
    problems: Problems,
    field: Sequence[str],
    value: str | None,
    *,
    max_length: int = SHORT_TEXT,
    required: bool = False,
    multiline: bool = False,
) -> str | None:
    """Trimmed, NFC-normalised text, or a problem for blank, over-long or control characters."""
    if value is None:
        if required:
            problems.add(field, ErrorCode.REQUIRED, "This field is required.")
        return None
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        if required:
            problems.add(field, ErrorCode.BLANK, "This field must not be blank.")
        return None
    if _CONTROL.search(value) or (not multiline and _LINE_BREAKS.search(value)):
        problems.add(field, ErrorCode.CONTROL_CHARACTERS, "Control characters are not allowed here.")
    if len(value) > max_length:
        problems.add(field, ErrorCode.TOO_LONG, f"At most {max_length} characters.")
    return value


def url(problems: Problems, field: Sequence[str], value: str | None) -> str | None:
    """An absolute http(s) URL, or a problem."""
    value = text(problems, field, value, max_length=URL_LENGTH)
    if value is None:
        return None
    try:
        parsed = _URL.validate_python(value)
    except ValidationError:
        problems.add(field, ErrorCode.INVALID_URL, "Must be an absolute http or https URL.")
        return None
    if parsed.scheme not in {"http", "https"}:
        problems.add(field, ErrorCode.INVALID_URL, "Must be an absolute http or https URL.")
    return value


def country(problems: Problems, field: Sequence[str], value: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code, upper case, or a problem."""
    if value is None:
        return None
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        problems.add(field, ErrorCode.INVALID_COUNTRY, f"{value!r} is not an ISO 3166-1 alpha-2 country code.")
        return None
    return code


def language(problems: Problems, field: Sequence[str], value: str) -> str | None:
    """An ISO 639-1 (two-letter) or ISO 639-3 code, lower case, or a problem."""
    code = value.strip().lower()
    found = (
        pycountry.languages.get(alpha_2=code)
        if len(code) == 2
        else pycountry.languages.get(alpha_3=code) if len(code) == 3 else None
    )
    if found is None:
        problems.add(field, ErrorCode.INVALID_LANGUAGE, f"{value!r} is not an ISO 639 language code.")
        return None
    return code


def codes_list(
    problems: Problems, field: Sequence[str], values: Sequence[str], check, *, limit: int = 50
) -> list[str]:  # noqa: ANN001
    """Each value checked by `check`; duplicates removed, order kept."""
    if len(values) > limit:
        problems.add(field, ErrorCode.TOO_MANY, f"At most {limit} values.")
        return []
    seen: dict[str, None] = {}
    for index, value in enumerate(values):
        checked = check(problems, [*field, str(index)], value)
        if checked is not None:
            seen.setdefault(checked, None)
    return list(seen)


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
