"""Text that a spreadsheet would run as a formula is served inert in CSV, and exactly as written in JSON Lines."""

import csv
import io
import json
from pathlib import Path

import httpx

from api.core.settings import Settings
from tests.exports.registry import coplab, records
from tests.server import running_server
from tests.server import HTTP_TIMEOUT

FORMULA = '=HYPERLINK("http://x","y")'


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_a_formula_in_a_public_title_is_quoted_in_the_csv_and_kept_in_json_lines(
    database_url, make, tmp_path, settings  # noqa: ANN001
) -> None:
    lead = make.organisation("hotline-a", stakeholder_type="HOTLINE")
    initiative = make.initiative(lead, FORMULA)
    out = tmp_path / "public"
    assert coplab(database_url, "export", "--out", str(out)).exit_code == 0

    [row] = _csv((out / "initiatives.csv").read_text(encoding="utf-8"))
    assert row["title"] == "'" + FORMULA
    [record] = records(out, "initiatives")
    assert record["id"] == initiative.id and record["title"] == FORMULA

    served = Settings(environment="test", database_url=database_url, data_dir=Path("/nonexistent"))
    with running_server(served) as base_url:
        over_http = httpx.get(f"{base_url}/exports/initiatives.csv", timeout=HTTP_TIMEOUT)
        lines = httpx.get(f"{base_url}/exports/initiatives.jsonl", timeout=HTTP_TIMEOUT)
    assert over_http.status_code == 200 and lines.status_code == 200
    [row] = _csv(over_http.text)
    assert row["title"] == "'" + FORMULA
    assert [json.loads(line)["title"] for line in lines.text.splitlines()] == [FORMULA]
