"""Questioning a rating through GraphQL, reviewed like every other proposed record: an organisation with a
stake drafts an inquiry and submits it, two reviewers with no stake rule on it blind to each other, a
disagreement is reconciled and the ruling published as version 1; an appeal against it is version 2, and
its ruling goes into the rating's history. Until publication nobody but the authors, the reviewers and
the secretariat sees it; every refusal leaves nothing written."""

import sqlalchemy as sa

from api.auth.principal import Role
from api.inquiries.models import RatingInquiry
from tests.factories import ACTOR, gid, graphql, mutate, user_errors
from tests.factories.organisations import membership_of
from tests.factories.reviews import ReviewPanel

RATING = """
query($id: ID!) { initiative(id: $id) { outcomeRatings { id outcome { code } rating { code }
  history { reason note rating { code } }
  inquiries { id grounds { code } text appeal ruling reasons organisation { name } }
} } }
"""
REVISION = "revision { id state record { ... on RatingInquiry { id ruling } } }"
INQUIRY = """query($id: ID!) { node(id: $id) { ... on RatingInquiry {
  text appeal ruling reasons versions { number publication } version(number: 1) { snapshot }
  diff(from: 1, to: 2) { op path }
} } }"""
TABLES = ("rating_inquiry", "revision", "review_assignment")


def _rows(db) -> dict[str, list[dict]]:  # noqa: ANN001
    with db.get_bind().connect() as connection:
        return {t: [dict(r._mapping) for r in connection.execute(sa.text(f"SELECT * FROM {t} ORDER BY 1"))] for t in TABLES}


def _rating(client, initiative, token=None) -> dict:  # noqa: ANN001
    body = graphql(client, RATING, {"id": gid("Initiative", initiative.id)}, token)
    (rating,) = [r for r in body["data"]["initiative"]["outcomeRatings"] if r["outcome"]["code"] == "REMOVAL-TIME"]
    return rating


def _setting(make) -> dict:  # noqa: ANN001
    """A rated initiative: its lead, a participant, the assessor and an outsider."""
    o = {name: make.organisation(name) for name in ("lead", "partner", "assessor", "outsider")}
    o["initiative"] = make.initiative(o["lead"], partners=[(o["partner"], "IMPLEMENTING")])
    make.assessment(o["initiative"], o["assessor"], ratings=["PROMISING"])
    return o


def _draft(client, token, rating_id: str, **values) -> dict:  # noqa: ANN001, ANN003
    return mutate(
        client, "draftRatingInquiry",
        {"rating": rating_id, "grounds": "MISREAD-EVIDENCE", "text": "The finding's comparison is unmatched.", **values},
        token, REVISION,
    )


def _ok(client, name: str, values: dict, token: str, selection: str = REVISION) -> dict:  # noqa: ANN001
    payload = mutate(client, name, values, token, selection)
    assert payload["userErrors"] == [], (name, payload["userErrors"])
    return payload


def _review(client, panel: ReviewPanel, revision_id: str, rulings: tuple[str, str], reasons: tuple[str, str]) -> None:  # noqa: ANN001
    _ok(client, "assignReviewers", {"revision": revision_id}, panel.secretariat)
    for token, ruling, reason in zip(panel.reviewers, rulings, reasons, strict=True):
        coding = {"revision": revision_id, "inquiry": {"ruling": ruling, "reasons": reason}, "decision": "ACCEPT"}
        _ok(client, "submitReview", coding, token)


def _published(client, make, o) -> list:  # noqa: ANN001
    """The published inquiries on the rating, as an anonymous reader, the lead and the partner see them."""
    return [_rating(client, o["initiative"], token)["inquiries"] for token in (None, make.token(o["lead"]), make.token(o["partner"]))]


def _readers_see(client, make, o, expected: dict) -> bool:  # noqa: ANN001
    """Every reader of the rating sees exactly the one published inquiry `expected` (its reasons in either
    order: the reviewers are drawn at random)."""
    for inquiries in _published(client, make, o):
        (seen,) = inquiries
        assert {**seen, "reasons": sorted(seen["reasons"])} == {**expected, "reasons": sorted(expected["reasons"])}
    return True


