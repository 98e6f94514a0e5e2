"""Each bad input names its field and code, and nothing is written."""

import json
import math
from datetime import date, timedelta

import pytest

from tests.evidence.operations import (
    ASSESSMENT_FIELDS,
    CREATE,
    create_input,
    finding,
    initiative_updated_at,
    new_study,
    problems,
    stored_counts,
    stored_revisions,
    stored_studies,
)
from tests.factories import graphql
from tests.factories.reviews import ReviewPanel

# Beyond today in every time zone, whatever the test machine's own.
FUTURE = (date.today() + timedelta(days=3)).isoformat()

CASES = [
    # unknown vocabulary codes
    pytest.param({"independence": "NEUTRAL"}, ["independence"], "INVALID_CODE", id="independence-code"),
    pytest.param({"studyDesign": "ANECDOTE"}, ["studyDesign"], "INVALID_CODE", id="study-design-code"),
    *(
        pytest.param(
            {"findings": [finding(), finding(**{name: "UNKNOWN"})]},
            ["findings", "1", name],
            "INVALID_CODE",
            id=f"finding-{name}-code",
        )
        for name in ("outcome", "effectDirection", "significance", "comparison", "riskOfBias", "proposedRating",
                     "proposedCertainty", "sourceScheme")
    ),
    pytest.param({"findings": [finding(proposedRating="effective")]}, ["findings", "0", "proposedRating"],
                 "INVALID_CODE", id="codes-are-case-sensitive"),
    # findings that contradict themselves or their study's design (an interrupted time series: unmatched at best)
    pytest.param({"findings": [finding(comparison="RANDOMISED")]}, ["findings", "0", "comparison"],
                 "CONTRADICTS_DESIGN", id="comparison-stronger-than-design"),
    pytest.param({"studyDesign": "CASE", "findings": [finding(comparison=None)]}, ["findings", "0", "significance"],
                 "INCONSISTENT_FINDING", id="significance-without-comparison"),
    pytest.param({"findings": [finding(effectDirection="NO-EFFECT")]}, ["findings", "0", "significance"],
                 "INCONSISTENT_FINDING", id="significant-without-direction"),
    pytest.param({"findings": [finding(significance="NOT-TESTED", pValue=0.2)]}, ["findings", "0", "pValue"],
                 "INCONSISTENT_FINDING", id="p-value-untested"),
    pytest.param({"findings": [finding(effectSize=0.5, ciLow=0.1, ciHigh=0.4)]}, ["findings", "0", "ciLow"],
                 "CI_EXCLUDES_ESTIMATE", id="ci-without-its-estimate"),
    pytest.param({"findings": [finding(effectSize=0.5, ciLow=0.6, ciHigh=0.4)]}, ["findings", "0", "ciHigh"],
                 "INVALID_VALUE", id="ci-upside-down"),
    pytest.param({"findings": [finding(effectSize=0.5, ciLow=0.1)]}, ["findings", "0", "ciHigh"], "REQUIRED",
                 id="ci-one-bound"),
    pytest.param({"findings": [finding(ciLow=0.1, ciHigh=0.4)]}, ["findings", "0", "effectSize"], "REQUIRED",
                 id="ci-without-estimate"),
    pytest.param({"findings": [finding(followUpMonths=-1)]}, ["findings", "0", "followUpMonths"], "INVALID_VALUE",
                 id="negative-follow-up"),
    pytest.param({"findings": [finding(pValue=1.5)]}, ["findings", "0", "pValue"], "INVALID_VALUE", id="p-above-one"),
    pytest.param({"findings": [finding(outcome="REPORT-VOLUME", significance="NOT-TESTED")]},
                 ["findings", "0", "effectDirection"], "CONTEXT_ONLY_OUTCOME", id="context-outcome-with-direction"),
    pytest.param({"publishedPrecision": "YEAR"}, ["publishedOn"], "REQUIRED", id="precision-without-date"),
    pytest.param({"countries": ["XX"]}, ["countries", "0"], "INVALID_COUNTRY", id="unknown-country"),
    # DOI and URL shapes
    *(
        pytest.param({"referenceDoi": doi}, ["referenceDoi"], "INVALID_VALUE", id=f"doi-{doi}")
        for doi in ("10.abc/xyz", "11.1000/xyz", "10.1000", "10.1000/", "https://example.org/10.1000/x", "xyz")
    ),
    *(
        pytest.param({"referenceUrl": url}, ["referenceUrl"], "INVALID_URL", id=f"url-{url}")
        for url in ("example.org/report", "ftp://example.org/report.pdf", "javascript:alert(1)", "https://")
    ),
    # lengths
    pytest.param({"title": "t" * 301}, ["title"], "TOO_LONG", id="title-length"),
    pytest.param({"setting": "s" * 2001}, ["setting"], "TOO_LONG", id="setting-length"),
    pytest.param({"followUp": "f" * 501}, ["followUp"], "TOO_LONG", id="follow-up-length"),
    pytest.param({"referenceUrl": "https://example.org/" + "a" * 2000}, ["referenceUrl"], "TOO_LONG", id="url-length"),
    pytest.param({"limitations": "l" * 20_001}, ["limitations"], "TOO_LONG", id="limitations-length"),
    pytest.param({"conflictsOfInterest": "c" * 20_001}, ["conflictsOfInterest"], "TOO_LONG", id="conflicts-length"),
    pytest.param({"findings": [finding(sourceRating="r" * 101)]}, ["findings", "0", "sourceRating"], "TOO_LONG",
                 id="source-rating-length"),
    pytest.param({"findings": [finding(effectSizeMetric="m" * 101)]}, ["findings", "0", "effectSizeMetric"],
                 "TOO_LONG", id="effect-size-metric-length"),
    pytest.param({"findings": [finding(notes="n" * 2001)]}, ["findings", "0", "notes"], "TOO_LONG",
                 id="notes-length"),
    # control characters (line breaks only in long text)
    pytest.param({"title": "Removal\x01times"}, ["title"], "CONTROL_CHARACTERS", id="title-c0"),
    pytest.param({"title": "Removal\ntimes"}, ["title"], "CONTROL_CHARACTERS", id="title-line-break"),
    pytest.param({"followUp": "12\tmonths"}, ["followUp"], "CONTROL_CHARACTERS", id="follow-up-tab"),
    pytest.param({"limitations": "bell\x07"}, ["limitations"], "CONTROL_CHARACTERS", id="limitations-bell"),
    pytest.param({"conflictsOfInterest": "esc\x1b[31m"}, ["conflictsOfInterest"], "CONTROL_CHARACTERS",
                 id="conflicts-escape"),
    pytest.param({"findings": [finding(sourceRating="B\x85plus")]}, ["findings", "0", "sourceRating"],
                 "CONTROL_CHARACTERS", id="source-rating-c1"),
    # other values
    pytest.param({"title": "   "}, ["title"], "BLANK", id="title-blank"),
    pytest.param({"publishedOn": FUTURE}, ["publishedOn"], "INVALID_VALUE", id="published-in-future"),
    pytest.param({"sampleSize": -1}, ["sampleSize"], "INVALID_VALUE", id="negative-sample-size"),
    pytest.param({"findings": [finding()] * 51}, ["findings"], "TOO_MANY", id="too-many-findings"),
]


