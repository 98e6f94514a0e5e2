"""Questioning a rating through GraphQL: an inquiry filed by an organisation with a stake, answered by the
secretariat, escalated to an appeal, decided by two reviewer organisations with no stake, and the outcome
published in the rating's history; every refusal leaves nothing written."""

import sqlalchemy as sa

from tests.factories import gid, graphql, lab_admin_token, mutate

RATING = """
query($id: ID!) { initiative(id: $id) { outcomeRatings { id outcome { code } rating { code }
  history { reason note rating { code } }
  inquiries { grounds { code } text status answer organisation { name }
    appeal { status outcome reviewers { position decision reasons organisation { name } } } }
} } }
"""
INQUIRY = "inquiry { id status grounds { code } answer }"
APPEAL = "appeal { id status outcome reviewers { position decision reasons } }"
TABLES = ("rating_inquiry", "rating_appeal", "rating_appeal_reviewer")


def _rows(db) -> dict[str, list[dict]]:  # noqa: ANN001
    with db.get_bind().connect() as connection:
        return {t: [dict(r._mapping) for r in connection.execute(sa.text(f"SELECT * FROM {t} ORDER BY 1"))] for t in TABLES}


def _rating(client, initiative, token=None) -> dict:  # noqa: ANN001
    body = graphql(client, RATING, {"id": gid("Initiative", initiative.id)}, token)
    (rating,) = [r for r in body["data"]["initiative"]["outcomeRatings"] if r["outcome"]["code"] == "REMOVAL-TIME"]
    return rating


def _setting(make) -> dict:  # noqa: ANN001
    """A rated initiative: its lead, a participant, the assessor, an outsider, and two organisations with no stake."""
    o = {name: make.organisation(name) for name in ("lead", "partner", "assessor", "outsider", "reviewer-a", "reviewer-b")}
    o["initiative"] = make.initiative(o["lead"], partners=[(o["partner"], "IMPLEMENTING")])
    make.assessment(o["initiative"], o["assessor"], ratings=["PROMISING"])
    return o


def _file(client, token, rating_id: str, **values) -> dict:  # noqa: ANN001, ANN003
    return mutate(
        client, "fileRatingInquiry",
        {"rating": rating_id, "grounds": "MISREAD-EVIDENCE", "text": "The finding's comparison is unmatched.", **values},
        token, INQUIRY,
    )


