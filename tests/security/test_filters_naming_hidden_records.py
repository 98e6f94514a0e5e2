"""A list filter that names a record by id treats a hidden one exactly like a missing one, in the
results and in `totalCount`: otherwise counting answers would tell which ids exist."""

import pytest

from api.organisations.models import OrganisationStatus
from tests.factories import gid, graphql

LISTS = {
    "initiatives by organisation": (
        "query($ids: [ID!]) { initiatives(filter: {organisations: $ids}) { totalCount edges { node { id } } } }",
        "Organisation",
    ),
    "an organisation's initiatives by organisation": (
        """query($ids: [ID!]) { organisation(slug: "bravo") {
             initiatives(filter: {organisations: $ids}) { totalCount edges { node { id } } } } }""",
        "Organisation",
    ),
    "best practices by organisation": (
        "query($ids: [ID!]) { bestPractices(filter: {organisations: $ids}) { totalCount edges { node { id } } } }",
        "Organisation",
    ),
    "best practices by endorser": (
        "query($ids: [ID!]) { bestPractices(filter: {endorsedBy: $ids}) { totalCount edges { node { id } } } }",
        "Organisation",
    ),
    "assessments by assessing organisation": (
        """query($ids: [ID!]) { evidenceAssessments(filter: {assessingOrganisations: $ids}) {
             totalCount edges { node { id } } } }""",
        "Organisation",
    ),
    "assessments by initiative": (
        """query($ids: [ID!]) { evidenceAssessments(filter: {initiatives: $ids}) {
             totalCount edges { node { id } } } }""",
        "Initiative",
    ),
}


@pytest.fixture
def world(make) -> dict:  # noqa: ANN001
    """Bravo's public initiative with a pending and a suspended partner, each of which also
    leads, proposes, endorses and assesses; and bravo's organisation-only initiative, assessed publicly."""
    alpha = make.organisation("alpha")
    bravo = make.organisation("bravo")
    pending = make.organisation("pending", status=OrganisationStatus.PENDING)
    suspended = make.organisation("suspended", status=OrganisationStatus.SUSPENDED)
    public = make.initiative(bravo, "Bravo public", partners=[(pending, "FUNDING"), (suspended, "IMPLEMENTING")])
    private = make.initiative(bravo, "Bravo private", visibility="ORGANISATION")
    for hidden in (pending, suspended):
        make.initiative(hidden, f"{hidden.slug}'s own initiative")
        make.practice(hidden, f"{hidden.slug}'s practice")
        make.assessment(public, hidden, f"{hidden.slug}'s reading")
    make.practice(bravo, "Bravo's practice", endorsed_by=[pending, suspended])
    make.assessment(private, bravo, "Reading of the private one")
    return {
        "tokens": {"anonymous": None, "alpha": make.token(alpha)},
        "Organisation": [pending.id, suspended.id],
        "Initiative": [private.id],
        "visible": {"Organisation": bravo.id, "Initiative": public.id},
    }


@pytest.mark.parametrize("caller", ["anonymous", "alpha"])
@pytest.mark.parametrize("name", list(LISTS))
def test_a_hidden_record_named_in_a_filter_answers_like_a_missing_one(client, world, caller: str, name: str) -> None:  # noqa: ANN001
    query, type_name = LISTS[name]
    token = world["tokens"][caller]
    missing = graphql(client, query, {"ids": [gid(type_name, 999_999)]}, token)
    assert "errors" not in missing, missing
    for hidden_id in world[type_name]:
        assert graphql(client, query, {"ids": [gid(type_name, hidden_id)]}, token) == missing, hidden_id
        # Next to a visible record, the hidden one adds nothing either.
        visible = gid(type_name, world["visible"][type_name])
        alone = graphql(client, query, {"ids": [visible]}, token)
        assert graphql(client, query, {"ids": [visible, gid(type_name, hidden_id)]}, token) == alone


def test_the_filters_are_not_vacuous(client, world) -> None:  # noqa: ANN001
    query, _ = LISTS["initiatives by organisation"]
    body = graphql(client, query, {"ids": [gid("Organisation", world["visible"]["Organisation"])]})
    assert body["data"]["initiatives"]["totalCount"] == 1
    query, _ = LISTS["assessments by initiative"]
    body = graphql(client, query, {"ids": [gid("Initiative", world["visible"]["Initiative"])]})
    assert body["data"]["evidenceAssessments"]["totalCount"] == 0  # the hidden organisations' readings


SEARCH = """query($ids: [ID!]) { searchInitiatives(query: "", filter: {leadOrganisation: $ids}, facets: [STATUS]) {
              totalHits hits { initiative { id } } facetDistribution { facet values { value count } } } }"""


@pytest.mark.parametrize("caller", ["anonymous", "alpha"])
def test_search_by_a_hidden_lead_answers_like_a_missing_one(client, world, caller: str) -> None:  # noqa: ANN001
    from tests.search.test_graphql_search import index_everything

    index_everything(client)
    token = world["tokens"][caller]
    missing = graphql(client, SEARCH, {"ids": [gid("Organisation", 999_999)]}, token)
    assert "errors" not in missing, missing
    for hidden_id in world["Organisation"]:
        assert graphql(client, SEARCH, {"ids": [gid("Organisation", hidden_id)]}, token) == missing
    bravo = graphql(client, SEARCH, {"ids": [gid("Organisation", world["visible"]["Organisation"])]}, token)
    assert bravo["data"]["searchInitiatives"]["totalHits"] == 1  # not vacuous
