"""Each bad input names its field and code, and nothing is written: on create, and on update (the
stored figure stays as it was). The rules the schema cannot reach are in test_input_rules.py."""

import json
import math

import pytest

from api.organisations.models import OrganisationStatus
from tests.factories import error_extensions, gid, graphql
from tests.figures.operations import CREATE, NOTHING, UPDATE, create_input, problems, stored, stored_counts

CASES = [
    # unit and period: required, and a period that holds together
    pytest.param({"unit": "   "}, ["unit"], "BLANK", id="unit-blank"),
    pytest.param({"statement": ""}, ["statement"], "BLANK", id="statement-blank"),
    pytest.param({"periodStart": "2022-01-01", "periodEnd": "2021-01-01"}, ["periodEnd"], "INVALID_DATE_RANGE",
                 id="period-end-before-start"),
    pytest.param({"periodStart": "2021-05-01"}, ["periodStart"], "INVALID_VALUE", id="year-precision-not-first-day"),
    pytest.param({"periodEnd": "2022-03-15", "periodPrecision": "MONTH", "periodStart": "2022-01-01"}, ["periodEnd"],
                 "INVALID_VALUE", id="month-precision-not-first-day"),
    # codes
    pytest.param({"harms": ["CSAM-KNOWN", "CSAM-KNOWM"]}, ["harms", "1"], "INVALID_CODE", id="unknown-harm"),
    pytest.param({"regions": ["MOON"]}, ["regions", "0"], "INVALID_CODE", id="unknown-region"),
    pytest.param({"countries": ["FR", "XX"]}, ["countries", "1"], "INVALID_COUNTRY", id="unknown-country"),
    pytest.param({"countries": ["UK"]}, ["countries", "0"], "INVALID_COUNTRY", id="country-alias"),
    pytest.param({"harms": ["CSAM-KNOWN"] * 51}, ["harms"], "TOO_MANY", id="too-many-harms"),
    # lengths and characters
    pytest.param({"statement": "s" * 2001}, ["statement"], "TOO_LONG", id="statement-length"),
    pytest.param({"unit": "u" * 101}, ["unit"], "TOO_LONG", id="unit-length"),
    pytest.param({"denominator": "d" * 301}, ["denominator"], "TOO_LONG", id="denominator-length"),
    pytest.param({"unit": "re\nports"}, ["unit"], "CONTROL_CHARACTERS", id="unit-line-break"),
    pytest.param({"denominator": "of \u202ereports"}, ["denominator"], "CONTROL_CHARACTERS", id="denominator-bidi"),
    pytest.param({"statement": "bell\x07"}, ["statement"], "CONTROL_CHARACTERS", id="statement-bell"),
    # provenance
    pytest.param({"provenance": [{"source": " "}]}, ["provenance", "0", "source"], "BLANK", id="provenance-source-blank"),
    pytest.param({"provenance": [{"source": "Report", "passage": "p" * 2001}]}, ["provenance", "0", "passage"],
                 "TOO_LONG", id="provenance-passage-length"),
    pytest.param({"provenance": [{"source": "Report"}] * 21}, ["provenance"], "TOO_MANY", id="too-many-sources"),
]


@pytest.mark.parametrize(("overrides", "field", "code"), CASES)
def test_bad_input_is_refused_and_nothing_written(client, make, db, overrides: dict, field: list, code: str) -> None:
    payload = graphql(client, CREATE, {"input": create_input(**overrides)}, make.token(make.organisation("iwf")))
    payload = payload["data"]["createFigure"]
    assert payload["figure"] is None
    assert problems(payload) == [(["input", *field], code)]
    assert payload["userErrors"][0]["message"]
    assert stored_counts(db) == NOTHING


def test_every_problem_is_reported_at_once(client, make, db) -> None:
    payload = graphql(
        client,
        CREATE,
        {"input": create_input(unit="", periodStart="2023-01-01", harms=["NOPE"], countries=["ZZ"])},
        make.token(make.organisation("iwf")),
    )["data"]["createFigure"]
    assert sorted(problems(payload)) == sorted([
        (["input", "unit"], "BLANK"),
        (["input", "periodEnd"], "INVALID_DATE_RANGE"),
        (["input", "harms", "0"], "INVALID_CODE"),
        (["input", "countries", "0"], "INVALID_COUNTRY"),
    ])
    assert stored_counts(db) == NOTHING


def test_the_likely_code_is_suggested(client, make, db) -> None:
    payload = graphql(client, CREATE, {"input": create_input(countries=["UK"], harms=["csam-known"])},
                      make.token(make.organisation("iwf")))["data"]["createFigure"]
    suggestions = {tuple(e["field"]): e["message"] for e in payload["userErrors"]}
    assert "Did you mean 'GB'?" in suggestions[("input", "countries", "0")]
    assert "Did you mean 'CSAM-KNOWN'?" in suggestions[("input", "harms", "0")]


