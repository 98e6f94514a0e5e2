"""What the map page needs beyond its data: its state read from the address (axes, colouring,
filters, the opened cell) and written back into links, and the drawing of the map as SVG
coordinates: where each term and cell goes, each bubble's radius and its colour class."""

import math
from dataclasses import dataclass, field
from urllib.parse import urlencode

from api.portal.languages import country_name

# The axes as the address spells them (as /exports/maps/ does) → `MapAxis`.
AXES = {
    "intervention-type": "INTERVENTION_TYPE",
    "harm": "HARM",
    "outcome": "OUTCOME",
    "mnr-capability": "MNR_CAPABILITY",
    "target-group": "TARGET_GROUP",
    "region": "REGION",
    "country": "COUNTRY",
    "study-design": "STUDY_DESIGN",
    "stakeholder-type": "STAKEHOLDER_TYPE",
    "rating": "RATING",
}
DEFAULT_ROWS, DEFAULT_COLUMNS = "intervention-type", "outcome"  # the classic map: what is done × what it changes
COLOURINGS = ("design", "rating")


@dataclass(frozen=True)
class MapFilter:
    """A filter of the map: its address parameter, its `EvidenceMapFilter` field and the vocabulary
    its values come from (None: ISO country codes, typed)."""

    param: str
    filter_field: str
    vocabulary: str | None


FILTERS = (
    MapFilter("intervention", "interventionTypes", "intervention-type"),
    MapFilter("harm", "harms", "harm"),
    MapFilter("capability", "mnrCapabilities", "mnr-capability"),
    MapFilter("target", "targetGroups", "target-group"),
    MapFilter("region", "regions", "region"),
    MapFilter("stakeholder", "stakeholderTypes", "stakeholder-type"),
    MapFilter("rating", "ratings", "evidence-rating"),
    MapFilter("outcome", "outcomes", "outcome"),
    MapFilter("design", "studyDesigns", "study-design"),
    MapFilter("country", "countries", None),
)

# `DesignClass`, strongest first: a bubble coloured by design takes its strongest class.
DESIGN_CLASSES = ("SR_MA", "SR", "SMS_5", "SMS_4", "SMS_3", "SMS_1_2", "QUALITATIVE", "DESCRIPTIVE")
# The `evidence-rating` codes a cell's best rating can be, best first (docs/evidence-map.md).
RATINGS = ("EFFECTIVE", "PROMISING", "EMERGING", "PRUDENT", "PIONEERING", "CONFLICTING", "NO-EFFECT", "HARMFUL")


@dataclass
class MapState:
    """What the map page shows, as its address says it: every state is a permalink."""

    rows: str = DEFAULT_ROWS
    columns: str = DEFAULT_COLUMNS
    colour: str = "design"
    selected: dict[str, list[str]] = field(default_factory=dict)  # filter param → codes
    row: str = ""  # the opened cell's row term, when a cell is opened
    column: str = ""

    @classmethod
    def from_params(cls, params) -> "MapState | None":  # noqa: ANN001  (starlette's QueryParams)
        """The state, or None when the address names an axis or a colouring there is not (the page
        answers 400). The same axis twice is the API's to refuse, with its own 400."""
        rows = params.get("rows") or DEFAULT_ROWS
        columns = params.get("columns") or DEFAULT_COLUMNS
        colour = params.get("colour") or "design"
        if rows not in AXES or columns not in AXES or colour not in COLOURINGS:
            return None
        selected = {}
        for f in FILTERS:
            values = [v.strip().upper() if f.vocabulary is None else v for raw in params.getlist(f.param) for v in raw.split(",")]
            values = [v for v in dict.fromkeys(values) if v.strip()]
            if values:
                selected[f.param] = values
        row, column = params.get("row") or "", params.get("column") or ""
        if not (row and column):
            row = column = ""
        return cls(rows=rows, columns=columns, colour=colour, selected=selected, row=row, column=column)

    @property
    def cell_opened(self) -> bool:
        return bool(self.row and self.column)

    def variables(self) -> dict:
        """The `map` operation's variables."""
        map_filter = {f.filter_field: self.selected[f.param] for f in FILTERS if f.param in self.selected}
        return {
            "rows": AXES[self.rows],
            "columns": AXES[self.columns],
            "filter": map_filter or None,
            "withCell": self.cell_opened,
            "row": self.row,
            "column": self.column,
        }

    def url(self, *, row: str | None = None, column: str | None = None, colour: str | None = None) -> str:
        """This state's address: with another cell opened (`row`, `column`; empty strings close
        it) or the other colouring."""
        row = self.row if row is None else row
        column = self.column if column is None else column
        pairs: list[tuple[str, str]] = [("rows", self.rows), ("columns", self.columns)]
        if (colour or self.colour) != "design":
            pairs.append(("colour", colour or self.colour))
        pairs += [(f.param, code) for f in FILTERS for code in self.selected.get(f.param, [])]
        if row and column:
            pairs += [("row", row), ("column", column)]
        return "/map?" + urlencode(pairs)


# The drawing, in SVG user units: a square per cell, row labels at the left, column labels
# slanted above. The SVG scales to the page's width (viewBox), so these are proportions.
CELL = 44
MAX_RADIUS = CELL / 2 - 8
MIN_RADIUS = 4  # one study among hundreds stays visible, and clickable
ROW_LABELS = 300
COLUMN_LABELS = 240
LABEL_CHARACTERS = 42  # longer labels are cut in the drawing (in full in its titles and the table)


