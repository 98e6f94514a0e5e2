"""Authlib's authorization server behind Starlette.

Authlib ships no Starlette integration, so this is the thin adapter its Flask integration shows:
the async route reads the request (form body, headers) and the signing key, then Authlib's
synchronous grant logic runs in a worker thread with a synchronous database session, off the
event loop.
"""

import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidScopeError, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from joserfc.jwk import ECKey
from sqlmodel import Session

from api.auth import tokens
from api.auth.dependencies import CLIENT_PREFIX
from api.auth.scopes import Scope
from api.oauth import service
from api.settings import Settings


# How confidential clients authenticate at every endpoint: HTTP Basic, or the credentials in the form.
CONFIDENTIAL_CLIENT_AUTH = ["client_secret_basic", "client_secret_post"]


def first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Each parameter's first value; Authlib rejects repeats where they matter, through `datalist`."""
    return {key: value for key, value in reversed(pairs)}


class FormPayload(OAuth2Payload):
    def __init__(self, form: list[tuple[str, str]]) -> None:
        self._data = first_values(form)
        self._datalist: defaultdict[str, list] = defaultdict(list)
        for key, value in form:
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):
    """A request already read by the async route: Authlib never touches the ASGI stream."""

    def __init__(
        self,
        *,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
        signing_key: ECKey | None,
    ) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self.payload = FormPayload(form if method == "POST" else query)
        self._query = first_values(query)
        self._form = first_values(form)
        self.signing_key = signing_key

    @property
    def args(self) -> dict[str, str]:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return self._form


class MachineClientGrant(ClientCredentialsGrant):
    """Client credentials for an organisation's own systems; the token acts for the client's organisation."""

    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_CLIENT_AUTH

    def generate_token(self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True):  # noqa: ANN001, ANN201
        server: CoplabAuthorizationServer = self.server
        client = self.request.client
        granted = client.get_allowed_scope(scope)  # what was asked for ∩ what the client may hold
        if scope and not granted:
            raise InvalidScopeError("The client may hold none of the requested scopes.")
        lifetime = server.settings.access_token_lifetime_seconds
        access_token = tokens.mint(
            key=self.request.signing_key,
            issuer=server.settings.issuer,
            audience=server.settings.audience,
            subject=f"{CLIENT_PREFIX}{client.client_id}",
            client_id=client.client_id,
            organisation_id=client.organisation_id,
            scope=granted,
            lifetime_seconds=lifetime,
        )
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": lifetime, "scope": granted}


@dataclass(frozen=True)
class StandingToken:
    """An access token the API would accept right now, checked before Authlib runs (introspection and
    revocation both start from it)."""

    token: str
    claims: tokens.AccessTokenClaims
    settings: Settings

    def is_expired(self) -> bool:
        return self.claims.expires_at <= time.time()

    def is_revoked(self) -> bool:
        return False  # `standing_token` has just checked the client, organisation and membership


class OwnTokensIntrospection(IntrospectionEndpoint):
    """RFC 7662 for a client of the organisation the token was issued for; anyone else's token is
    simply not active."""

    CLIENT_AUTH_METHODS = CONFIDENTIAL_CLIENT_AUTH

    def query_token(self, token_string: str, token_type_hint: str | None) -> StandingToken | None:
        standing = self.server.standing
        return standing if standing is not None and standing.token == token_string else None

    def check_permission(self, token: StandingToken, client: Any, request: OAuth2Request) -> bool:  # noqa: ANN401
        return token.claims.organisation_id == client.organisation_id

    def introspect_token(self, token: StandingToken) -> dict:
        claims = token.claims
        return {
            "active": True,
            "token_type": "Bearer",
            "scope": claims.scope,
            "client_id": claims.client_id,
            "sub": claims.subject,
            "org": claims.organisation_id,
            "exp": claims.expires_at,
            "jti": claims.token_id,
            "iss": token.settings.issuer,
            "aud": token.settings.audience,
        }


class OwnTokensRevocation(RevocationEndpoint):
    """RFC 7009 for a client of the organisation the token was issued for. Another organisation's
    token is treated as an unknown one: `200` and nothing revoked (RFC 7009 §2.2)."""

    CLIENT_AUTH_METHODS = CONFIDENTIAL_CLIENT_AUTH

    def authenticate_token(self, request: OAuth2Request, client: Any) -> StandingToken | None:  # noqa: ANN401
        self.check_params(request, client)
        standing = self.server.standing
        if standing is None or standing.token != request.form["token"]:
            return None
        return standing if standing.claims.organisation_id == client.organisation_id else None

    def revoke_token(self, token: StandingToken, request: OAuth2Request) -> None:
        service.revoke_access_token(
            self.server.session,
            jti=token.claims.token_id,
            organisation_id=token.claims.organisation_id,
            expires_at=datetime.fromtimestamp(token.claims.expires_at, UTC),
        )
        self.server.session.commit()


class CoplabAuthorizationServer(AuthorizationServer):
    """One per token request, bound to that request's database session: Authlib's hooks carry no
    request (`query_client(client_id)`), and a per-request instance shares nothing between threads."""

    def __init__(self, *, settings: Settings, session: Session, standing: StandingToken | None = None) -> None:
        super().__init__(scopes_supported=[s.value for s in Scope])
        self.settings = settings
        self.session = session
        self.standing = standing
        self.register_grant(MachineClientGrant)
        self.register_endpoint(OwnTokensIntrospection)
        self.register_endpoint(OwnTokensRevocation)

    def query_client(self, client_id: str) -> Any:  # noqa: ANN401
        return service.usable_client(self.session, client_id)

    def save_token(self, token: dict, request: OAuth2Request) -> None:
        """Access tokens are self-contained JWTs: nothing to store for client credentials."""

    def create_oauth2_request(self, request: StarletteOAuth2Request) -> StarletteOAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> tuple[int, Any, list]:  # noqa: ANN401
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        """No signal receivers."""