def test_an_inquiry_and_its_appeal_run_end_to_end(client, make) -> None:
    o = _setting(make)
    admin = lab_admin_token(make)
    rating = _rating(client, o["initiative"])
    assert rating["rating"] == {"code": "PROMISING"}

    filed = _file(client, make.token(o["partner"]), rating["id"])
    assert filed["userErrors"] == []
    assert filed["inquiry"]["status"] == "OPEN"
    inquiry_id = filed["inquiry"]["id"]

    # Only the secretariat answers; the filing organisation cannot escalate an unanswered inquiry.
    refused = mutate(client, "answerRatingInquiry", {"inquiry": inquiry_id, "answer": "Checked."},
                     make.token(o["lead"], "assessments:write lab:admin"))
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["input"], "FORBIDDEN")]
    early = mutate(client, "escalateRatingInquiry", {"inquiry": inquiry_id, "text": "No."}, make.token(o["partner"]))
    assert [(e["field"], e["code"]) for e in early["userErrors"]] == [(["input", "inquiry"], "WRONG_STATUS")]

    answered = mutate(client, "answerRatingInquiry", {"inquiry": inquiry_id, "answer": "The coding follows the study."},
                      admin, INQUIRY)
    assert answered["userErrors"] == []
    assert (answered["inquiry"]["status"], answered["inquiry"]["answer"]) == ("ANSWERED", "The coding follows the study.")

    # Someone of another organisation with a stake may not escalate the partner's inquiry.
    other = mutate(client, "escalateRatingInquiry", {"inquiry": inquiry_id, "text": "No."}, make.token(o["lead"]))
    assert [(e["field"], e["code"]) for e in other["userErrors"]] == [(["input", "inquiry"], "FORBIDDEN")]
    escalated = mutate(client, "escalateRatingInquiry", {"inquiry": inquiry_id, "text": "Table 2 says otherwise."},
                       make.token(o["partner"]), APPEAL)
    assert escalated["userErrors"] == []
    assert escalated["appeal"]["status"] == "AWAITING_REVIEWERS"
    appeal_id = escalated["appeal"]["id"]

    reviewers = [gid("Organisation", o["reviewer-a"].id), gid("Organisation", o["reviewer-b"].id)]
    not_admin = mutate(client, "assignAppealReviewers", {"appeal": appeal_id, "reviewers": reviewers},
                       make.token(o["outsider"], "assessments:write lab:admin"))
    assert [e["code"] for e in not_admin["userErrors"]] == ["FORBIDDEN"]
    assigned = mutate(client, "assignAppealReviewers", {"appeal": appeal_id, "reviewers": reviewers}, admin, APPEAL)
    assert assigned["userErrors"] == []
    assert assigned["appeal"]["status"] == "UNDER_REVIEW"

    # Only a reviewer organisation decides, once.
    outsider = mutate(client, "decideRatingAppeal", {"appeal": appeal_id, "decision": "UPHELD", "reasons": "Yes."},
                      make.token(o["outsider"]))
    assert [(e["field"], e["code"]) for e in outsider["userErrors"]] == [(["input", "appeal"], "FORBIDDEN")]
    first = mutate(client, "decideRatingAppeal",
                   {"appeal": appeal_id, "decision": "UPHELD", "reasons": "Table 2 reports a matched comparison."},
                   make.token(o["reviewer-a"]), APPEAL)
    assert first["userErrors"] == []
    assert (first["appeal"]["status"], first["appeal"]["outcome"]) == ("UNDER_REVIEW", None)
    assert _rating(client, o["initiative"])["history"][-1]["reason"] != "APPEAL"
    again = mutate(client, "decideRatingAppeal", {"appeal": appeal_id, "decision": "DISMISSED", "reasons": "No."},
                   make.token(o["reviewer-a"]))
    assert [e["code"] for e in again["userErrors"]] == ["WRONG_STATUS"]
    second = mutate(client, "decideRatingAppeal",
                    {"appeal": appeal_id, "decision": "UPHELD", "reasons": "The coding must be corrected."},
                    make.token(o["reviewer-b"]), APPEAL)
    assert second["userErrors"] == []
    assert (second["appeal"]["status"], second["appeal"]["outcome"]) == ("DECIDED", "UPHELD")

    # Published on the rating, readable by anyone who may read it; the rating itself stays computed.
    after = _rating(client, o["initiative"])
    assert after["rating"] == {"code": "PROMISING"}
    last = after["history"][-1]
    assert (last["reason"], last["rating"]) == ("APPEAL", {"code": "PROMISING"})
    assert last["note"].startswith("Appeal UPHELD.")
    assert "Table 2 reports a matched comparison." in last["note"]
    assert "The coding must be corrected." in last["note"]
    (inquiry,) = after["inquiries"]
    assert (inquiry["status"], inquiry["grounds"], inquiry["organisation"]) == (
        "DECIDED", {"code": "MISREAD-EVIDENCE"}, {"name": o["partner"].name}
    )
    assert inquiry["appeal"]["outcome"] == "UPHELD"
    assert [(r["position"], r["decision"], r["organisation"]["name"]) for r in inquiry["appeal"]["reviewers"]] == [
        (1, "UPHELD", o["reviewer-a"].name), (2, "UPHELD", o["reviewer-b"].name)
    ]

    node = graphql(client, "query($id: ID!) { node(id: $id) { ... on RatingInquiry { status appeal { outcome } } } }",
                   {"id": inquiry_id})
    assert node["data"]["node"] == {"status": "DECIDED", "appeal": {"outcome": "UPHELD"}}
    twice = mutate(client, "answerRatingInquiry", {"inquiry": inquiry_id, "answer": "Again."}, admin)
    assert [(e["field"], e["code"]) for e in twice["userErrors"]] == [(["input", "inquiry"], "WRONG_STATUS")]

    listed = graphql(
        client,
        "query($r: [ID!]) { ratingInquiries(filter: {status: [DECIDED], rating: $r}) { edges { node { id } } } }",
        {"r": [rating["id"]]},
    )
    assert [e["node"]["id"] for e in listed["data"]["ratingInquiries"]["edges"]] == [inquiry_id]
    none_open = graphql(client, "{ ratingInquiries(filter: {status: [OPEN]}) { edges { node { id } } } }")
    assert none_open["data"]["ratingInquiries"]["edges"] == []


