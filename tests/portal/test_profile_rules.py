"""The profile's helpers in rendering.py, without a server: a rating's trace made readable, a
figure's period and number, and the versions' diffs as lines (docs/portal.md, "The profile's
trace, figures and versions")."""

from api.portal import rendering


def test_the_trace_splits_counted_from_set_aside_and_says_which_way_each_step_moved() -> None:
    study = {"study": {"id": "U3R1ZHk6MQ==", "title": "An evaluation"}}
    rating = {
        "contributions": [
            {"findingId": 1, "counted": True, "reason": None, "explanation": "Kept."},
            {"findingId": 2, "counted": False, "reason": "NO-COMPARISON", "explanation": "No comparison."},
            {"findingId": 3, "counted": False, "reason": "LOW-DESIGN", "explanation": "Too weak."},
        ],
        "certaintyTrace": [
            {"domain": "START", "change": 0, "explanation": "Randomised.", "level": {"label": "High"}},
            {"domain": "RISK-OF-BIAS", "change": -1, "explanation": "Some concerns.", "level": {"label": "Moderate"}},
            {"domain": "LARGE-EFFECT", "change": 1, "explanation": "Large.", "level": {"label": "High"}},
            {"domain": "IMPRECISION", "change": 0, "explanation": "Precise.", "level": {"label": "High"}},
        ],
    }
    trace = rendering.rating_trace(rating, {1: study, 2: study})
    assert [c["findingId"] for c in trace["counted"]] == [1]
    assert [c["findingId"] for c in trace["set_aside"]] == [2, 3]
    assert trace["counted"][0]["assessment"] is study
    assert trace["set_aside"][1]["assessment"] is None  # a finding the visitor may not read
    assert [step["moved"] for step in trace["steps"]] == ["start", "down", "up", "none"]


def test_findings_by_outcome_gives_each_rated_outcome_its_trace() -> None:
    assessment = {"findings": [{"findingId": 7, "outcome": {"code": "A", "label": "Alpha"}}]}
    initiative = {
        "outcomeRatings": [{"outcome": {"code": "A", "label": "Alpha"}, "contributions": [{"findingId": 7, "counted": True, "explanation": "Kept."}], "certaintyTrace": []}],
        "assessments": [assessment, {"findings": [{"findingId": 8, "outcome": {"code": "B", "label": "Beta"}}]}],
    }
    alpha, beta = rendering.findings_by_outcome(initiative)
    assert alpha["trace"]["counted"][0]["assessment"] is assessment
    assert beta["rating"] is None and beta["trace"] is None


def test_a_figures_period_is_as_precise_as_its_source() -> None:
    assert rendering.figure_period({"periodStart": "2021-01-01", "periodEnd": "2021-12-31", "periodPrecision": "YEAR"}) == "2021"
    assert rendering.figure_period({"periodStart": "2019-01-01", "periodEnd": "2021-12-31", "periodPrecision": "YEAR"}) == "2019–2021"
    assert rendering.figure_period({"periodStart": "2021-03-01", "periodEnd": "2021-03-31", "periodPrecision": "MONTH"}) == "2021-03"
    assert rendering.figure_period({"periodStart": "2021-03-01", "periodEnd": "2021-03-02", "periodPrecision": "DAY"}) == "2021-03-01–2021-03-02"
    assert rendering.figure_value(32000000.0) == "32,000,000"
    assert rendering.figure_value(12.5) == "12.5"
    assert rendering.figure_value(None) == ""


def test_the_latest_five_versions_are_compared_each_with_the_one_before() -> None:
    assert rendering.version_pairs([{"number": 1}]) == []
    assert rendering.version_pairs([{"number": 2}, {"number": 1}]) == [(1, 2)]
    assert rendering.version_pairs([{"number": n} for n in range(1, 9)]) == [(3, 4), (4, 5), (5, 6), (6, 7), (7, 8)]


def test_a_diff_reads_as_labelled_changes_quoting_only_short_values() -> None:
    lines = rendering.changes([
        {"op": "replace", "path": "/plannedStart", "value": "2024-01-01"},
        {"op": "replace", "path": "/description", "value": "x" * (rendering.SHORT_VALUE + 1)},
        {"op": "add", "path": "/links/0/url", "value": "https://example.org"},
        {"op": "add", "path": "/harms/-", "value": {"code": "CSAM"}},
        {"op": "remove", "path": "/countries/1", "value": None},
        {"op": "move", "path": "/a~1b", "from": "/old~0name"},
        {"op": "replace", "path": "/sustained", "value": True},
    ])
    assert [(line["field"], line["what"], line["value"]) for line in lines] == [
        ("Planned start", "changed", "2024-01-01"),
        ("Description", "changed", None),  # a long text is said to have changed, not quoted
        ("Links › 1 › Url", "added", "https://example.org"),
        ("Harms › new item", "added", None),
        ("Countries › 2", "removed", None),
        ("A/b", "moved", None),
        ("Sustained", "changed", "yes"),
    ]
    assert lines[5]["source"] == "Old~name"
    assert rendering.field_label("") == "The whole record"
