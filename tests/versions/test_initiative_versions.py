"""Initiatives publish directly, and every change readers can see is a numbered version: version 1 stays
readable after version 2, and the diff between them names exactly the fields that changed."""

from api.versions.models import RecordVersion
from tests.factories import graphql, mutate, user_errors

CREATE = {
    "title": "Hotline network",
    "status": "IMPLEMENTATION",
    "summary": "Reports travel between national hotlines.",
    "harms": ["CSAM-KNOWN"],
    "countries": ["FR"],
}
VERSIONS = """
query ($id: ID!) { node(id: $id) { ... on Initiative {
  versions { number publication changeNote publishedBy { slug } snapshot }
  first: version(number: 1) { number snapshot }
  missing: version(number: 9) { number }
  diff(from: 1, to: 2) { op path from value }
  noDiff: diff(from: 1, to: 9) { op }
} } }
"""


def _versions(client, token, initiative_id: str) -> dict:  # noqa: ANN001
    body = graphql(client, VERSIONS, {"id": initiative_id}, token=token)
    assert "errors" not in body, body
    return body["data"]["node"]


def test_an_edit_is_version_2_with_a_diff_of_exactly_the_changed_fields(client, make, db) -> None:  # noqa: ANN001
    inhope = make.organisation("inhope", stakeholder_type="HOTLINE")
    token = make.token(inhope)
    created = mutate(client, "createInitiative", CREATE, token, "initiative { id }")
    assert user_errors(created) == []
    initiative_id = created["initiative"]["id"]
    edit = {"id": initiative_id, "title": "European hotline network", "harms": ["CSAM-KNOWN", "CSAM-NEW"]}
    assert user_errors(mutate(client, "updateInitiative", edit, token)) == []

    node = _versions(client, token, initiative_id)
    assert [(v["number"], v["publication"], v["publishedBy"]) for v in node["versions"]] == [
        (1, "DIRECT", {"slug": "inhope"}),
        (2, "DIRECT", {"slug": "inhope"}),
    ]
    assert node["first"]["snapshot"]["title"] == "Hotline network"
    assert node["first"]["snapshot"]["classifications"]["harm"] == ["CSAM-KNOWN"]
    assert node["versions"][1]["snapshot"]["title"] == "European hotline network"
    assert node["missing"] is None and node["noDiff"] is None
    assert sorted(node["diff"], key=lambda op: op["path"]) == [
        {"op": "add", "path": "/classifications/harm/1", "from": None, "value": "CSAM-NEW"},
        {"op": "replace", "path": "/title", "from": None, "value": "European hotline network"},
    ]


def test_a_write_that_changes_nothing_readers_compare_makes_no_version(client, make, db) -> None:  # noqa: ANN001
    inhope = make.organisation("inhope", stakeholder_type="HOTLINE")
    token = make.token(inhope)
    initiative_id = mutate(client, "createInitiative", CREATE, token, "initiative { id }")["initiative"]["id"]
    assert user_errors(mutate(client, "updateInitiative", {"id": initiative_id, "title": CREATE["title"]}, token)) == []
    assert [v["number"] for v in _versions(client, token, initiative_id)["versions"]] == [1]
    assert db.query(RecordVersion).count() == 1


def test_versions_of_another_organisations_hidden_initiative_are_missing(client, make) -> None:  # noqa: ANN001
    inhope = make.organisation("inhope", stakeholder_type="HOTLINE")
    other = make.organisation("other-hotline", stakeholder_type="HOTLINE")
    token = make.token(inhope)
    hidden = mutate(client, "createInitiative", {**CREATE, "visibility": "ORGANISATION"}, token, "initiative { id }")
    initiative_id = hidden["initiative"]["id"]
    assert _versions(client, token, initiative_id)["versions"][0]["number"] == 1
    for caller in (make.token(other), None):
        body = graphql(client, VERSIONS, {"id": initiative_id}, token=caller)
        assert body == {"data": {"node": None}}, body
