"""Small factories for arranging tests: organisations, people, tokens, GraphQL calls."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from joserfc.jwk import ECKey
from sqlmodel import Session, select
from strawberry.relay import to_base64

from api.auth import tokens
from api.auth.keys import ALGORITHM
from api.auth.models import SigningKey
from api.auth.principal import Role
from api.auth.scopes import Scope
from api.initiatives.models import Initiative, InitiativeClassification, Participation
from api.organisations.models import Membership, Organisation, OrganisationStatus, User
from api.settings import Settings
from api.vocabularies.models import Vocabulary, VocabularyTerm

ALL_SCOPES = " ".join(s.value for s in Scope if s is not Scope.LAB_ADMIN)
ACTOR = "test"


def load_vocabularies(engine: sa.Engine, directory: Path) -> None:
    with Session(engine) as session:
        for path in sorted(directory.glob("*.yaml")):
            document = yaml.safe_load(path.read_text())
            session.add(Vocabulary(code=document["code"], label=document["label"], source=document.get("source")))
            for position, term in enumerate(document["terms"]):
                session.add(
                    VocabularyTerm(
                        vocabulary=document["code"],
                        code=term["code"],
                        label=term["label"],
                        attributes=term.get("attributes") or {},
                        position=position,
                    )
                )
        session.commit()


def gid(type_name: str, row_id: int) -> str:
    """The global id the API gives a record."""
    return to_base64(type_name, row_id)


@dataclass
class Factory:
    db: Session
    settings: Settings

    def organisation(
        self,
        slug: str,
        *,
        status: OrganisationStatus = OrganisationStatus.MEMBER,
        stakeholder_type: str = "NGO",
        country: str | None = "FR",
        secretariat: bool = False,
    ) -> Organisation:
        organisation = Organisation(
            slug=slug,
            name=slug.replace("-", " ").title(),
            stakeholder_type=stakeholder_type,
            country=country,
            status=status,
            is_secretariat=secretariat,
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        self.db.add(organisation)
        self.db.commit()
        return organisation

    def member(self, organisation: Organisation, email: str, role: Role = Role.ADMIN) -> User:
        user = self.db.exec(select(User).where(User.email == email)).first()
        if user is None:
            user = User(email=email, name=email.split("@")[0], created_by=ACTOR, updated_by=ACTOR)
            self.db.add(user)
            self.db.commit()
        self.db.add(
            Membership(user_id=user.id, organisation_id=organisation.id, role=role, created_by=ACTOR, updated_by=ACTOR)
        )
        self.db.commit()
        return user

    def _key(self) -> ECKey:
        row = self.db.exec(select(SigningKey).where(SigningKey.retired_at.is_(None))).first()
        if row is None:
            key = ECKey.generate_key("P-256", parameters={"alg": ALGORITHM, "use": "sig"}, auto_kid=True)
            row = SigningKey(
                kid=key.kid,
                private_jwk=json.dumps(key.as_dict(private=True)),
                public_jwk=json.dumps(key.as_dict(private=False)),
            )
            self.db.add(row)
            self.db.commit()
        return ECKey.import_key(json.loads(row.private_jwk))

    def token(
        self,
        organisation: Organisation,
        scopes: str | Iterable[str] = ALL_SCOPES,
        *,
        user: User | None = None,
        lifetime: int = 600,
        now: int | None = None,
    ) -> str:
        """A real signed access token, as `coplab token mint` makes."""
        scope = scopes if isinstance(scopes, str) else " ".join(scopes)
        return tokens.mint(
            key=self._key(),
            issuer=self.settings.issuer,
            audience=self.settings.audience,
            subject=f"user:{user.id}" if user else "client:test-client",
            client_id="test-client",
            organisation_id=organisation.id,
            scope=scope,
            lifetime_seconds=lifetime,
            now=now,
        )

    def initiative(
        self,
        lead: Organisation,
        title: str = "An initiative",
        *,
        visibility: str = "PUBLIC",
        status: str = "IMPLEMENTATION",
        harms: Iterable[str] = (),
        partners: Iterable[tuple[Organisation, str]] = (),
    ) -> Initiative:
        initiative = Initiative(
            title=title,
            lead_organisation_id=lead.id,
            status=status,
            visibility=visibility,
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        self.db.add(initiative)
        self.db.commit()
        for code in harms:
            self.db.add(InitiativeClassification(initiative_id=initiative.id, scheme="harm", code=code))
        for organisation, role in partners:
            self.db.add(
                Participation(
                    initiative_id=initiative.id,
                    organisation_id=organisation.id,
                    role=role,
                    created_by=ACTOR,
                    updated_by=ACTOR,
                )
            )
        self.db.commit()
        return initiative


def graphql(client: Any, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    """POST a GraphQL operation; returns the JSON body (asserting HTTP 200)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()
