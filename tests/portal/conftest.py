"""The portal's pages served as in production: a real uvicorn server on 127.0.0.1 over a registry
loaded by `coplab seed` (plus an initiative, a best practice and a study only their organisation may read, and
an organisation still awaiting admission, which only itself may read), once per backend for every
module here. Its database is its own, so the other tests' cleaning never touches it.

For signing in (test_sign_in_in_the_browser.py) it also has the Lab's secretariat (awaiting admission
like the one above, so no public page shows it; the portal's OAuth client is registered under it at
startup), people with passwords (one in the first organisation and a second one, one in another
organisation only), a draft of the first organisation, and access tokens that lapse within the
portal's refresh margin, so every signed-in page refreshes them first."""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from api.core.db import create_sync_engine
from api.core.settings import Settings
from api.evidence.models import Study
from api.initiatives.models import Initiative
from api.organisations.models import Organisation, OrganisationStatus
from api.auth.principal import Role
from api.practices.models import BestPractice
from api.reviews.models import Revision, ReviewedType
from api.core.db import utcnow
from api.reviews.models import Reviewer, ReviewAssignment, RevisionState  # the reviewer's journey
from tests.conftest import BACKENDS, empty_database
from tests.factories import ACTOR, gid, signing_key
from tests.seed.test_seed_command import seeded
from tests.factories.organisations import Organisations
from tests.server import HTTP_TIMEOUT, free_port, running_server

HIDDEN_TITLE = "Closed pilot of grooming classifiers"
HIDDEN_PRACTICE_TITLE = "Share classifier thresholds within the closed pilot"
HIDDEN_ORGANISATION_NAME = "Applicant Safety Foundation"
HIDDEN_ORGANISATION_SLUG = "applicant-safety-foundation"
HIDDEN_STUDY_TITLE = "Closed pilot evaluation of grooming classifiers"
SECRETARIAT_SLUG = "lab-secretariat"
PASSWORD = "correct horse battery staple"
MEMBER_EMAIL = "alex@example.org"  # in the first organisation (lead of the hidden initiative) and in a second one
OUTSIDER_EMAIL = "blake@example.org"  # in a third organisation only
DRAFT_TITLE = "Draft: publish classifier error rates each quarter"
# Shorter than the portal's refresh margin (60 s by default): each signed-in page refreshes first.
ACCESS_TOKEN_SECONDS = 30


@dataclass(frozen=True)
class Portal:
    url: str
    hidden_initiative_id: str  # the global id of an initiative only its organisation may read
    hidden_practice_id: str  # the global id of a best practice only its organisation may read
    hidden_study_id: str  # the global id of a study only its organisation may read
    artifacts: Path  # where the browser tests save their screenshots
    database_url: str = ""
    organisations: tuple[str, ...] = ()  # names of the member's two organisations, then the outsider's


@pytest.fixture(scope="package", params=BACKENDS)
def portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with empty_database(request.param, tmp_path_factory.mktemp("portal-db")) as url:
        seeded(url)
        engine = create_sync_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            signing_key(session)
            lead = session.exec(select(Organisation).order_by(Organisation.id)).first()
            hidden = Initiative(
                title=HIDDEN_TITLE, lead_organisation_id=lead.id, status="PIPELINE", visibility="ORGANISATION",
                created_by=ACTOR, updated_by=ACTOR,
            )
            session.add(hidden)
            hidden_practice = BestPractice(
                title=HIDDEN_PRACTICE_TITLE, statement="Thresholds stay within the pilot.", organisation_id=lead.id,
                evidence_basis="CONSENSUS", visibility="ORGANISATION", created_by=ACTOR, updated_by=ACTOR,
            )
            session.add(hidden_practice)
            hidden_study = Study(
                title=HIDDEN_STUDY_TITLE, organisation_id=lead.id, study_design="RCT", visibility="ORGANISATION",
                created_by=ACTOR, updated_by=ACTOR,
            )
            session.add(hidden_study)
            session.add(Organisation(  # registered, not admitted: only itself (and the secretariat) may read it
                slug=HIDDEN_ORGANISATION_SLUG, name=HIDDEN_ORGANISATION_NAME, stakeholder_type="NGO",
                status=OrganisationStatus.PENDING, created_by=ACTOR, updated_by=ACTOR,
            ))
            session.add(Organisation(
                slug=SECRETARIAT_SLUG, name="Lab secretariat", stakeholder_type="GOV", status=OrganisationStatus.PENDING,
                is_secretariat=True, created_by=ACTOR, updated_by=ACTOR,
            ))
            session.commit()
            second, third = session.exec(
                select(Organisation).where(Organisation.id != lead.id, Organisation.status == OrganisationStatus.MEMBER).order_by(Organisation.id)
            ).all()[:2]
            people = Organisations()
            people.db = session
            people.member(lead, MEMBER_EMAIL, Role.EDITOR, password=PASSWORD)
            people.member(second, MEMBER_EMAIL, Role.EDITOR)
            people.member(third, OUTSIDER_EMAIL, Role.EDITOR, password=PASSWORD)
            session.add(Revision(
                record_type=ReviewedType.BEST_PRACTICE, organisation_id=lead.id,
                content={"title": DRAFT_TITLE, "statement": "Error rates are published."}, created_by=ACTOR, updated_by=ACTOR,
            ))
            session.commit()
            add_reviewers_and_administrators(session, people, lead, third)
            names = (lead.name, second.name, third.name)
        engine.dispose()
        port = free_port()
        settings = Settings(
            environment="test", database_url=url, data_dir=Path("/nonexistent"), search_build_before_serving=True,
            issuer=f"http://127.0.0.1:{port}", access_token_lifetime_seconds=ACCESS_TOKEN_SECONDS,
        )
        artifacts = Path(os.environ.get("COPLAB_TEST_ARTIFACTS") or tmp_path_factory.mktemp("portal-screenshots"))
        artifacts = artifacts / "portal" / request.param
        artifacts.mkdir(parents=True, exist_ok=True)
        with running_server(settings, port=port) as base_url:
            yield Portal(
                url=base_url, hidden_initiative_id=gid("Initiative", hidden.id),
                hidden_practice_id=gid("BestPractice", hidden_practice.id),
                hidden_study_id=gid("Study", hidden_study.id), artifacts=artifacts,
                database_url=url, organisations=names,
            )