STUDY_FIELDS = {"title", "studyDesign", "referenceDoi", "referenceUrl", "setting", "publishedOn", "publishedPrecision",
                "sampleSize", "countries", "population", "funder", "sampleKey", "period"}


def _input(initiative, overrides: dict) -> dict:  # noqa: ANN001
    """The input with the study's fields in `newStudy`, the assessment's own at the top."""
    study = {k: v for k, v in overrides.items() if k in STUDY_FIELDS}
    rest = {k: v for k, v in overrides.items() if k not in STUDY_FIELDS}
    return create_input(initiative, newStudy=new_study(**study), **rest)


def _path(field: list) -> list:
    return ["newStudy", *field] if field[0] in STUDY_FIELDS else field


@pytest.mark.parametrize(("overrides", "field", "code"), CASES)
def test_bad_input_is_refused_and_nothing_written(client, make, db, overrides: dict, field: list, code: str) -> None:
    lead = make.organisation("lead")
    initiative = make.initiative(lead)
    before = initiative_updated_at(db, initiative.id)

    body = graphql(
        client, CREATE, {"input": _input(initiative, overrides)}, make.token(make.organisation("assessor"))
    )

    payload = body["data"]["createEvidenceAssessment"]
    assert payload["evidenceAssessment"] is None
    assert problems(payload) == [(["input", *_path(field)], code)]
    assert payload["userErrors"][0]["message"]
    assert stored_counts(db) == (0, 0)
    assert stored_revisions(db) == []
    assert stored_studies(db) == 0
    assert initiative_updated_at(db, initiative.id) == before


