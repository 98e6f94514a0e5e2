"""docs/operations.md, "Settings", stays true: one row for each setting of `Settings` and no other, and
each default the page writes as a value is the real one."""

import re
from pathlib import Path

from api.core.settings import PROJECT_ROOT, Settings, variable

PAGE = PROJECT_ROOT / "docs" / "operations.md"


def _rows() -> dict[str, str]:
    """variable → its default cell, from the table of the "Settings" section."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        found = re.match(r"\| `([A-Z][A-Z0-9_]+)` \| ([^|]*) \|", line)
        if found:
            assert found.group(1) not in rows, f"{found.group(1)} has two rows"
            rows[found.group(1)] = found.group(2).strip()
    return rows


def _written(value: object) -> str | None:
    """How the page writes a default that is a plain value; None for those it describes in words."""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float) or (isinstance(value, str) and value):
        return f"`{value}`"
    return None


def test_every_setting_has_a_row_and_every_row_a_setting() -> None:
    documented = set(_rows())
    settings = {variable(name) for name in Settings.model_fields}
    assert settings - documented == set(), "settings missing from docs/operations.md"
    assert documented - settings == set(), "rows of docs/operations.md that name no setting"


def test_the_defaults_written_as_values_are_the_real_ones() -> None:
    rows = _rows()
    checked = 0
    for name, field in Settings.model_fields.items():
        written = _written(field.default)
        if written is not None:
            assert rows[variable(name)] == written, (variable(name), rows[variable(name)], written)
            checked += 1
    assert checked >= 30  # the numbers, flags and names: most of the table


def test_the_page_is_where_the_settings_say() -> None:
    assert PAGE.is_file() and "docs/operations.md" in Path(PROJECT_ROOT / "api" / "core" / "settings.py").read_text()