def bubble_radius(studies: int, largest: int) -> float:
    """A bubble's radius: its area in proportion to its studies (the largest cell fills its square),
    never under MIN_RADIUS; no bubble (0) for a cell without studies."""
    if studies <= 0 or largest <= 0:
        return 0
    return round(max(MIN_RADIUS, MAX_RADIUS * math.sqrt(studies / largest)), 1)


def strongest_design(cell: dict) -> str | None:
    """The strongest design class among a cell's studies (DESIGN_CLASSES order), or None."""
    present = {entry["designClass"] for entry in cell["designClasses"] if entry["studies"]}
    return next((design for design in DESIGN_CLASSES if design in present), None)


def colour_class(cell: dict, colour: str) -> str:
    """The CSS class that colours a cell's bubble: its strongest design, or its best computed
    rating (`rating-none` where there is none: descriptive data never colour a cell)."""
    if colour == "rating":
        rating = cell.get("bestRating")
        return f"rating-{rating}" if rating in RATINGS else "rating-none"
    return f"design-{strongest_design(cell) or 'none'}"


def short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1].rstrip() + "…"


def drawing(evidence_map: dict, colour: str) -> dict:
    """Where everything of the map goes: the terms' labels, the grid, and each cell that holds
    something (studies or initiatives) with its bubble's radius (0: none) and colour class.
    A cell that holds nothing (an absolute gap) is drawn as the empty square it is."""
    row_terms, column_terms = evidence_map["rowTerms"], evidence_map["columnTerms"]
    rows = {term["code"]: index for index, term in enumerate(row_terms)}
    columns = {term["code"]: index for index, term in enumerate(column_terms)}
    largest = max((cell["studies"] for cell in evidence_map["cells"]), default=0)
    cells = []
    for cell in evidence_map["cells"]:
        if not (cell["studies"] or cell["initiatives"]):
            continue
        x = ROW_LABELS + columns[cell["column"]] * CELL
        y = COLUMN_LABELS + rows[cell["row"]] * CELL
        cells.append({
            **cell,
            "x": x,
            "y": y,
            # A little left of and below the centre: the gap letter has the top right corner.
            "cx": x + CELL / 2 - 3,
            "cy": y + CELL / 2 + 3,
            "r": bubble_radius(cell["studies"], largest),
            "colour_class": colour_class(cell, colour),
            "row_label": row_terms[rows[cell["row"]]]["label"],
            "column_label": column_terms[columns[cell["column"]]]["label"],
        })
    return {
        "width": ROW_LABELS + len(column_terms) * CELL + COLUMN_LABELS,
        "height": COLUMN_LABELS + len(row_terms) * CELL + 8,
        "cell": CELL,
        "left": ROW_LABELS,
        "top": COLUMN_LABELS,
        "rows": [{**term, "label_short": short(term["label"]), "y": COLUMN_LABELS + i * CELL} for i, term in enumerate(row_terms)],
        "columns": [{**term, "label_short": short(term["label"]), "x": ROW_LABELS + i * CELL} for i, term in enumerate(column_terms)],
        "cells": cells,
        "largest": largest,
    }


# The vocabulary each axis's terms come from (`MapTerm.label` is English only; the page names them from
# the vocabularies its operation asks in the page's language). Countries are named by `country_name`.
AXIS_VOCABULARIES = {axis: axis for axis in AXES if axis not in ("country", "rating")} | {"rating": "evidence-rating"}


def in_page_language(evidence_map: dict, state: MapState, vocabularies: list[dict]) -> dict:
    """The map with its axes' terms labelled in the page's language; a term its vocabulary does not
    list (or a country CLDR does not know) keeps the label the map gave."""
    labels = {vocabulary["code"]: {t["code"]: t["label"] for t in vocabulary["terms"]} for vocabulary in vocabularies}

    def relabel(terms: list[dict], axis: str) -> list[dict]:
        if axis == "country":
            return [{**term, "label": country_name({"code": term["code"], "name": term["label"]})} for term in terms]
        known = labels.get(AXIS_VOCABULARIES[axis], {})
        return [{**term, "label": known.get(term["code"], term["label"])} for term in terms]

    return {
        **evidence_map,
        "rowTerms": relabel(evidence_map["rowTerms"], state.rows),
        "columnTerms": relabel(evidence_map["columnTerms"], state.columns),
    }


def cell_lookup(evidence_map: dict) -> dict[tuple[str, str], dict]:
    """Every cell by (row code, column code), for the table view."""
    return {(cell["row"], cell["column"]): cell for cell in evidence_map["cells"]}


def filter_options(state: MapState, vocabularies: list[dict]) -> list[dict]:
    """Each vocabulary filter with its terms, the selected ones ticked."""
    terms = {vocabulary["code"]: vocabulary["terms"] for vocabulary in vocabularies}
    return [
        {"filter": f, "terms": [{**term, "selected": term["code"] in state.selected.get(f.param, [])} for term in terms.get(f.vocabulary, [])]}
        for f in FILTERS if f.vocabulary
    ]
