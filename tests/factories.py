"""Small factories for arranging tests: organisations, people, tokens, GraphQL calls."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from joserfc.jwk import ECKey
from sqlmodel import Session, select
from strawberry.relay import to_base64

from api.auth import tokens
from api.auth.keys import ALGORITHM
from api.auth.passwords import hash_password
from api.auth.models import SigningKey
from api.auth.principal import Role
from api.auth.scopes import Scope
from api.core.db import utcnow
from api.initiatives.models import Initiative, InitiativeClassification, Participation
from api.oauth import secrets
from api.oauth.models import OAuthClient
from api.organisations.models import Membership, Organisation, OrganisationStatus, User
from api.core.settings import Settings
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
    _token_clients: set[str] = field(default_factory=set)  # registered this test

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

    def member(
        self, organisation: Organisation, email: str, role: Role = Role.ADMIN, *, password: str | None = None
    ) -> User:
        user = self.db.exec(select(User).where(User.email == email)).first()
        if user is None:
            user = User(email=email, name=email.split("@")[0], created_by=ACTOR, updated_by=ACTOR)
        if password is not None:
            user.password_hash = hash_password(password)
        if user.id is None or password is not None:
            self.db.add(user)
            self.db.commit()
        self.db.add(
            Membership(
                user_id=user.id,
                organisation_id=organisation.id,
                role=role,
                accepted_at=utcnow(),
                created_by=ACTOR,
                updated_by=ACTOR,
            )
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
            client_id=self.token_client(organisation),
            organisation_id=organisation.id,
            scope=scope,
            lifetime_seconds=lifetime,
            now=now,
        )

    def _register_client(self, organisation: Organisation, **fields: Any) -> OAuthClient:
        client = OAuthClient(organisation_id=organisation.id, created_by=ACTOR, updated_by=ACTOR, **fields)
        self.db.add(client)
        self.db.commit()
        return client

    def token_client(self, organisation: Organisation) -> str:
        """The registered client that this factory's tokens name for `organisation` (the server
        refuses tokens of unknown or revoked clients), like `coplab token mint`'s development client."""
        client_id = f"test-client-{organisation.id}"
        if client_id not in self._token_clients:
            if self.db.exec(select(OAuthClient).where(OAuthClient.client_id == client_id)).first() is None:
                self._register_client(
                    organisation, client_id=client_id, name="Test tokens", scopes=sorted(s.value for s in Scope), grant_types=[]
                )
            self._token_clients.add(client_id)
        return client_id

    def oauth_client(
        self, organisation: Organisation, scopes: Iterable[str], *, revoked: bool = False
    ) -> tuple[OAuthClient, str]:
        """A machine client and its secret, as `coplab client create` registers them."""
        secret = secrets.new_secret()
        client = self._register_client(
            organisation,
            client_id=secrets.new_client_id(),
            secret_hash=secrets.digest(secret),
            name="Case system",
            scopes=sorted(scopes),
            grant_types=["client_credentials"],
            revoked_at=utcnow() if revoked else None,
        )
        return client, secret

    def web_client(
        self,
        organisation: Organisation,
        scopes: Iterable[str],
        redirect_uris: Iterable[str],
        *,
        public: bool = True,
        all_organisations: bool = False,
    ) -> tuple[OAuthClient, str | None]:
        """A web app people sign in to (authorization code + PKCE), as `coplab client create --kind WEB_…`
        registers it: public (no secret) or confidential."""
        secret = None if public else secrets.new_secret()
        client = self._register_client(
            organisation,
            client_id=secrets.new_client_id(),
            secret_hash=secrets.digest(secret) if secret else None,
            name="Registry web app",
            scopes=sorted(scopes),
            grant_types=["authorization_code", "refresh_token"],
            redirect_uris=list(redirect_uris),
            all_organisations=all_organisations,
        )
        return client, secret

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
                    confirmed_at=utcnow(),
                    confirmed_by=ACTOR,
                    created_by=ACTOR,
                    updated_by=ACTOR,
                )
            )
        self.db.commit()
        return initiative

    def practice(
        self,
        organisation: Organisation,
        title: str = "A best practice",
        *,
        statement: str = "Do what works.",
        evidence_basis: str = "CONSENSUS",
        visibility: str = "PUBLIC",
        harms: Iterable[str] = (),
        intervention_types: Iterable[str] = (),
        evidence: Iterable[int] = (),
        endorsed_by: Iterable[Organisation] = (),
    ):  # noqa: ANN201
        """A best practice proposed by `organisation`, with its classifications, citations and endorsements."""
        from api.practices.models import BestPractice, Endorsement, PracticeClassification, PracticeEvidence

        practice = BestPractice(
            organisation_id=organisation.id,
            title=title,
            statement=statement,
            evidence_basis=evidence_basis,
            visibility=visibility,
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        self.db.add(practice)
        self.db.commit()
        for scheme, codes in (("harm", harms), ("intervention-type", intervention_types)):
            self.db.add_all(PracticeClassification(practice_id=practice.id, scheme=scheme, code=c) for c in codes)
        self.db.add_all(PracticeEvidence(practice_id=practice.id, assessment_id=a) for a in evidence)
        self.db.add_all(
            Endorsement(practice_id=practice.id, organisation_id=o.id, endorsed_by=ACTOR) for o in endorsed_by
        )
        self.db.commit()
        return practice

    def assessment(
        self,
        initiative: Initiative,
        assessor: Organisation,
        title: str = "An assessment",
        *,
        visibility: str = "PUBLIC",
        independence: str = "INDEPENDENT",
        study_design: str = "CASE",
        published_on=None,  # noqa: ANN001  (a date)
        ratings: Iterable[str] = ("EMERGING",),
    ):  # noqa: ANN201
        """An evidence assessment of `initiative` by `assessor`, with one finding per rating."""
        from api.evidence.models import EvidenceAssessment, Finding

        assessment = EvidenceAssessment(
            initiative_id=initiative.id,
            assessing_organisation_id=assessor.id,
            title=title,
            independence=independence,
            study_design=study_design,
            published_on=published_on,
            visibility=visibility,
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        self.db.add(assessment)
        self.db.commit()
        self.db.add_all(
            Finding(
                assessment_id=assessment.id,
                outcome="REMOVAL-TIME",
                effect_direction="POSITIVE",
                rating=rating,
                certainty="LOW",
                created_by=ACTOR,
                updated_by=ACTOR,
            )
            for rating in ratings
        )
        self.db.commit()
        return assessment


def graphql(client: Any, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    """POST a GraphQL operation; returns the JSON body (asserting HTTP 200)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# --- helpers for the initiatives and organisations tests (appended) ---------------------------------

from sqlmodel import SQLModel  # noqa: E402
from strawberry.relay import from_base64  # noqa: E402

REGISTRY_TABLES = ("organisation", "user_account", "membership", "initiative", "initiative_classification", "participation")
LAB_ADMIN_SCOPES = f"{ALL_SCOPES} {Scope.LAB_ADMIN.value}"


def stored(db: Session) -> dict[str, list[dict[str, Any]]]:
    """Every row of the registry's tables, read on a fresh connection (equal before and after: nothing changed)."""
    db.expire_all()
    tables = [SQLModel.metadata.tables[name] for name in REGISTRY_TABLES]
    with db.get_bind().connect() as connection:
        return {
            table.name: [
                dict(row._mapping) for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for table in tables
        }


def send_variables(client: Any, name: str, values: dict, token: str | None, selection: str = "userErrors { code }") -> dict:
    """The response to mutation `name(input: $input)` with `values` sent as variables."""
    input_type = f"{name[0].upper()}{name[1:]}Input"
    query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} }} }}"
    return graphql(client, query, {"input": values}, token)