def test_an_inquiry_and_its_appeal_are_reviewed_and_published_as_two_versions(client, make, db) -> None:
    o = _setting(make)
    panel = ReviewPanel(client, make, db)
    partner = make.token(o["partner"])
    rating = _rating(client, o["initiative"])
    assert rating["rating"] == {"code": "PROMISING"}

    drafted = _ok(client, "draftRatingInquiry", {"rating": rating["id"], "grounds": "MISREAD-EVIDENCE", "text": "Unmatched?"}, partner)
    revision_id = drafted["revision"]["id"]
    assert (drafted["revision"]["state"], drafted["revision"]["record"]) == ("DRAFT", None)
    # A draft is its authors' alone: not on the rating, not in the list, not a revision anyone else reads.
    assert _published(client, make, o) == [[], [], []]
    assert graphql(client, "{ ratingInquiries { totalCount } }", token=panel.secretariat)["data"]["ratingInquiries"]["totalCount"] == 0
    for token in (None, make.token(o["lead"]), panel.secretariat):
        node = graphql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": revision_id}, token)
        assert node["data"]["node"] is None

    _ok(client, "submitRevision", {"id": revision_id}, partner)
    locked = mutate(client, "draftRatingInquiry",
                    {"revision": revision_id, "rating": rating["id"], "grounds": "MISSING-STUDY", "text": "Changed."}, partner)
    assert user_errors(locked) == [(["input", "revision"], "LOCKED")]

    # Reviewers drawn among those with no stake rule blind; they disagree, the secretariat settles it.
    _review(client, panel, revision_id, ("UPHELD", "DISMISSED"), ("Table 2 reports a matched comparison.", "Unmatched, as coded."))
    early = mutate(client, "publishRevision", {"revision": revision_id}, panel.secretariat)
    assert user_errors(early) == [(["input", "revision"], "OPEN_DISAGREEMENTS")]
    assert _published(client, make, o) == [[], [], []]
    _ok(client, "resolveDisagreement", {"revision": revision_id, "field": "/ruling", "value": "UPHELD"}, panel.secretariat)
    published = _ok(client, "publishRevision", {"revision": revision_id}, panel.secretariat, "revision { state publishedVersion } ratingInquiry { id ruling }")
    assert published["revision"] == {"state": "PUBLISHED", "publishedVersion": 1}
    inquiry_id = published["ratingInquiry"]["id"]
    assert published["ratingInquiry"]["ruling"] == "UPHELD"

    # Published: everyone who may read the rating reads it, with both reviewers' reasons; the rating stays computed.
    expected = {
        "id": inquiry_id, "grounds": {"code": "MISREAD-EVIDENCE"}, "text": "Unmatched?", "appeal": None,
        "ruling": "UPHELD", "reasons": ["Table 2 reports a matched comparison.", "Unmatched, as coded."],
        "organisation": {"name": o["partner"].name},
    }
    assert _readers_see(client, make, o, expected)
    after = _rating(client, o["initiative"])
    assert after["rating"] == {"code": "PROMISING"}
    assert "APPEAL" not in [change["reason"] for change in after["history"]]

    # The appeal: only the filing organisation may bring it; it is the inquiry's next version.
    other = mutate(client, "draftRatingAppeal", {"inquiry": inquiry_id, "text": "No."}, make.token(o["lead"]))
    assert user_errors(other) == [(["input", "inquiry"], "FORBIDDEN")]
    before = _rows(db)
    blank = mutate(client, "draftRatingAppeal", {"inquiry": inquiry_id, "text": "  "}, partner, REVISION)
    assert (blank["revision"], user_errors(blank)) == (None, [(["input", "text"], "BLANK")])
    assert _rows(db) == before
    appeal = _ok(client, "draftRatingAppeal", {"inquiry": inquiry_id, "text": "The authors' own table says matched."}, partner)
    appeal_id = appeal["revision"]["id"]
    _ok(client, "submitRevision", {"id": appeal_id}, partner)
    _review(client, panel, appeal_id, ("DISMISSED", "DISMISSED"), ("Matched on age only.", "Not matched on risk."))
    # Until the appeal is published, readers see version 1 as it was.
    assert _readers_see(client, make, o, expected)
    _ok(client, "publishRevision", {"revision": appeal_id, "changeNote": "Appeal decided."}, panel.secretariat)

    node = graphql(client, INQUIRY, {"id": inquiry_id})["data"]["node"]
    assert (node["appeal"], node["ruling"], sorted(node["reasons"])) == (
        "The authors' own table says matched.", "DISMISSED", ["Matched on age only.", "Not matched on risk."]
    )
    assert node["versions"] == [{"number": 1, "publication": "REVIEWED"}, {"number": 2, "publication": "REVIEWED"}]
    assert (node["version"]["snapshot"]["ruling"], node["version"]["snapshot"]["appeal"]) == ("UPHELD", None)
    assert {op["path"] for op in node["diff"]} == {"/appeal", "/ruling", "/reasons/0", "/reasons/1", "/decidedAt"}
    last = _rating(client, o["initiative"])["history"][-1]
    assert (last["reason"], last["rating"]) == ("APPEAL", {"code": "PROMISING"})
    # The reasons in the reviewers' order (drawn at random), as the inquiry lists them.
    assert last["note"] == f"Appeal DISMISSED. Reviewer 1: {node['reasons'][0]} Reviewer 2: {node['reasons'][1]}"

    again = mutate(client, "draftRatingAppeal", {"inquiry": inquiry_id, "text": "Once more."}, partner)
    assert user_errors(again) == [(["input", "inquiry"], "WRONG_STATUS")]
    listed = graphql(
        client,
        "query($r: [ID!]) { ratingInquiries(filter: {ruling: [DISMISSED], rating: $r}) { edges { node { id } } } }",
        {"r": [rating["id"]]},
    )
    assert [e["node"]["id"] for e in listed["data"]["ratingInquiries"]["edges"]] == [inquiry_id]
    upheld = graphql(client, "{ ratingInquiries(filter: {ruling: [UPHELD]}) { edges { node { id } } } }")
    assert upheld["data"]["ratingInquiries"]["edges"] == []


