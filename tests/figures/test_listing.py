"""The `figures` list: each filter, the year range a period overlaps, orderings and pages, and filters that
refuse what they cannot mean."""

from datetime import date

import pytest

from tests.factories import connection_pages, error_extensions, gid, graphql
from tests.figures.operations import LIST, statements

# (statement, period start, period end, precision)
PERIODS = [
    ("Over 2019-2020", date(2019, 1, 1), date(2020, 1, 1), "YEAR"),
    ("In 2021", date(2021, 1, 1), date(2021, 1, 1), "YEAR"),
    ("November 2020 to November 2022", date(2020, 11, 1), date(2022, 11, 1), "MONTH"),
    ("On 10 November 2022", date(2022, 11, 10), date(2022, 11, 10), "DAY"),
    ("In January 2023", date(2023, 1, 1), date(2023, 1, 1), "MONTH"),
]


@pytest.fixture
def world(make):  # noqa: ANN201
    inhope = make.organisation("inhope")
    ncmec = make.organisation("ncmec")
    network = make.initiative(inhope, "Network")
    tipline = make.initiative(ncmec, "Tipline")
    made = {}
    for statement, start, end, precision in PERIODS:
        made[statement] = make.figure(inhope, statement, period=(start, end), precision=precision)
    make.figure(inhope, "Reports to the tipline", period=(date(2022, 1, 1), date(2022, 1, 1)), source=ncmec,
                initiatives=[tipline], harms=["SOLICITATION"], countries=["US"], unit="reports")
    make.figure(inhope, "Hotlines of the network", period=(date(2013, 1, 1), date(2013, 1, 1)), source=inhope,
                initiatives=[network], regions=["GLOBAL"], harms=["CSAM-KNOWN"], unit="hotlines", value=44)
    return {"inhope": inhope, "ncmec": ncmec, "network": network, "tipline": tipline}


def _listed(client, given: dict, **variables: object) -> list[str]:  # noqa: ANN001
    return statements(graphql(client, LIST, {"filter": given, **variables}))


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        ({"start": 2020, "end": 2020}, ["November 2020 to November 2022", "Over 2019-2020"]),
        ({"start": 2022, "end": 2022}, ["November 2020 to November 2022", "On 10 November 2022", "Reports to the tipline"]),
        ({"start": 2023}, ["In January 2023"]),
        ({"end": 2013}, ["Hotlines of the network"]),
        ({"start": 2014, "end": 2018}, []),
        ({"start": 2021, "end": 2021}, ["In 2021", "November 2020 to November 2022"]),
    ],
    ids=["2020", "2022", "from-2023", "until-2013", "2014-2018-none", "2021"],
)
def test_a_period_filter_finds_every_figure_whose_period_overlaps_the_years(client, world, years, expected) -> None:
    assert sorted(_listed(client, {"period": years})) == expected


def test_each_filter_restricts_and_filters_combine(client, world) -> None:
    assert _listed(client, {"initiatives": [gid("Initiative", world["tipline"].id)]}) == ["Reports to the tipline"]
    assert _listed(client, {"harms": ["CSAM-KNOWN", "SOLICITATION"]}, orderBy="CREATED_AT_DESC") == [
        "Hotlines of the network", "Reports to the tipline"]
    assert _listed(client, {"sourceOrganisations": [gid("Organisation", world["inhope"].id)]}) == ["Hotlines of the network"]
    assert _listed(client, {"countries": ["us"]}) == ["Reports to the tipline"]
    assert _listed(client, {"regions": ["GLOBAL"]}) == ["Hotlines of the network"]
    assert _listed(client, {"units": ["hotlines", "reports"]}, orderBy="CREATED_AT_DESC") == [
        "Hotlines of the network", "Reports to the tipline"]
    assert _listed(client, {"units": ["reports"], "period": {"start": 2013, "end": 2013}}) == []
    # A unit no figure could have matches nothing, on every database (PostgreSQL refuses a NUL in text).
    assert _listed(client, {"units": ["reports\x00"]}) == []
    # An id of another record type names nothing, as a missing one does.
    assert _listed(client, {"initiatives": [gid("Organisation", world["inhope"].id)]}) == []


def test_the_latest_period_comes_first_and_pages_follow_each_other(client, world) -> None:
    by_period = _listed(client, {}, first=100)
    # Periods compare by their last year, month or day, whatever the precision.
    assert by_period == [
        "In January 2023", "On 10 November 2022", "November 2020 to November 2022", "Reports to the tipline",
        "In 2021", "Over 2019-2020", "Hotlines of the network",
    ]
    pages = connection_pages(client, "figures", first=2, node="statement")
    assert [edge["node"]["statement"] for page in pages for edge in page["edges"]] == by_period
    assert len(pages) == 4 and all(page["totalCount"] == 7 for page in pages)
    newest_first = _listed(client, {}, orderBy="CREATED_AT_DESC", first=100)
    assert newest_first[0] == "Hotlines of the network" and newest_first[-1] == "Over 2019-2020"


@pytest.mark.parametrize(
    ("given", "problems"),
    [
        ({"harms": ["CSAM-KNOWM"]}, [(["filter", "harms", "0"], "INVALID_CODE")]),
        ({"regions": ["Europe"]}, [(["filter", "regions", "0"], "INVALID_CODE")]),
        ({"countries": ["UK"]}, [(["filter", "countries", "0"], "INVALID_COUNTRY")]),
        ({"period": {"start": 2023, "end": 2021}}, [(["filter", "period", "end"], "INVALID_DATE_RANGE")]),
        ({"period": {"start": 0, "end": 10000}}, [(["filter", "period", "start"], "INVALID_VALUE"),
                                                  (["filter", "period", "end"], "INVALID_VALUE")]),
    ],
    ids=["harm", "region", "country", "years-reversed", "years-out-of-range"],
)
def test_filters_refuse_what_they_cannot_mean(client, world, given, problems) -> None:
    body = graphql(client, LIST, {"filter": given})
    assert body["data"] is None
    [extensions] = error_extensions(body)
    assert extensions["code"] == "BAD_USER_INPUT"
    assert [(p["field"], p["code"]) for p in extensions["problems"]] == problems
