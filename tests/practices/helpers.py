"""Checking best-practice tests: GraphQL documents, stored state, and reading answers."""

import sqlalchemy as sa
from sqlmodel import Session, select
from strawberry.relay import from_base64

from api.practices.models import BestPractice, Endorsement, PracticeClassification, PracticeEvidence
from api.reviews.models import Revision

FIELDS = """
fragment P on BestPractice {
  id title statement rationale visibility
  organisation { slug }
  evidenceBasis { code }
  harms { code }
  interventionTypes { code }
  evidence { id study { title } }
  endorsements { organisation { slug } endorsedAt }
  endorsementCount
}
"""

# createBestPractice and updateBestPractice save drafts: the payload's revision, its bestPractice null.
DRAFTED = "revision { id state recordType baseVersion content record { ... on BestPractice { id } } }"
CREATE = (
    """mutation($input: CreateBestPracticeInput!) { createBestPractice(input: $input) {
         bestPractice { ...P } %s userErrors { field code } } }""" % DRAFTED
    + FIELDS
)
UPDATE = (
    """mutation($input: UpdateBestPracticeInput!) { updateBestPractice(input: $input) {
         bestPractice { ...P } %s userErrors { field code message } } }""" % DRAFTED
    + FIELDS
)
DELETE = """mutation($input: BestPracticeIdInput!) { deleteBestPractice(input: $input) {
              deletedId userErrors { field code message } } }"""
WITHDRAW_PRACTICE = """mutation($input: WithdrawBestPracticeInput!) { withdrawBestPractice(input: $input) {
              bestPractice { id withdrawnAt withdrawnReason } userErrors { field code message } } }"""
ENDORSE = """mutation($input: BestPracticeIdInput!) { endorseBestPractice(input: $input) {
               bestPractice { endorsementCount endorsements { organisation { slug } } } userErrors { field code message } } }"""
WITHDRAW = """mutation($input: BestPracticeIdInput!) { withdrawEndorsement(input: $input) {
                bestPractice { endorsementCount } userErrors { field code message } } }"""
LIST = (
    """query($filter: BestPracticeFilter, $orderBy: BestPracticeOrder, $first: Int, $after: String) {
         bestPractices(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
           totalCount pageInfo { hasNextPage endCursor } edges { node { ...P } } } }"""
    + FIELDS
)
NODE = "query($id: ID!) { node(id: $id) { ... on BestPractice { ...P } } }" + FIELDS
TOMBSTONE = """query($id: ID!) { node(id: $id) { ... on BestPractice {
  id title withdrawnAt withdrawnReason outcomeRatings { outcome { code } } versions { number }
  activity(first: 1) { edges { node { kind detail } } } } } }"""


def stored_counts(db: Session) -> dict[str, int]:
    """Rows per practice table and drafts (revisions), read in a fresh session (so nothing cached can hide a write)."""
    with Session(db.get_bind()) as fresh:
        return {
            model.__tablename__: fresh.exec(select(sa.func.count()).select_from(model)).one()
            for model in (BestPractice, PracticeClassification, PracticeEvidence, Endorsement, Revision)
        }


NOTHING = {"best_practice": 0, "practice_classification": 0, "practice_evidence": 0, "endorsement": 0, "revision": 0}


def revision_count(db: Session) -> int:
    """Drafts of every kind, read in a fresh session."""
    return stored_counts(db)["revision"]


def stored(db: Session, practice_id: int) -> tuple[BestPractice, list[tuple[str, str]], list[int], list[int]]:
    """A practice as stored: its row, classifications, cited assessment ids and endorsing organisation ids."""
    with Session(db.get_bind(), expire_on_commit=False) as fresh:
        row = fresh.get(BestPractice, practice_id)
        codes = fresh.exec(
            select(PracticeClassification.scheme, PracticeClassification.code)
            .where(PracticeClassification.practice_id == practice_id)
            .order_by(PracticeClassification.scheme, PracticeClassification.code)
        ).all()
        cited = fresh.exec(
            select(PracticeEvidence.assessment_id)
            .where(PracticeEvidence.practice_id == practice_id)
            .order_by(PracticeEvidence.assessment_id)
        ).all()
        endorsers = fresh.exec(
            select(Endorsement.organisation_id)
            .where(Endorsement.practice_id == practice_id)
            .order_by(Endorsement.organisation_id)
        ).all()
        return row, [tuple(c) for c in codes], list(cited), list(endorsers)


def errors(payload: dict) -> list[tuple[list[str], str]]:
    """The userErrors of a payload as (field, code) pairs."""
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def titles(body: dict) -> list[str]:
    """Titles on a `bestPractices` page, in order."""
    return [edge["node"]["title"] for edge in body["data"]["bestPractices"]["edges"]]


def db_id(global_id: str) -> int:
    """The database id inside a global id the API returned."""
    return int(from_base64(global_id)[1])
