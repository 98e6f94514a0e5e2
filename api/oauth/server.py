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

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from joserfc.jwk import ECKey
from sqlmodel import Session

from api.audit.models import AuditKind
from api.auth import tokens
from api.auth.scopes import Scope
from api.oauth import service, store
from api.oauth.grants import (
    CONFIDENTIAL_CLIENT_AUTH,
    PUBLIC_CLIENT_AUTH,
    MachineClientGrant,
    PersonCodeGrant,
    RotatingRefreshGrant,
    S256Required,
    record,
)
from api.core.settings import Settings


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
        signing_key: ECKey | None = None,
        remote_address: str | None = None,
    ) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self.payload = FormPayload(form if method == "POST" else query)
        self._query = first_values(query)
        self._form = first_values(form)
        self.signing_key = signing_key
        self.remote_address = remote_address

    @property
    def args(self) -> dict[str, str]:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return self._form


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
    """RFC 7009. An access token may be revoked by the client it was issued to, or by a confidential
    client of its organisation; a refresh token by its own client only, and revoking it ends the
    whole sign-in (its grant). Any other token is treated as an unknown one: `200` and nothing
    revoked (RFC 7009 §2.2). Public clients revoke their own tokens with their client_id alone."""

    CLIENT_AUTH_METHODS = CONFIDENTIAL_CLIENT_AUTH + PUBLIC_CLIENT_AUTH

    def authenticate_token(
        self, request: OAuth2Request, client: Any  # noqa: ANN401
    ) -> StandingToken | store.PresentedRefreshToken | None:
        self.check_params(request, client)
        value = request.form["token"]
        standing = self.server.standing
        if standing is not None and standing.token == value:
            claims = standing.claims
            issued_to_it = claims.client_id == client.client_id
            same_organisation = not client.is_public and claims.organisation_id == client.organisation_id
            return standing if issued_to_it or same_organisation else None
        presented = store.find_refresh_token(self.server.session, value)
        return presented if presented is not None and presented.check_client(client) else None

    def revoke_token(self, token: StandingToken | store.PresentedRefreshToken, request: OAuth2Request) -> None:
        session = self.server.session
        if isinstance(token, store.PresentedRefreshToken):
            store.revoke_grant(session, token.grant.id)
            organisation_id, subject = token.grant.organisation_id, f"user:{token.grant.user_id}"
        else:
            claims = token.claims
            service.revoke_access_token(
                session,
                jti=claims.token_id,
                organisation_id=claims.organisation_id,
                expires_at=datetime.fromtimestamp(claims.expires_at, UTC),
            )
            organisation_id, subject = claims.organisation_id, claims.subject
        record(self.server, AuditKind.TOKEN_REVOKED, organisation_id=organisation_id, subject=subject, scope=None)


class IssuerInRedirects(IssuerParameter):
    """RFC 9207: every redirect from the authorization endpoint names this server (`iss`), so a
    client talking to several servers cannot be tricked into sending a code to the wrong one."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer

    def add_issuer_parameter(self, authorization_server: Any, response: tuple[int, Any, list]) -> None:  # noqa: ANN401
        """Our responses are `(status, body, headers)` tuples: the Location header is rewritten in place."""
        headers = response[2]
        for index, (name, value) in enumerate(headers):
            if name.lower() == "location":
                headers[index] = (name, add_params_to_uri(value, {"iss": self.issuer}))


class CoplabAuthorizationServer(AuthorizationServer):
    """One per token request, bound to that request's database session: Authlib's hooks carry no
    request (`query_client(client_id)`), and a per-request instance shares nothing between threads."""

    def __init__(self, *, settings: Settings, session: Session, standing: StandingToken | None = None) -> None:
        super().__init__(scopes_supported=[s.value for s in Scope])
        self.settings = settings
        self.session = session
        self.standing = standing
        self.current_request: StarletteOAuth2Request | None = None
        # Every client id Authlib looked up while authenticating: a failure counts against each one.
        self.looked_up_client_ids: list[str] = []
        self.issuer_parameter = IssuerInRedirects(settings.issuer.rstrip("/"))
        self.register_grant(MachineClientGrant)
        self.register_grant(PersonCodeGrant, [S256Required()])
        self.register_grant(RotatingRefreshGrant)
        self.register_endpoint(OwnTokensIntrospection)
        self.register_endpoint(OwnTokensRevocation)
        self.register_extension(self.issuer_parameter)

    def query_client(self, client_id: str) -> Any:  # noqa: ANN401
        self.looked_up_client_ids.append(client_id)
        if not service.could_be_client_id(client_id):
            return None
        return service.usable_client(self.session, client_id)

    def save_token(self, token: dict, request: OAuth2Request) -> None:
        """Nothing left to store: access tokens are self-contained JWTs, and the grants have already
        stored what they issued besides (refresh tokens, as digests)."""

    def create_oauth2_request(self, request: StarletteOAuth2Request) -> StarletteOAuth2Request:
        self.current_request = request
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> tuple[int, Any, list]:  # noqa: ANN401
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        """No signal receivers."""
