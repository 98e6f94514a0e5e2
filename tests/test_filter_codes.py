"""List filters refuse unknown codes exactly as `searchInitiatives` does: one BAD_USER_INPUT error
listing each problem with its path, the value repeated and the likely code, instead of matching nothing."""

import pytest

from tests.factories import graphql


def _error(body: dict) -> dict:
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return error


@pytest.fixture
def world(make) -> None:  # noqa: ANN001
    """One public initiative, so that a filter matching nothing would not be an empty registry."""
    make.initiative(make.organisation("inhope", stakeholder_type="HOTLINE", country="NL"), harms=["CSAM-KNOWN"])


SHARED = {
    "harms": ["CSAM-KNOWN", "csam-known"],
    "statuses": ["Pipeline"],
    "interventionTypes": ["NOPE"],
    "stakeholderTypes": ["Hotline"],
    "ratings": ["promising"],
    "countries": ["NL", "UK"],
}


def test_the_initiatives_list_refuses_what_search_refuses_with_the_same_error(client, world) -> None:  # noqa: ANN001
    listed = _error(graphql(client, "query($f: InitiativeFilter) { initiatives(filter: $f) { totalCount } }",
                            {"f": SHARED}))
    searched = _error(graphql(client, "query($f: SearchFilter) { searchInitiatives(filter: $f) { totalHits } }",
                              {"f": SHARED}))
    assert listed["message"] == searched["message"]
    assert listed["extensions"] == searched["extensions"]
    assert sorted((p["field"][1], p["code"], p.get("suggestion")) for p in listed["extensions"]["problems"]) == [
        ("countries", "INVALID_COUNTRY", "GB"),
        ("harms", "INVALID_CODE", "CSAM-KNOWN"),
        ("interventionTypes", "INVALID_CODE", None),
        ("ratings", "INVALID_CODE", "PROMISING"),
        ("stakeholderTypes", "INVALID_CODE", "HOTLINE"),
        ("statuses", "INVALID_CODE", "PIPELINE"),
    ]
    assert "'UK' is not an ISO 3166-1 alpha-2 country code. Did you mean 'GB'?" in listed["message"]


LISTS = [
    ("initiatives", "InitiativeFilter", {"harms": ["NOPE"]}, ["filter", "harms", "0"]),
    ("initiatives", "InitiativeFilter", {"countries": ["FRA"]}, ["filter", "countries", "0"]),
    ("bestPractices", "BestPracticeFilter", {"harms": ["csam-known"]}, ["filter", "harms", "0"]),
    ("bestPractices", "BestPracticeFilter", {"interventionTypes": ["NOPE"]}, ["filter", "interventionTypes", "0"]),
    ("bestPractices", "BestPracticeFilter", {"evidenceBasis": ["NOPE"]}, ["filter", "evidenceBasis", "0"]),
    ("evidenceAssessments", "EvidenceAssessmentFilter", {"studyDesigns": ["NOPE"]}, ["filter", "studyDesigns", "0"]),
    ("evidenceAssessments", "EvidenceAssessmentFilter", {"independence": ["NOPE"]}, ["filter", "independence", "0"]),
    ("evidenceAssessments", "EvidenceAssessmentFilter", {"outcomes": ["NOPE"]}, ["filter", "outcomes", "0"]),
    ("studies", "StudyFilter", {"studyDesigns": ["NOPE"]}, ["filter", "studyDesigns", "0"]),
    ("outcomeRatings", "OutcomeRatingFilter", {"outcomes": ["NOPE"]}, ["filter", "outcomes", "0"]),
    ("outcomeRatings", "OutcomeRatingFilter", {"ratings": ["effective"]}, ["filter", "ratings", "0"]),
    ("outcomeRatings", "OutcomeRatingFilter", {"certainties": ["NOPE"]}, ["filter", "certainties", "0"]),
    ("organisations", "OrganisationFilter", {"stakeholderTypes": ["NOPE"]}, ["filter", "stakeholderTypes", "0"]),
    ("organisations", "OrganisationFilter", {"countries": ["UK"]}, ["filter", "countries", "0"]),
    ("figures", "FigureFilter", {"harms": ["csam-known"]}, ["filter", "harms", "0"]),
    ("figures", "FigureFilter", {"regions": ["NOPE"]}, ["filter", "regions", "0"]),
    ("figures", "FigureFilter", {"countries": ["UK"]}, ["filter", "countries", "0"]),
]


@pytest.mark.parametrize(("field", "input_type", "given", "path"), LISTS, ids=[f"{f}-{list(g)[0]}" for f, _, g, _ in LISTS])
def test_every_list_filter_refuses_unknown_codes(client, world, field, input_type, given, path) -> None:  # noqa: ANN001
    body = graphql(client, f"query($f: {input_type}) {{ {field}(filter: $f) {{ totalCount }} }}", {"f": given})
    assert [p["field"] for p in _error(body)["extensions"]["problems"]] == [path]


def test_known_codes_still_filter_and_the_nested_list_checks_too(client, world) -> None:  # noqa: ANN001
    query = "query($f: InitiativeFilter) { initiatives(filter: $f) { totalCount } }"
    assert graphql(client, query, {"f": {"harms": ["CSAM-KNOWN"], "countries": []}}) == {
        "data": {"initiatives": {"totalCount": 1}}}
    nested = graphql(client, """query($f: InitiativeFilter) { organisation(slug: "inhope") {
                                  initiatives(filter: $f) { totalCount } } }""", {"f": {"harms": ["NOPE"]}})
    assert [p["field"] for p in nested["errors"][0]["extensions"]["problems"]] == [["filter", "harms", "0"]]
    assert nested["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("field", "input_type", "given"),
    [
        ("initiatives", "InitiativeFilter",
         {"stakeholderTypes": ["\x00"], "countries": ["US\x00"], "statuses": ["\x00"], "harms": ["CSAM-KNOWN\x00"]}),
        ("organisations", "OrganisationFilter", {"stakeholderTypes": ["HOTLINE\x00"], "countries": ["US\x00"]}),
        ("figures", "FigureFilter", {"harms": ["\x00"], "regions": ["EU\x00"], "countries": ["US\x00"]}),
    ],
    ids=["initiatives", "organisations", "figures"],
)
def test_a_nul_in_a_code_is_an_unknown_code_not_a_crash(client, world, field, input_type, given) -> None:  # noqa: ANN001
    body = graphql(client, f"query($f: {input_type}) {{ {field}(filter: $f) {{ totalCount }} }}", {"f": given})
    assert len(_error(body)["extensions"]["problems"]) == len(given)