@pytest.mark.parametrize(
    ("overrides", "stored"),
    [
        pytest.param({"referenceDoi": "10.1000/182"}, "10.1000/182", id="doi"),
        pytest.param({"referenceDoi": "doi:10.1016/j.chiabu.2021.1"}, "10.1016/j.chiabu.2021.1", id="doi-prefix"),
        pytest.param({"referenceDoi": "HTTP://DX.DOI.ORG/10.1000.10/abc(2)"}, "10.1000.10/abc(2)", id="doi-resolver"),
        pytest.param({"sampleSize": 0}, 0, id="sample-size-zero"),
        pytest.param({"publishedOn": date.today().isoformat()}, date.today().isoformat(), id="published-today"),
        pytest.param({"title": "t" * 300}, "t" * 300, id="title-at-limit"),
        pytest.param({"findings": [finding()] * 50}, 50, id="fifty-findings"),
        pytest.param({"findings": [finding(effectSize=0.3, ciLow=0.3, ciHigh=0.3)]}, 1, id="ci-at-its-estimate"),
        pytest.param({"findings": [finding(outcome="REPORT-VOLUME", effectDirection="NOT-APPLICABLE",
                                           significance="NOT-TESTED")]}, 1, id="context-outcome"),
    ],
)
def test_values_at_the_limits_are_accepted(client, make, db, overrides: dict, stored: object) -> None:
    initiative = make.initiative(make.organisation("lead"))
    token = make.token(make.organisation("assessor"))
    payload = graphql(client, CREATE, {"input": _input(initiative, overrides)}, token)["data"]["createEvidenceAssessment"]
    assert payload["userErrors"] == []
    assert payload["revision"]["state"] == "DRAFT"  # accepted as a draft; stored as published after review
    (name,) = overrides
    created = ReviewPanel(client, make, db).publish(token, _input(initiative, overrides), ASSESSMENT_FIELDS)
    value = (created["study"] if name in STUDY_FIELDS else created)[name]
    assert (len(value) if name == "findings" else value) == stored


@pytest.mark.parametrize("value", [math.nan, math.inf], ids=["nan", "infinity"])
def test_a_non_finite_effect_size_is_refused(client, make, db, value: float) -> None:
    initiative = make.initiative(make.organisation("lead"))
    variables = {"input": create_input(initiative, findings=[finding(effectSize=value)])}
    # Python's JSON writes NaN and Infinity, which some clients send; GraphQL's Float refuses them.
    response = client.post(
        "/graphql",
        content=json.dumps({"query": CREATE, "variables": variables}),
        headers={"Authorization": f"Bearer {make.token(make.organisation('assessor'))}",
                 "Content-Type": "application/json"},
    )
    body = response.json()
    assert body["data"] is None
    assert "effectSize" in body["errors"][0]["message"]
    assert stored_counts(db) == (0, 0)
