"""`Revision.record` is either kind of record, loaded in batches: a page of revisions of both kinds takes as
many statements for 4 revisions as for 20."""

from api.reviews.models import ReviewedType, Revision, RevisionState
from tests.factories import ACTOR, graphql, lab_admin_token, sql_statements

PAGE = """
query ($first: Int!) { revisions(first: $first) { edges { node {
  recordType
  record { __typename ... on EvidenceAssessment { id } ... on BestPractice { id title } }
  organisation { slug }
  reviews { position }
} } } }
"""


def _arrange(make, db, count: int) -> None:  # noqa: ANN001
    lead = make.organisation("lead")
    initiative = make.initiative(lead, "An initiative")
    for i in range(count):
        organisation = make.organisation(f"author-{i}")
        if i % 2:
            record_type, record_id = ReviewedType.BEST_PRACTICE, make.practice(organisation, f"Practice {i}").id
        else:
            record_type, record_id = ReviewedType.EVIDENCE_ASSESSMENT, make.assessment(initiative, organisation, f"Assessment {i}").id
        db.add(
            Revision(
                record_type=record_type,
                record_id=record_id,
                base_version=1,
                organisation_id=organisation.id,
                state=RevisionState.SUBMITTED,
                content={"data": {}},
                round=1,
                created_by=ACTOR,
                updated_by=ACTOR,
            )
        )
    db.commit()


def _page(client, app, token: str, first: int) -> tuple[list[dict], int]:  # noqa: ANN001
    with sql_statements(app) as statements:
        body = graphql(client, PAGE, {"first": first}, token)
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["revisions"]["edges"]], len(statements)


def test_a_page_of_revisions_loads_both_kinds_of_record_in_batches(client, app, make, db) -> None:  # noqa: ANN001
    _arrange(make, db, 20)
    token = lab_admin_token(make)
    graphql(client, "{ viewer { kind } }", token=token)  # warm the signing-key cache
    small, small_count = _page(client, app, token, 4)
    large, large_count = _page(client, app, token, 20)
    assert len(small) == 4 and len(large) == 20
    kinds = {(node["recordType"], node["record"]["__typename"]) for node in large}
    assert kinds == {("EVIDENCE_ASSESSMENT", "EvidenceAssessment"), ("BEST_PRACTICE", "BestPractice")}
    assert all(node["record"]["title"].startswith("Practice") for node in large if node["recordType"] == "BEST_PRACTICE")
    assert large_count == small_count, f"{small_count} statements for 4 revisions but {large_count} for 20"
