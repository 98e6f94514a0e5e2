"""Reading published inquiries: a page of them, with their ratings, organisations and versions, takes as
many statements for 20 as for 5; and a reader who may not read the rating sees none of its inquiries."""

from sqlmodel import select

from api.inquiries.models import RatingInquiry
from api.ratings.models import OutcomeRating

from tests.factories import ACTOR, gid, graphql, sql_statements

PAGE = """
query($first: Int!) { ratingInquiries(first: $first) { edges { node {
  grounds { code } ruling reasons organisation { name } rating { rating { code } initiative { title } }
  versions { number }
} } } }
"""


def _arrange(make, db, count: int, *, visibility: str = "PUBLIC") -> tuple[OutcomeRating, object]:  # noqa: ANN001
    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    initiative = make.initiative(lead, visibility=visibility)
    make.assessment(initiative, assessor, ratings=["PROMISING"])
    rating = db.exec(select(OutcomeRating).where(OutcomeRating.initiative_id == initiative.id)).first()
    db.add_all(
        RatingInquiry(rating_id=rating.id, organisation_id=lead.id, grounds="MISSING-STUDY", text=f"Question {i}",
                      ruling="DISMISSED", reasons=["No.", "Not so."], created_by=ACTOR, updated_by=ACTOR)
        for i in range(count)
    )
    db.commit()
    return rating, lead


def _count(client, app, first: int) -> tuple[int, int]:  # noqa: ANN001
    with sql_statements(app) as statements:
        body = graphql(client, PAGE, {"first": first})
    assert "errors" not in body, body
    edges = body["data"]["ratingInquiries"]["edges"]
    assert all(e["node"]["reasons"] == ["No.", "Not so."] and e["node"]["rating"]["rating"] for e in edges)
    return len(edges), len(statements)


def test_a_page_of_inquiries_takes_as_many_statements_for_twenty_as_for_five(client, app, make, db) -> None:
    _arrange(make, db, 20)
    graphql(client, "{ viewer { kind } }")
    small_rows, small = _count(client, app, 5)
    large_rows, large = _count(client, app, 20)
    assert (small_rows, large_rows) == (5, 20)
    assert large == small, f"{small} statements for 5 inquiries but {large} for 20"


def test_inquiries_on_a_rating_you_may_not_read_do_not_exist_for_you(client, make, db) -> None:
    rating, lead = _arrange(make, db, 2, visibility="ORGANISATION")
    inquiry_id = db.exec(select(RatingInquiry.id)).first()
    assert graphql(client, "{ ratingInquiries { edges { node { id } } } }")["data"]["ratingInquiries"]["edges"] == []
    hidden = graphql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": gid("RatingInquiry", inquiry_id)})
    assert hidden["data"]["node"] is None
    own = graphql(client, "{ ratingInquiries { edges { node { rating { id } } } } }", token=make.token(lead))
    assert [e["node"]["rating"]["id"] for e in own["data"]["ratingInquiries"]["edges"]] == [gid("OutcomeRating", rating.id)] * 2
