"""Access tokens and the OAuth clients they name: real signed tokens, as `coplab token mint` makes, and
clients as `coplab client create` registers them."""

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from joserfc.jwk import ECKey
from sqlmodel import Session, select

from api.auth import tokens
from api.auth.keys import ALGORITHM
from api.auth.models import SigningKey
from api.auth.scopes import Scope
from api.core.db import utcnow
from api.core.settings import Settings
from api.oauth import secrets
from api.oauth.models import OAuthClient
from api.organisations.models import Organisation, User
from tests.factories.rows import ACTOR

if TYPE_CHECKING:
    from tests.factories import Factory

# COPLAB_KEY_ENCRYPTION_KEYS of the production-mode apps the tests start (production requires one).
TEST_KEY_ENCRYPTION_KEY = "Y29wbGFiIHRlc3RzOiBub3QgYSBzZWNyZXQsIGV2ZXI="

ALL_SCOPES = " ".join(s.value for s in Scope if s is not Scope.LAB_ADMIN)
LAB_ADMIN_SCOPES = f"{ALL_SCOPES} {Scope.LAB_ADMIN.value}"


def signing_key(db: Session) -> ECKey:
    """The server's signing key, stored plain as the test environment stores it; made if there is none
    (tests/conftest.py makes one first, so production-mode apps, which encrypt new keys, find it)."""
    row = db.exec(select(SigningKey).where(SigningKey.retired_at.is_(None))).first()
    if row is None:
        key = ECKey.generate_key("P-256", parameters={"alg": ALGORITHM, "use": "sig"}, auto_kid=True)
        row = SigningKey(
            kid=key.kid,
            private_jwk=json.dumps(key.as_dict(private=True)),
            public_jwk=json.dumps(key.as_dict(private=False)),
        )
        db.add(row)
        db.commit()
    return ECKey.import_key(json.loads(row.private_jwk))


class Tokens:
    """`make.token(…)`, `make.token_client(…)`, `make.oauth_client(…)`, `make.web_client(…)`."""

    db: Session
    settings: Settings
    _token_clients: set[str]  # registered this test

    def _key(self) -> ECKey:
        return signing_key(self.db)

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


def lab_admin_token(make: "Factory") -> str:
    """A token of the Lab's secretariat holding `lab:admin`."""
    secretariat = make.organisation("lab-secretariat", stakeholder_type="MSP", secretariat=True)
    return make.token(secretariat, LAB_ADMIN_SCOPES)
