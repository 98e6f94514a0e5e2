"""`csv_cell`: text a spreadsheet would run as a formula is quoted inert in CSV; other values are left as written."""

import pytest

from api.exports.formats import csv_cell


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_trigger_is_quoted(text: str) -> None:
    assert csv_cell(text) == "'" + text
    assert csv_cell([text, "B"]) == "'" + text + "; B"


@pytest.mark.parametrize("value", ["HYPERLINK", "a=b", "", "'quoted", -1, -0.5, 3])
def test_other_text_and_numbers_are_left_as_they_are(value: object) -> None:
    assert csv_cell(value) == str(value)
