"""The OAuth grants coplab offers, as Authlib grant classes: client credentials for an
organisation's systems, authorization code with PKCE for people, and rotating refresh tokens.

Every token is issued and audited here, so the route around them stays the same for all grants.
"""

from typing import Any, Protocol

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, InvalidScopeError, OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, ClientCredentialsGrant, RefreshTokenGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from sqlmodel import Session

from api.audit import service as audit
from api.audit.models import AuditKind
from api.auth import tokens
from api.auth.principal import CLIENT_PREFIX
from api.core.db import utcnow
from api.core.settings import Settings
from api.oauth import store
from api.oauth.models import AuthorizationCode, OAuthClient, OAuthGrant

# How confidential clients authenticate at every endpoint: HTTP Basic, or the credentials in the form.
CONFIDENTIAL_CLIENT_AUTH = ["client_secret_basic", "client_secret_post"]
# Public clients (a browser app) present their client_id alone; PKCE is what binds their code.
PUBLIC_CLIENT_AUTH = ["none"]


class TokenServer(Protocol):
    """What the grants use of the server that runs them: `server.CoplabAuthorizationServer`, which
    registers them, so this module does not import it."""

    settings: Settings
    session: Session
    current_request: OAuth2Request | None  # coplab's carries the signing key and the remote address


def record(
    server: TokenServer, kind: AuditKind, *, organisation_id: int | None, subject: str, scope: str | None
) -> None:
    """An audit event about the request being answered. Flushes, never commits."""
    request = server.current_request
    audit.record(
        server.session,
        kind=kind,
        organisation_id=organisation_id,
        client_id=request.client.client_id if request.client else None,
        subject=subject,
        scope=scope,
        remote_address=request.remote_address,
    )


class MachineClientGrant(ClientCredentialsGrant):
    """Client credentials for an organisation's own systems; the token acts for the client's organisation.

    Public clients are allowed to *try* (auth method `none`), so that they get the precise answer
    `unauthorized_client` rather than `invalid_client` (SECURITY.md 28): none of them holds this grant.
    """

    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_CLIENT_AUTH + PUBLIC_CLIENT_AUTH

    def generate_token(self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True):  # noqa: ANN001, ANN201
        server: TokenServer = self.server
        client: OAuthClient = self.request.client
        granted = client.get_allowed_scope(scope)  # what was asked for ∩ what the client may hold
        if scope and not granted:
            raise InvalidScopeError("The client may hold none of the requested scopes.")
        subject = f"{CLIENT_PREFIX}{client.client_id}"
        lifetime = server.settings.access_token_lifetime_seconds
        access_token = tokens.mint(
            key=self.request.signing_key,
            issuer=server.settings.issuer,
            audience=server.settings.audience,
            subject=subject,
            client_id=client.client_id,
            organisation_id=client.organisation_id,
            scope=granted,
            lifetime_seconds=lifetime,
        )
        record(server, AuditKind.TOKEN_ISSUED, organisation_id=client.organisation_id, subject=subject, scope=granted)
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": lifetime, "scope": granted}


def issue_person_tokens(
    server: TokenServer, *, grant: OAuthGrant, member: store.Member, scope: str, with_refresh: bool
) -> dict:
    """An access token under `grant` and, for clients that may refresh, the grant's next refresh token."""
    settings = server.settings
    request = server.current_request
    lifetime = settings.access_token_lifetime_seconds
    token = {
        "access_token": tokens.mint(
            key=request.signing_key,
            issuer=settings.issuer,
            audience=settings.audience,
            subject=member.subject,
            client_id=grant.client_id,
            organisation_id=member.organisation_id,
            scope=scope,
            lifetime_seconds=lifetime,
            grant_id=grant.id,
        ),
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": scope,
    }
    if with_refresh:
        token["refresh_token"] = store.issue_refresh_token(
            server.session, grant=grant, idle_lifetime_seconds=settings.refresh_token_idle_seconds
        )
    return token


