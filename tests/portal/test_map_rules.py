"""The helpers of the map and study pages (api/portal/evidence_map.py, rendering.py), directly: the
page's state read from its address and written back, the bubbles' radii and colour classes, where
cells are drawn, and a study's findings beside their computed ratings. The pages themselves:
test_map_in_the_browser.py."""

from starlette.datastructures import QueryParams

from api.portal import evidence_map, rendering
from api.portal.evidence_map import MAX_RADIUS, MIN_RADIUS, MapState, bubble_radius, colour_class, drawing


def test_the_address_gives_the_state_and_the_state_its_address() -> None:
    params = QueryParams("rows=harm&columns=study-design&colour=rating&harm=CSAM-KNOWN&harm=CSAM-KNOWN&country=fr, be&row=CSAM-KNOWN&column=RCT")
    state = MapState.from_params(params)
    assert state.selected == {"harm": ["CSAM-KNOWN"], "country": ["FR", "BE"]}  # once each; countries in capitals
    assert state.variables() == {
        "rows": "HARM", "columns": "STUDY_DESIGN", "filter": {"harms": ["CSAM-KNOWN"], "countries": ["FR", "BE"]},
        "withCell": True, "row": "CSAM-KNOWN", "column": "RCT",
    }
    assert state.url() == "/map?rows=harm&columns=study-design&colour=rating&harm=CSAM-KNOWN&country=FR&country=BE&row=CSAM-KNOWN&column=RCT"
    assert state.url(row="", column="") == "/map?rows=harm&columns=study-design&colour=rating&harm=CSAM-KNOWN&country=FR&country=BE"
    assert state.url(colour="design").startswith("/map?rows=harm&columns=study-design&harm=")
    assert MapState.from_params(QueryParams(state.url().split("?", 1)[1])) == state  # a permalink reads back to the same state


def test_defaults_and_what_is_refused() -> None:
    state = MapState.from_params(QueryParams(""))
    assert (state.rows, state.columns, state.colour, state.cell_opened) == ("intervention-type", "outcome", "design", False)
    assert state.variables()["filter"] is None and state.variables()["withCell"] is False
    assert MapState.from_params(QueryParams("row=CSAM-KNOWN")).cell_opened is False  # half a cell is no cell
    assert MapState.from_params(QueryParams("rows=nothing")) is None
    assert MapState.from_params(QueryParams("columns=HARM")) is None  # the address spells axes in lower case
    assert MapState.from_params(QueryParams("colour=pink")) is None


def test_a_bubbles_area_is_in_proportion_to_its_studies() -> None:
    assert bubble_radius(0, 10) == 0 and bubble_radius(3, 0) == 0
    assert bubble_radius(10, 10) == MAX_RADIUS
    quarter = bubble_radius(25, 100)  # a quarter of the studies, a quarter of the area: half the radius
    assert abs(quarter - MAX_RADIUS / 2) <= 0.05
    assert bubble_radius(1, 10_000) == MIN_RADIUS


def test_a_bubble_is_coloured_by_its_strongest_design_or_its_best_rating() -> None:
    cell = {"designClasses": [{"designClass": "DESCRIPTIVE", "studies": 2}, {"designClass": "SMS_3", "studies": 1}], "bestRating": "PROMISING"}
    assert colour_class(cell, "design") == "design-SMS_3"
    assert colour_class(cell, "rating") == "rating-PROMISING"
    assert colour_class({"designClasses": [], "bestRating": None}, "rating") == "rating-none"
    assert colour_class({"designClasses": [], "bestRating": "NOT-RATED"}, "rating") == "rating-none"
    assert colour_class({"designClasses": [], "bestRating": None}, "design") == "design-none"


def cell(row: str, column: str, studies: int, initiatives: int, gap: str) -> dict:
    return {"row": row, "column": column, "studies": studies, "initiatives": initiatives, "gap": gap,
            "designClasses": [{"designClass": "RCT" if studies else "SR", "studies": studies}] if studies else [], "bestRating": None}


def test_only_cells_holding_something_are_drawn_each_in_its_square() -> None:
    the_map = {
        "rowTerms": [{"code": "A", "label": "Row A"}, {"code": "B", "label": "B" * 60}],
        "columnTerms": [{"code": "X", "label": "Column X"}, {"code": "Y", "label": "Column Y"}],
        "cells": [cell("A", "X", 4, 1, "WEAK_EVIDENCE_ONLY"), cell("A", "Y", 0, 0, "ABSOLUTE_GAP"),
                  cell("B", "X", 0, 2, "NO_EVIDENCE"), cell("B", "Y", 1, 1, "WEAK_EVIDENCE_ONLY")],
    }
    drawn = drawing(the_map, "design")
    assert [(c["row"], c["column"]) for c in drawn["cells"]] == [("A", "X"), ("B", "X"), ("B", "Y")]
    by_place = {(c["row"], c["column"]): c for c in drawn["cells"]}
    assert by_place[("A", "X")]["r"] == MAX_RADIUS and by_place[("B", "X")]["r"] == 0  # no study, no bubble
    assert by_place[("B", "Y")]["r"] == round(MAX_RADIUS / 2, 1)
    size = evidence_map.CELL
    assert by_place[("B", "Y")]["x"] - by_place[("A", "X")]["x"] == size and by_place[("B", "Y")]["y"] - by_place[("A", "X")]["y"] == size
    assert by_place[("B", "Y")]["row_label"] == "B" * 60
    assert drawn["rows"][1]["label_short"].endswith("…") and len(drawn["rows"][1]["label_short"]) == evidence_map.LABEL_CHARACTERS
    assert drawn["width"] == evidence_map.ROW_LABELS + 2 * size + evidence_map.COLUMN_LABELS


def test_a_studys_findings_stand_beside_their_initiatives_ratings() -> None:
    rating = {"outcome": {"code": "REMOVAL-TIME"}, "ruleId": "PIONEERING"}
    assessments = [
        {"initiative": {"id": "2", "title": "Zeta", "outcomeRatings": [rating]},
         "findings": [{"outcome": {"code": "REPORTS", "label": "Reports"}}, {"outcome": {"code": "REMOVAL-TIME", "label": "Removal time"}}]},
        {"initiative": {"id": "1", "title": "alpha", "outcomeRatings": []}, "findings": []},
        {"initiative": {"id": "2", "title": "Zeta", "outcomeRatings": [rating]}, "findings": []},
    ]
    shown = rendering.rated_findings(assessments)
    assert [(f["outcome"]["code"], f["rating"]) for f in shown[0]["findings"]] == [("REMOVAL-TIME", rating), ("REPORTS", None)]
    assert [i["title"] for i in rendering.initiatives_studied(assessments)] == ["alpha", "Zeta"]  # each once, by title


def test_a_study_is_cited_as_the_registrys_record_of_it() -> None:
    line = rendering.study_citation({"title": "A trial", "updatedAt": "2026-01-02T03:04:05Z"}, "https://lab.example/studies/X")
    assert line == "A trial. Children Online Protection Lab registry (coplab), study record, last updated 2026-01-02. https://lab.example/studies/X"