def send_inline(client: Any, name: str, values: dict, token: str | None, selection: str = "userErrors { code }") -> dict:
    """The response to mutation `name(input: {…})` with `values` written inline as a literal."""
    return graphql(client, f"mutation {{ {name}(input: {graphql_literal(values)}) {{ {selection} }} }}", token=token)


def mutate(client: Any, name: str, values: dict, token: str | None, selection: str = "") -> dict:
    """Run `name(input: $input)` with `values` as variables; its payload, asserting no top-level errors."""
    body = send_variables(client, name, values, token, f"{selection} userErrors {{ field code message }}")
    assert "errors" not in body, body
    return body["data"][name]


def user_errors(payload: dict) -> list[tuple[list[str], str]]:
    """A payload's userErrors as (field path, code) pairs, in the order given."""
    return [(error["field"], error["code"]) for error in payload["userErrors"]]


def error_extensions(body: dict) -> list[dict]:
    """The `extensions` of a response's top-level errors."""
    return [error.get("extensions", {}) for error in body.get("errors", [])]


class EnumValue(str):
    """A string written bare in a GraphQL literal, as enum values are (and as a string in JSON)."""


def graphql_literal(value: Any) -> str:
    """`value` written as a GraphQL input literal (strings, enums, numbers, booleans, null, lists, objects)."""
    if isinstance(value, EnumValue):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {graphql_literal(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(graphql_literal(item) for item in value) + "]"
    return json.dumps(value)


def membership_of(db: Session, organisation: Organisation, user: User) -> Membership:
    """The membership of `user` in `organisation`."""
    return db.exec(
        select(Membership).where(Membership.organisation_id == organisation.id, Membership.user_id == user.id)
    ).one()


def classify(db: Session, initiative: Initiative, scheme: str, *codes: str) -> None:
    """Classify `initiative` under `scheme` (e.g. "country", "intervention-type")."""
    db.add_all(InitiativeClassification(initiative_id=initiative.id, scheme=scheme, code=code) for code in codes)
    db.commit()


def set_columns(db: Session, row: Any, **values: Any) -> Any:
    """Set columns of a stored row directly (timestamps, deleted_at …) and commit."""
    for key, value in values.items():
        setattr(row, key, value)
    db.add(row)
    db.commit()
    return row


def lab_admin_token(make: Factory) -> str:
    """A token of the Lab's secretariat holding `lab:admin`."""
    secretariat = make.organisation("lab-secretariat", stakeholder_type="MSP", secretariat=True)
    return make.token(secretariat, LAB_ADMIN_SCOPES)


CONNECTION_TYPES = {"initiatives": "Initiative", "organisations": "Organisation"}


def connection_pages(
    client: Any,
    field: str,
    *,
    token: str | None = None,
    filter: dict | None = None,  # noqa: A002
    order_by: str | None = None,
    first: int = 100,
    node: str = "id",
) -> list[dict]:
    """Every page of the top-level connection `field`, following `endCursor` until the last page."""
    type_name = CONNECTION_TYPES[field]
    ordering = (f", $orderBy: {type_name}Order!", ", orderBy: $orderBy") if order_by else ("", "")
    query = (
        f"query($first: Int, $after: String, $filter: {type_name}Filter{ordering[0]}) {{"
        f" {field}(first: $first, after: $after, filter: $filter{ordering[1]}) {{"
        f" totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }} edges {{ cursor node {{ {node} }} }} }} }}"
    )
    pages: list[dict] = []
    after = None
    while len(pages) < 1000:
        variables = {"first": first, "after": after, "filter": filter, **({"orderBy": order_by} if order_by else {})}
        body = graphql(client, query, variables, token)
        assert "errors" not in body, body
        pages.append(body["data"][field])
        if not pages[-1]["pageInfo"]["hasNextPage"]:
            return pages
        after = pages[-1]["pageInfo"]["endCursor"]
    raise AssertionError("the connection never reached its last page")


def node_ids(pages: list[dict]) -> list[int]:
    """The database ids of every node on `pages`, in order."""
    return [int(from_base64(edge["node"]["id"])[1]) for page in pages for edge in page["edges"]]