# --- the reviewer's journey and the administration pages (test_review_and_admin_in_the_browser.py) ---
# A best practice of the first organisation in review, its two coding reviewers and a third one who
# settles disagreements (each in an organisation with no stake in it); an administrator of the first
# organisation and one of the outsider's.
REVIEW_TITLE = "Tell children how a report will be handled"
REVIEWER_EMAILS = ("rene@example.org", "sam@example.org", "tess@example.org")  # positions 1, 2, 3
ASSESSMENT_LIMITATIONS = "Self-reported offending only."
ADMIN_EMAIL = "dana@example.org"  # administrator of the first organisation
OTHER_ADMIN_EMAIL = "erin@example.org"  # administrator of the outsider's organisation


def add_reviewers_and_administrators(session: Session, people: Organisations, lead: Organisation, outsiders: Organisation) -> None:
    people.member(lead, ADMIN_EMAIL, Role.ADMIN, password=PASSWORD)
    people.member(outsiders, OTHER_ADMIN_EMAIL, Role.ADMIN, password=PASSWORD)
    homes = session.exec(
        select(Organisation).where(Organisation.id.not_in([lead.id, outsiders.id]), Organisation.status == OrganisationStatus.MEMBER)
        .order_by(Organisation.id.desc())
    ).all()[:3]
    revision = Revision(
        record_type=ReviewedType.BEST_PRACTICE, organisation_id=lead.id, state=RevisionState.IN_REVIEW, round=1,
        submitted_at=utcnow(), created_by=ACTOR, updated_by=ACTOR,
        content={"data": {"title": REVIEW_TITLE, "statement": "Say who reads a report and when.", "evidence_basis": "CONSENSUS"}},
    )
    session.add(revision)
    session.commit()
    # And an evidence assessment in review, with one finding, coded by the same first two reviewers.
    assessment = Revision(
        record_type=ReviewedType.EVIDENCE_ASSESSMENT, organisation_id=lead.id, state=RevisionState.IN_REVIEW, round=1,
        submitted_at=utcnow(), created_by=ACTOR, updated_by=ACTOR,
        content={"data": {"limitations": ASSESSMENT_LIMITATIONS, "findings": [
            {"outcome": "OFFENDING", "effect_direction": "POSITIVE", "significance": "YES", "comparison": "PRE-POST"},
        ]}},
    )
    session.add(assessment)
    session.commit()
    for position, (email, home) in enumerate(zip(REVIEWER_EMAILS, homes, strict=True), start=1):
        user = people.member(home, email, Role.EDITOR, password=PASSWORD)
        session.add(Reviewer(user_id=user.id, granted_by=ACTOR))
        session.add(ReviewAssignment(revision_id=revision.id, round=1, user_id=user.id, position=position, assigned_by=ACTOR))
        if position <= 2:
            session.add(ReviewAssignment(revision_id=assessment.id, round=1, user_id=user.id, position=position, assigned_by=ACTOR))
    session.commit()


def initiative_id(portal: Portal, title: str) -> str:
    """The global id of the public initiative called `title`, as /graphql gives it."""
    query = "query($q: String!) { searchInitiatives(query: $q, matchingStrategy: ALL) { hits { initiative { id title } } } }"
    body = httpx.post(f"{portal.url}/graphql", json={"query": query, "variables": {"q": title}}, timeout=HTTP_TIMEOUT).json()
    (found,) = [h["initiative"]["id"] for h in body["data"]["searchInitiatives"]["hits"] if h["initiative"]["title"] == title]
    return found


def practice_id(portal: Portal, title: str) -> str:
    """The global id of the public best practice called `title`, as /graphql gives it."""
    query = "query($q: String!) { searchBestPractices(query: $q, matchingStrategy: ALL) { hits { bestPractice { id title } } } }"
    body = httpx.post(f"{portal.url}/graphql", json={"query": query, "variables": {"q": title}}, timeout=HTTP_TIMEOUT).json()
    (found,) = [h["bestPractice"]["id"] for h in body["data"]["searchBestPractices"]["hits"] if h["bestPractice"]["title"] == title]
    return found


def study_id(portal: Portal, title: str) -> str:
    """The global id of the public study called `title`, as /graphql gives it."""
    query = "{ studies(first: 100) { edges { node { id title } } } }"
    body = httpx.post(f"{portal.url}/graphql", json={"query": query}, timeout=HTTP_TIMEOUT).json()
    (found,) = [e["node"]["id"] for e in body["data"]["studies"]["edges"] if e["node"]["title"] == title]
    return found
