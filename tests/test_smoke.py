"""The path of the README: a token, an initiative with a partner, read back, hidden from others."""

from tests.factories import gid, graphql

CREATE = """
mutation($input: CreateInitiativeInput!) {
  createInitiative(input: $input) {
    initiative { id title visibility leadOrganisation { slug } }
    userErrors { field code message }
  }
}
"""


def test_create_read_back_and_hidden_from_another_organisation(client, make) -> None:
    inhope = make.organisation("inhope")
    iwf = make.organisation("iwf")
    other = make.organisation("other")
    token = make.token(inhope)

    created = graphql(client, CREATE, {"input": {"title": "Notice and take-down", "status": "IMPLEMENTATION",
                                              "visibility": "ORGANISATION"}}, token)
    payload = created["data"]["createInitiative"]
    assert payload["userErrors"] == []
    initiative_id = payload["initiative"]["id"]
    assert payload["initiative"]["leadOrganisation"]["slug"] == "inhope"

    added = graphql(
        client,
        """mutation($input: AddParticipationInput!) { addParticipation(input: $input) {
             participation { organisation { slug } role { code } } userErrors { code } } }""",
        {"input": {"initiative": initiative_id, "organisation": gid("Organisation", iwf.id), "role": "IMPLEMENTING"}},
        token,
    )
    assert added["data"]["addParticipation"]["participation"] == {"organisation": {"slug": "iwf"}, "role": {"code": "IMPLEMENTING"}}

    read = "query($id: ID!) { initiative(id: $id) { title participations { organisation { slug } } } }"
    assert graphql(client, read, {"id": initiative_id}, token)["data"]["initiative"] == {
        "title": "Notice and take-down",
        "participations": [{"organisation": {"slug": "iwf"}}],
    }
    # The partner sees it; an unrelated organisation and anonymous callers get the missing-record answer.
    assert graphql(client, read, {"id": initiative_id}, make.token(iwf))["data"]["initiative"]["title"]
    assert graphql(client, read, {"id": initiative_id}, make.token(other))["data"]["initiative"] is None
    assert graphql(client, read, {"id": initiative_id})["data"]["initiative"] is None
    assert graphql(client, read, {"id": gid("Initiative", 999_999)}, make.token(other))["data"]["initiative"] is None
