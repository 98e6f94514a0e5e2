"""Recording a figure through the API: what is stored and shown, and who may record one."""

import pytest

from api.auth.principal import Role
from tests.factories import error_extensions, gid, graphql
from tests.figures.operations import (
    CREATE, NODE, NOTHING, create_input, db_id, full_input, problems, stored, stored_counts,
)


def test_a_figure_with_every_field_is_stored_and_read_back(client, make, db) -> None:
    iwf = make.organisation("iwf")
    ncmec = make.organisation("ncmec")
    initiative = make.initiative(ncmec, "NCMEC CyberTipline")
    token = make.token(iwf)

    payload = graphql(client, CREATE, {"input": full_input(initiative, ncmec)}, token)["data"]["createFigure"]

    assert payload["userErrors"] == []
    figure = payload["figure"]
    assert figure == {
        "id": figure["id"],
        "statement": "Platforms detected 99% of the 88.3 million images and videos reported last year.",
        "value": 99.0,
        "unit": "%",
        "denominator": "of the images and videos reported to the CyberTipline",
        "periodStart": "2022-01-01",
        "periodEnd": "2022-01-01",
        "periodPrecision": "YEAR",
        "visibility": "MEMBERS",
        "recordingOrganisation": {"slug": "iwf"},
        "sourceOrganisation": {"slug": "ncmec"},
        "initiatives": [{"title": "NCMEC CyberTipline"}],
        "harms": [{"code": "CSAM-KNOWN"}, {"code": "CSAM-NEW"}],
        "regions": [{"code": "GLOBAL"}],
        "countries": [{"code": "US"}],
        "provenance": [{"source": "Open letter, 9 November 2023", "passage": "platforms detected 99%", "note": "2022"}],
    }
    assert graphql(client, NODE, {"id": figure["id"]}, token)["data"]["node"] == figure
    assert stored_counts(db) == {"figure": 1, "figure_classification": 4, "figure_initiative": 1}


def test_a_figure_given_in_words_only_has_no_value(client, make, db) -> None:
    payload = graphql(
        client,
        CREATE,
        {"input": create_input(value=None, statement="Almost half of all removal notices had been flagged before.")},
        make.token(make.organisation("c3p")),
    )["data"]["createFigure"]
    assert payload["userErrors"] == []
    assert (payload["figure"]["value"], payload["figure"]["unit"]) == (None, "%")


def test_a_day_precision_is_the_default_and_a_period_may_span_months(client, make, db) -> None:
    token = make.token(make.organisation("point-de-contact"))
    omitted = create_input(periodStart="2022-11-10", periodEnd="2022-11-10")
    del omitted["periodPrecision"]
    by_day = graphql(client, CREATE, {"input": omitted}, token)["data"]["createFigure"]
    assert (by_day["userErrors"], by_day["figure"]["periodPrecision"]) == ([], "DAY")
    months = graphql(client, CREATE, {"input": create_input(periodStart="2020-11-01", periodEnd="2022-11-01",
                                                           periodPrecision="MONTH")}, token)["data"]["createFigure"]
    assert months["userErrors"] == []
    assert (months["figure"]["periodStart"], months["figure"]["periodEnd"]) == ("2020-11-01", "2022-11-01")


def test_the_recording_organisation_is_the_callers_and_cannot_be_sent(client, make, db) -> None:
    iwf = make.organisation("iwf")
    other = make.organisation("other")
    body = graphql(client, CREATE, {"input": create_input(recordingOrganisation=gid("Organisation", other.id))},
                   make.token(iwf))
    assert body["data"] is None
    assert error_extensions(body)[0]["code"] == "SERVER_OWNED_FIELD"
    assert stored_counts(db) == NOTHING


def test_a_contributor_records_a_figure_and_a_viewer_may_not(client, make, db) -> None:
    iwf = make.organisation("iwf")
    contributor = make.member(iwf, "analyst@iwf.example", Role.CONTRIBUTOR)
    viewer = make.member(iwf, "reader@iwf.example", Role.VIEWER)

    refused = graphql(client, CREATE, {"input": create_input()}, make.token(iwf, user=viewer))["data"]["createFigure"]
    assert (refused["figure"], problems(refused)) == (None, [(["input"], "FORBIDDEN")])
    assert stored_counts(db) == NOTHING

    made = graphql(client, CREATE, {"input": create_input()}, make.token(iwf, user=contributor))["data"]["createFigure"]
    assert made["userErrors"] == []
    row, _, _ = stored(db, db_id(made["figure"]["id"]))
    assert (row["recording_organisation_id"], row["created_by"]) == (iwf.id, f"user:{contributor.id}")


@pytest.mark.parametrize(
    ("scopes", "code"),
    [(None, "UNAUTHENTICATED"), ("initiatives:write practices:write assessments:read", "FORBIDDEN")],
    ids=["anonymous", "without-assessments-write"],
)
def test_recording_needs_a_token_with_assessments_write(client, make, db, scopes, code) -> None:
    token = None if scopes is None else make.token(make.organisation("iwf"), scopes)
    body = graphql(client, CREATE, {"input": create_input()}, token)
    assert body["data"] is None
    assert error_extensions(body)[0]["code"] == code
    assert stored_counts(db) == NOTHING
