"""A search's result set as CSV: every page of the same search operation the page runs (no SQL),
up to a cap, in the search's order. The file's first row says what it holds and the cap; the second
names the columns (docs/portal.md, "Search results as CSV")."""

import csv
import io
from collections.abc import Callable

from api.portal.rendering import SearchState

CSV_CAP = 500  # the most rows one file holds: a reading list, not a copy of the registry (the exports are that)
CSV_PAGE_SIZE = 50  # hits per operation run: under the API's page-size limit and node budget for every kind
# A cell a spreadsheet would read as a formula (or as a command, for tab and carriage return) starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The cell's text, with a leading apostrophe when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def labels(terms: list[dict] | None) -> str:
    return "; ".join(term["label"] for term in terms or [])


def initiative_row(hit: dict, address: Callable[[str, str], str]) -> list[object]:
    record = hit["initiative"]
    lead = record.get("leadOrganisation") or {}
    return [record["title"], record["status"]["label"], lead.get("name"), "; ".join(c["name"] for c in record["countries"]), record.get("summary"), address("initiatives", record["id"])]


def evidence_row(hit: dict, address: Callable[[str, str], str]) -> list[object]:
    record = hit["evidenceAssessment"]
    findings = "; ".join(f"{f['outcome']['label']}: {f['effectDirection']['label']}" for f in record["findings"])
    return [
        record["study"]["title"], record["study"]["studyDesign"]["label"], record["study"].get("publishedOn"),
        record["initiative"]["title"], record["assessingOrganisation"]["name"], record["independence"]["label"], findings,
        address("studies", record["study"]["id"]), address("initiatives", record["initiative"]["id"]),
    ]


def practice_row(hit: dict, address: Callable[[str, str], str]) -> list[object]:
    record = hit["bestPractice"]
    return [
        record["title"], record["organisation"]["name"], record["evidenceBasis"]["label"], labels(record["harms"]),
        labels(record["interventionTypes"]), record["statement"], address("practices", record["id"]),
    ]


# Each kind's columns and how a hit fills them.
COLUMNS: dict[str, tuple[list[str], Callable]] = {
    "initiatives": (["Title", "Status", "Lead organisation", "Countries", "Summary", "Address"], initiative_row),
    "evidence": (
        ["Study", "Study design", "Published", "Initiative", "Assessed by", "Independence", "Findings", "Address", "Initiative address"],
        evidence_row,
    ),
    "practices": (["Title", "Organisation", "Evidence basis", "Harms", "Types of intervention", "Statement", "Address"], practice_row),
}


def csv_text(state: SearchState, hits: list[dict], total: int, cap: int, search_url: str, address: Callable[[str, str], str]) -> str:
    """The file: a note row (what it holds, the cap), the column names, then a row per hit."""
    header, row_of = COLUMNS[state.kind.name]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    note = (
        f"# coplab search results: the first {len(hits)} of {total} (this file holds at most {cap}), "
        f"in the order of {search_url}"
    )
    writer.writerow([safe_cell(note)])
    writer.writerow(header)
    for hit in hits:
        writer.writerow([safe_cell(cell) for cell in row_of(hit, address)])
    return out.getvalue()