@pytest.mark.parametrize("missing", ["unit", "periodStart", "periodEnd", "statement"])
def test_a_figure_without_a_unit_or_a_period_is_refused_before_anything_runs(client, make, db, missing) -> None:
    values = create_input()
    del values[missing]
    body = graphql(client, CREATE, {"input": values}, make.token(make.organisation("iwf")))
    assert body["data"] is None
    assert error_extensions(body)[0]["code"] == "BAD_USER_INPUT"
    assert missing in body["errors"][0]["message"]
    assert stored_counts(db) == NOTHING


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "infinity", "minus-infinity"])
def test_a_value_that_is_not_finite_is_refused(client, make, db, value: float) -> None:
    # Python's JSON writes NaN and Infinity, which some clients send; GraphQL's Float refuses them.
    response = client.post(
        "/graphql",
        content=json.dumps({"query": CREATE, "variables": {"input": create_input(value=value)}}),
        headers={"Authorization": f"Bearer {make.token(make.organisation('iwf'))}", "Content-Type": "application/json"},
    )
    body = response.json()
    assert body["data"] is None
    assert error_extensions(body)[0]["code"] == "BAD_USER_INPUT"
    assert "value" in body["errors"][0]["message"]
    assert stored_counts(db) == NOTHING


def test_links_to_records_the_caller_cannot_read_are_not_found(client, make, db) -> None:
    iwf = make.organisation("iwf")
    pending = make.organisation("pending", status=OrganisationStatus.PENDING)
    hidden = make.initiative(make.organisation("other"), "Internal", visibility="ORGANISATION")
    visible = make.initiative(iwf, "Open")
    payload = graphql(
        client,
        CREATE,
        {"input": create_input(
            sourceOrganisation=gid("Organisation", pending.id),
            initiatives=[gid("Initiative", visible.id), gid("Initiative", hidden.id), gid("Initiative", 999_999)],
        )},
        make.token(iwf),
    )["data"]["createFigure"]
    assert problems(payload) == [
        (["input", "sourceOrganisation"], "NOT_FOUND"),
        (["input", "initiatives", "1"], "NOT_FOUND"),
        (["input", "initiatives", "2"], "NOT_FOUND"),
    ]
    assert stored_counts(db) == NOTHING


def test_an_id_of_another_record_type_is_not_found(client, make, db) -> None:
    iwf = make.organisation("iwf")
    initiative = make.initiative(iwf)
    for overrides, field in (
        ({"sourceOrganisation": gid("Initiative", initiative.id)}, ["input", "sourceOrganisation"]),
        ({"initiatives": [gid("Organisation", iwf.id)]}, ["input", "initiatives", "0"]),
    ):
        payload = graphql(client, CREATE, {"input": create_input(**overrides)}, make.token(iwf))["data"]["createFigure"]
        assert problems(payload) == [(field, "NOT_FOUND")]
    assert stored_counts(db) == NOTHING


def test_too_many_initiatives_are_refused(client, make, db) -> None:
    iwf = make.organisation("iwf")
    initiative = make.initiative(iwf)
    payload = graphql(client, CREATE, {"input": create_input(initiatives=[gid("Initiative", initiative.id)] * 51)},
                      make.token(iwf))["data"]["createFigure"]
    assert problems(payload) == [(["input", "initiatives"], "TOO_MANY")]
    assert stored_counts(db) == NOTHING


UPDATE_CASES = [
    pytest.param({"unit": None}, ["unit"], "REQUIRED", id="unit-cleared"),
    pytest.param({"statement": None}, ["statement"], "REQUIRED", id="statement-cleared"),
    pytest.param({"periodStart": None}, ["periodStart"], "REQUIRED", id="period-start-cleared"),
    pytest.param({"periodEnd": None}, ["periodEnd"], "REQUIRED", id="period-end-cleared"),
    pytest.param({"periodPrecision": None}, ["periodPrecision"], "REQUIRED", id="precision-cleared"),
    pytest.param({"visibility": None}, ["visibility"], "REQUIRED", id="visibility-cleared"),
    # Checked against the stored period: the figure covers 2022 (YEAR).
    pytest.param({"periodEnd": "2021-01-01"}, ["periodEnd"], "INVALID_DATE_RANGE", id="end-before-stored-start"),
    pytest.param({"periodPrecision": "YEAR", "periodStart": "2021-06-01"}, ["periodStart"], "INVALID_VALUE",
                 id="start-not-first-day-of-year"),
    pytest.param({"harms": ["NOPE"]}, ["harms", "0"], "INVALID_CODE", id="unknown-harm"),
    pytest.param({"countries": ["Atlantis"]}, ["countries", "0"], "INVALID_COUNTRY", id="unknown-country"),
]


@pytest.mark.parametrize(("changes", "field", "code"), UPDATE_CASES)
def test_a_refused_update_changes_nothing(client, make, db, changes: dict, field: list, code: str) -> None:
    iwf = make.organisation("iwf")
    figure = make.figure(iwf, harms=["CSAM-KNOWN"], countries=["GB"])
    before = stored(db, figure.id)

    payload = graphql(client, UPDATE, {"input": {"id": gid("Figure", figure.id), **changes}}, make.token(iwf))
    payload = payload["data"]["updateFigure"]

    assert payload["figure"] is None
    assert problems(payload) == [(["input", *field], code)]
    assert stored(db, figure.id) == before