def test_an_organisation_with_no_stake_cannot_file_and_nothing_is_written(client, make, db) -> None:
    o = _setting(make)
    rating = _rating(client, o["initiative"])
    before = _rows(db)
    refused = _draft(client, make.token(o["outsider"]), rating["id"], grounds="NO-SUCH-GROUNDS", text=" ")
    assert refused["revision"] is None
    assert user_errors(refused) == [
        (["input", "rating"], "NO_STAKE"), (["input", "grounds"], "INVALID_CODE"), (["input", "text"], "BLANK")
    ]
    assert _rows(db) == before == {t: [] for t in TABLES}
    # The lead and the assessor have a stake, as the participant has.
    for name in ("lead", "assessor", "partner"):
        assert _draft(client, make.token(o[name]), rating["id"])["userErrors"] == []


def test_a_reviewer_with_a_stake_in_the_rating_is_refused_and_nothing_is_written(client, make, db) -> None:
    o = _setting(make)
    panel = ReviewPanel(client, make, db)
    rating = _rating(client, o["initiative"])
    lead = make.token(o["lead"])
    revision_id = _draft(client, lead, rating["id"])["revision"]["id"]
    _ok(client, "submitRevision", {"id": revision_id}, lead)
    # A reviewer from the assessing organisation, whose finding the rating weighed, has a stake.
    person = make.member(o["assessor"], "reviewer@assessor.example", Role.CONTRIBUTOR)
    staked = gid("Membership", membership_of(db, o["assessor"], person).id)
    _ok(client, "grantReviewerRole", {"membership": staked}, panel.secretariat, "done")
    before = _rows(db)
    named = {"revision": revision_id, "reviewers": [panel.memberships[0], staked]}
    refused = mutate(client, "assignReviewers", named, panel.secretariat, REVISION)
    assert refused["revision"] is None
    assert user_errors(refused) == [(["input", "reviewers", "1"], "HAS_STAKE")]
    assert _rows(db) == before
    # Drawn, the two are the panel's: the assessor's reviewer is never drawn.
    _ok(client, "assignReviewers", {"revision": revision_id}, panel.secretariat)
    assigned = _rows(db)["review_assignment"]
    assert len(assigned) == 2
    assert person.id not in {row["user_id"] for row in assigned}


def test_an_unreadable_rating_is_not_found_like_a_missing_one(client, make, db) -> None:
    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    hidden = make.initiative(lead, visibility="ORGANISATION")
    make.assessment(hidden, assessor, ratings=["PROMISING"])
    rating_id = db.exec(sa.text("SELECT id FROM outcome_rating")).first()
    assessor_token = make.token(assessor)
    hidden_answer = _draft(client, assessor_token, gid("OutcomeRating", rating_id[0]))
    missing_answer = _draft(client, assessor_token, gid("OutcomeRating", 999999))
    assert hidden_answer["userErrors"] == missing_answer["userErrors"]
    assert user_errors(hidden_answer) == [(["input", "rating"], "NOT_FOUND")]
    assert _rows(db) == {t: [] for t in TABLES}
    # A published inquiry on that rating, appealed by an organisation that may not read it: missing too.
    published = RatingInquiry(rating_id=rating_id[0], organisation_id=lead.id, grounds="MISSING-STUDY", text="Why?",
                              ruling="DISMISSED", created_by=ACTOR, updated_by=ACTOR)
    db.add(published)
    db.commit()
    before = _rows(db)
    answers = [
        mutate(client, "draftRatingAppeal", {"inquiry": gid("RatingInquiry", inquiry_id), "text": "No."}, assessor_token)
        for inquiry_id in (published.id, 999999)
    ]
    assert answers[0]["userErrors"] == answers[1]["userErrors"]
    assert user_errors(answers[0]) == [(["input", "inquiry"], "NOT_FOUND")]
    assert _rows(db) == before


PRACTICE_RATINGS = "query($id: ID!) { node(id: $id) { ... on BestPractice { outcomeRatings { id outcome { code } } } } }"


def test_a_best_practice_rating_is_questioned_by_its_proposer_and_the_cited_assessors(client, make, settings) -> None:
    from tests.factories.evidence import recompute_ratings

    o = _setting(make)
    proposer = make.organisation("proposer")
    assessment = make.db.exec(sa.text("SELECT id FROM evidence_assessment")).one()[0]
    practice = make.practice(proposer, evidence=[assessment])
    recompute_ratings(settings, practice_ids=[practice.id])
    body = graphql(client, PRACTICE_RATINGS, {"id": gid("BestPractice", practice.id)})
    (rating_id,) = [r["id"] for r in body["data"]["node"]["outcomeRatings"] if r["outcome"]["code"] == "REMOVAL-TIME"]
    for name in ("outsider", "lead"):
        assert user_errors(_draft(client, make.token(o[name]), rating_id)) == [(["input", "rating"], "NO_STAKE")]
    assert _draft(client, make.token(proposer), rating_id)["userErrors"] == []
    assert _draft(client, make.token(o["assessor"]), rating_id)["userErrors"] == []