class S256Required(CodeChallenge):
    """PKCE on every authorization request, confidential clients included, and only with S256:
    `plain` and a missing challenge are refused (SECURITY.md 24, RFC 9700 §2.1.1)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: AuthorizationCodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' with 'code_challenge_method=S256'.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only 'code_challenge_method=S256' is supported.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: AuthorizationCodeGrant, result: object) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


class PersonCodeGrant(AuthorizationCodeGrant):
    """Authorization code for people signing in through a web app, public or confidential.

    The code is kept after its exchange: presented again, it revokes the grant its first exchange
    opened, and with it every token issued from it (SECURITY.md 23).
    """

    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_CLIENT_AUTH + PUBLIC_CLIENT_AUTH

    def save_authorization_code(self, code: str, request: Any) -> None:  # noqa: ANN401
        member: store.Member = request.user
        store.save_code(
            self.server.session,
            code=code,
            client_id=request.client.client_id,
            member=member,
            redirect_uri=request.payload.redirect_uri or "",
            scope=member.allowed(request.scope or ""),  # requested ∩ the client's ∩ the role's
            code_challenge=request.payload.data["code_challenge"],
            code_challenge_method=request.payload.data["code_challenge_method"],
            lifetime_seconds=self.server.settings.authorization_code_seconds,
        )

    def query_authorization_code(self, code: str, client: OAuthClient) -> AuthorizationCode | None:
        server: TokenServer = self.server
        redemption = store.redeem_code(server.session, code=code, client_id=client.client_id)
        reused = redemption.reused
        if reused is not None:
            if reused.grant_id is not None:
                store.revoke_grant(server.session, reused.grant_id)
            record(
                server,
                AuditKind.AUTHORIZATION_CODE_REUSED,
                organisation_id=reused.organisation_id,
                subject=f"user:{reused.user_id}",
                scope=None,
            )
            server.session.commit()  # the refusal below must not undo the revocation
        return redemption.code

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing to delete: `redeem_code` marked the code used, and it is kept to recognise reuse."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> store.Member | None:
        return store.current_member(
            self.server.session, user_id=authorization_code.user_id, organisation_id=authorization_code.organisation_id
        )

    def generate_token(self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True):  # noqa: ANN001, ANN201
        server: TokenServer = self.server
        member: store.Member = user
        code: AuthorizationCode = self.request.authorization_code
        granted = member.allowed(scope or "")  # the role may have changed since consent
        grant = store.open_grant(
            server.session,
            client_id=code.client_id,
            member=member,
            scope=granted,
            absolute_lifetime_seconds=server.settings.refresh_token_absolute_seconds,
        )
        code.grant_id = grant.id
        server.session.add(code)
        record(server, AuditKind.TOKEN_ISSUED, organisation_id=member.organisation_id, subject=member.subject, scope=granted)
        return issue_person_tokens(server, grant=grant, member=member, scope=granted, with_refresh=include_refresh_token)


class RotatingRefreshGrant(RefreshTokenGrant):
    """Refresh with rotation: each refresh token works once and is replaced by the next one of the
    same grant. Presenting a rotated token again means it was copied: the whole grant is revoked
    (SECURITY.md 22). Rotation never extends the grant's absolute lifetime."""

    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_CLIENT_AUTH + PUBLIC_CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> store.PresentedRefreshToken | None:
        server: TokenServer = self.server
        presented = store.find_refresh_token(server.session, refresh_token)
        if presented is None:
            return None
        if presented.row.rotated_at is not None:
            self._reused(presented)
        if not presented.is_usable(utcnow()):
            return None
        # A person who left the organisation, or whose organisation was suspended, refreshes no more.
        grant = presented.grant
        self.request.member = store.current_member(
            server.session, user_id=grant.user_id, organisation_id=grant.organisation_id
        )
        return presented if self.request.member is not None else None

    def _reused(self, presented: store.PresentedRefreshToken) -> None:
        server: TokenServer = self.server
        store.revoke_grant(server.session, presented.grant.id)
        record(
            server,
            AuditKind.REFRESH_TOKEN_REUSED,
            organisation_id=presented.grant.organisation_id,
            subject=f"user:{presented.grant.user_id}",
            scope=None,
        )
        server.session.commit()  # the refusal must not undo the revocation
        raise InvalidGrantError("This refresh token was already used; the sign-in it belongs to is revoked.")

    def validate_token_request(self) -> None:
        """Authlib's checks (client, token, scope no wider than granted), then the rotation claim, so
        a refused request never uses the token up."""
        super().validate_token_request()
        presented: store.PresentedRefreshToken = self.request.refresh_token
        if not store.rotate_refresh_token(self.server.session, presented):
            self._reused(presented)

    def authenticate_user(self, refresh_token: store.PresentedRefreshToken) -> store.Member | None:
        return self.request.member  # found by `authenticate_refresh_token`

    def generate_token(self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True):  # noqa: ANN001, ANN201
        server: TokenServer = self.server
        member: store.Member = user
        grant = self.request.refresh_token.grant
        granted = member.allowed(scope or grant.scope)
        record(server, AuditKind.TOKEN_REFRESHED, organisation_id=member.organisation_id, subject=member.subject, scope=granted)
        return issue_person_tokens(server, grant=grant, member=member, scope=granted, with_refresh=True)

    def revoke_old_credential(self, refresh_token: store.PresentedRefreshToken) -> None:
        """Nothing left to do: `validate_token_request` rotated it before any token was issued."""
