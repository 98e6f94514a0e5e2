"""A figure is context, never evidence: it has no rating, certainty or effect direction to read or write,
and recording one on an initiative leaves what the initiative's evidence says unchanged."""

from tests.factories import error_extensions, gid, graphql
from tests.figures.operations import CREATE, NOTHING, create_input, stored_counts

EVIDENCE_FIELDS = {"rating", "certainty", "effectDirection", "effectSize", "findings", "studyDesign", "sourceRating"}
FIELDS = """query($name: String!) { __type(name: $name) { fields { name } inputFields { name } } }"""


def _fields(client, name: str) -> set[str]:  # noqa: ANN001
    described = graphql(client, FIELDS, {"name": name})["data"]["__type"]
    return {f["name"] for f in (described["fields"] or described["inputFields"])}


def test_no_figure_type_or_input_has_a_rating_certainty_or_effect(client) -> None:
    for name in ("Figure", "CreateFigureInput", "UpdateFigureInput"):
        fields = _fields(client, name)
        assert "statement" in fields and "unit" in fields, name
        assert not fields & EVIDENCE_FIELDS, (name, fields & EVIDENCE_FIELDS)


def test_a_rating_sent_with_a_figure_is_refused(client, make, db) -> None:
    body = graphql(client, CREATE, {"input": create_input(rating="EFFECTIVE", certainty="HIGH")},
                   make.token(make.organisation("iwf")))
    assert body["data"] is None
    assert {e["code"] for e in error_extensions(body)} == {"UNKNOWN_INPUT_FIELD"}
    assert stored_counts(db) == NOTHING


def test_a_figure_on_an_initiative_changes_nothing_its_evidence_says(client, make, db) -> None:
    ncmec = make.organisation("ncmec")
    tipline = make.initiative(ncmec, "CyberTipline")
    query = """query($id: ID!) { node(id: $id) { ... on Initiative { updatedAt assessments { id } } } }
               ratings: initiatives(filter: {ratings: ["EMERGING", "EFFECTIVE", "NOT-RATED"]}) { totalCount }"""
    before = graphql(client, query, {"id": gid("Initiative", tipline.id)})
    made = graphql(client, CREATE, {"input": create_input(initiatives=[gid("Initiative", tipline.id)])},
                   make.token(ncmec))["data"]["createFigure"]
    assert made["userErrors"] == [] and made["figure"]["initiatives"] == [{"title": "CyberTipline"}]
    assert graphql(client, query, {"id": gid("Initiative", tipline.id)}) == before