def test_reviewers_disagreeing_dismiss_the_appeal(client, make) -> None:
    o = _setting(make)
    admin = lab_admin_token(make)
    rating = _rating(client, o["initiative"])
    inquiry_id = _file(client, make.token(o["assessor"]), rating["id"], grounds="NEW-EVIDENCE")["inquiry"]["id"]
    mutate(client, "answerRatingInquiry", {"inquiry": inquiry_id, "answer": "Not yet public."}, admin)
    appeal_id = mutate(client, "escalateRatingInquiry", {"inquiry": inquiry_id, "text": "It is now."},
                       make.token(o["assessor"]), APPEAL)["appeal"]["id"]
    reviewers = [gid("Organisation", o["reviewer-a"].id), gid("Organisation", o["reviewer-b"].id)]
    assert mutate(client, "assignAppealReviewers", {"appeal": appeal_id, "reviewers": reviewers}, admin)["userErrors"] == []
    mutate(client, "decideRatingAppeal", {"appeal": appeal_id, "decision": "UPHELD", "reasons": "Yes."},
           make.token(o["reviewer-a"]))
    decided = mutate(client, "decideRatingAppeal", {"appeal": appeal_id, "decision": "DISMISSED", "reasons": "No."},
                     make.token(o["reviewer-b"]), APPEAL)
    assert decided["appeal"]["outcome"] == "DISMISSED"
    last = _rating(client, o["initiative"])["history"][-1]
    assert last["reason"] == "APPEAL"
    assert last["note"].startswith("Appeal DISMISSED.")


def test_an_organisation_with_no_stake_cannot_file_and_nothing_is_written(client, make, db) -> None:
    o = _setting(make)
    rating = _rating(client, o["initiative"])
    before = _rows(db)
    refused = _file(client, make.token(o["outsider"]), rating["id"], grounds="NO-SUCH-GROUNDS")
    assert refused["inquiry"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "rating"], "NO_STAKE"), (["input", "grounds"], "INVALID_CODE")
    ]
    assert _rows(db) == before == {t: [] for t in TABLES}
    # The lead and the assessor have a stake, as the participant has.
    for name in ("lead", "assessor"):
        assert _file(client, make.token(o[name]), rating["id"])["userErrors"] == []


def test_a_reviewer_with_a_stake_is_refused_and_nothing_is_written(client, make, db) -> None:
    o = _setting(make)
    admin = lab_admin_token(make)
    rating = _rating(client, o["initiative"])
    inquiry_id = _file(client, make.token(o["lead"]), rating["id"])["inquiry"]["id"]
    mutate(client, "answerRatingInquiry", {"inquiry": inquiry_id, "answer": "Checked."}, admin)
    appeal_id = mutate(client, "escalateRatingInquiry", {"inquiry": inquiry_id, "text": "No."},
                       make.token(o["lead"]), APPEAL)["appeal"]["id"]
    before = _rows(db)
    for reviewers, expected in (
        ([o["partner"], o["reviewer-a"]], [(["input", "reviewers", "0"], "NO_STAKE")]),
        ([o["reviewer-a"], o["assessor"]], [(["input", "reviewers", "1"], "NO_STAKE")]),
        ([o["lead"], o["reviewer-a"]], [(["input", "reviewers", "0"], "NO_STAKE")]),
        ([o["reviewer-a"], o["reviewer-a"]], [(["input", "reviewers", "1"], "DUPLICATE")]),
    ):
        refused = mutate(client, "assignAppealReviewers",
                         {"appeal": appeal_id, "reviewers": [gid("Organisation", r.id) for r in reviewers]}, admin, APPEAL)
        assert refused["appeal"] is None
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == expected
        assert _rows(db) == before
    assert before["rating_appeal"][0]["status"] == "AWAITING_REVIEWERS"
    assert before["rating_appeal_reviewer"] == []


def test_an_unreadable_rating_is_not_found_like_a_missing_one(client, make, db) -> None:
    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    hidden = make.initiative(lead, visibility="ORGANISATION")
    make.assessment(hidden, assessor, ratings=["PROMISING"])
    rating_id = db.exec(sa.text("SELECT id FROM outcome_rating")).first()
    assessor_token = make.token(assessor)
    hidden_answer = _file(client, assessor_token, gid("OutcomeRating", rating_id[0]))
    missing_answer = _file(client, assessor_token, gid("OutcomeRating", 999999))
    assert hidden_answer["userErrors"] == missing_answer["userErrors"]
    assert [(e["field"], e["code"]) for e in hidden_answer["userErrors"]] == [(["input", "rating"], "NOT_FOUND")]
    assert _rows(db) == {t: [] for t in TABLES}


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
    for name, expected in (("outsider", [(["input", "rating"], "NO_STAKE")]), ("lead", [(["input", "rating"], "NO_STAKE")])):
        refused = _file(client, make.token(o[name]), rating_id)
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == expected
    assert _file(client, make.token(proposer), rating_id)["userErrors"] == []
    assert _file(client, make.token(o["assessor"]), rating_id)["userErrors"] == []
