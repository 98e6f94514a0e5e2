"""`coplab client`, `coplab token` and `coplab keys` (registered in api/cli.py): OAuth clients of member
organisations, access tokens minted for development and tests, and the keys that sign them."""

import base64
import secrets
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth import keys, tokens
from api.auth.key_encryption import KeyEncryption
from api.auth.principal import CLIENT_PREFIX, OPERATOR, USER_PREFIX
from api.auth.scopes import Scope
from api.core.console import console, exit_on_invalid_settings, in_transaction
from api.core.settings import ENCRYPTION_KEY_BYTES, get_settings
from api.oauth import service as oauth
from api.organisations.commands import organisation_by_slug
from api.organisations.models import User

client_app = typer.Typer(help="OAuth clients of member organisations.", no_args_is_help=True)
token_app = typer.Typer(help="Access tokens for development and tests.", no_args_is_help=True)
keys_app = typer.Typer(help="The keys that sign access tokens.", no_args_is_help=True)


@client_app.command("create")
def client_create(
    org: Annotated[str, typer.Option(help="Organisation slug the client belongs to.")],
    name: Annotated[str, typer.Option(help="What the client is, e.g. 'hotline case system'.")],
    scopes: Annotated[str, typer.Option(help="Space-separated scopes the client may request.")],
    kind: Annotated[
        oauth.ClientKind, typer.Option(help="MACHINE (client credentials), WEB_CONFIDENTIAL or WEB_PUBLIC (sign-in with PKCE).")
    ] = oauth.ClientKind.MACHINE,
    redirect_uri: Annotated[list[str] | None, typer.Option(help="A redirect URI of a web client (repeatable).")] = None,
    all_organisations: Annotated[
        bool, typer.Option(help="A Lab-wide web app: people of any organisation sign in through it.")
    ] = False,
) -> None:
    """Register a client and print its id and secret (shown this once; public clients have none)."""

    async def work(session: AsyncSession) -> oauth.NewClient:
        organisation = await organisation_by_slug(session, org)
        return await oauth.create_client(
            session=session,
            principal=OPERATOR,
            organisation_id=organisation.id,
            name=name,
            scopes=scopes.split(),
            kind=kind,
            redirect_uris=redirect_uri or [],
            all_organisations=all_organisations,
        )

    created = in_transaction(work)
    typer.echo(f"client_id={created.client.client_id}")
    if created.secret is not None:
        console.print(f"client for {org} created; store the secret now, it is not shown again")
        typer.echo(f"client_secret={created.secret}")
    else:
        console.print(f"public client for {org} created; it has no secret and signs people in with PKCE")


@client_app.command("revoke")
def client_revoke(client_id: str) -> None:
    """Revoke a client: no more tokens, and the access tokens it holds stop working at once."""

    async def work(session: AsyncSession) -> None:
        await oauth.revoke(session=session, principal=OPERATOR, client_id=client_id)

    in_transaction(work)
    console.print(f"client {client_id} revoked")


@token_app.command("mint")
def token_mint(
    org: Annotated[str, typer.Option(help="Organisation slug the token acts for.")],
    scopes: Annotated[str, typer.Option(help="Space-separated scopes, e.g. 'initiatives:read initiatives:write'.")],
    user: Annotated[str | None, typer.Option(help="Act as this member (by e-mail); else as a machine client.")] = None,
    lifetime: Annotated[
        int | None, typer.Option(min=1, help="Seconds until expiry (default COPLAB_ACCESS_TOKEN_LIFETIME_SECONDS).")
    ] = None,
    issuer: Annotated[
        str | None,
        typer.Option(help="The issuer of the server the token is for, e.g. http://127.0.0.1:8123 (default COPLAB_ISSUER)."),
    ] = None,
) -> None:
    """Print a signed access token (RFC 9068) for an organisation. A server accepts it only if its
    issuer is the token's: the issuer used is printed on standard error."""
    settings = get_settings()
    if issuer is not None:
        try:
            settings = settings.model_validate({**settings.model_dump(), "issuer": issuer})
        except ValidationError as error:
            exit_on_invalid_settings(error)
    unknown = set(scopes.split()) - {s.value for s in Scope}
    if unknown:
        console.print(f"[red]unknown scopes: {' '.join(sorted(unknown))}")
        raise typer.Exit(1)

    async def work(session: AsyncSession) -> str:
        organisation = await organisation_by_slug(session, org)
        client = await oauth.development_client(session=session, principal=OPERATOR, organisation_id=organisation.id)
        subject = f"{CLIENT_PREFIX}{client.client_id}"
        if user is not None:
            found = (await session.exec(select(User).where(User.email == user.lower()))).first()
            if found is None:
                console.print(f"[red]no user {user}")
                raise typer.Exit(1)
            subject = f"{USER_PREFIX}{found.id}"
        return tokens.mint(
            key=await keys.active_key(session=session, encryption=KeyEncryption.of(settings.key_encryption_keys)),
            issuer=settings.issuer,
            audience=settings.audience,
            subject=subject,
            client_id=client.client_id,
            organisation_id=organisation.id,
            scope=scopes,
            lifetime_seconds=lifetime or settings.access_token_lifetime_seconds,
        )

    token = in_transaction(work)
    console.print(
        f"issuer {escape(settings.issuer)}: only a server with this issuer accepts the token (--issuer to change it)",
        soft_wrap=True,
    )
    typer.echo(token)


@keys_app.command("rotate")
def keys_rotate(
    activate_in: Annotated[
        int | None,
        typer.Option(min=0, help="Seconds the next key is published before it signs (default COPLAB_KEY_PUBLISH_SECONDS)."),
    ] = None,
) -> None:
    """Publish the next signing key, and retire keys whose tokens have all expired."""
    settings = get_settings()
    activate_in_seconds = settings.key_publish_seconds if activate_in is None else activate_in

    async def work(session: AsyncSession) -> keys.Rotation:
        return await oauth.rotate_signing_keys(
            session=session,
            principal=OPERATOR,
            encryption=KeyEncryption.of(settings.key_encryption_keys),
            activate_in_seconds=activate_in_seconds,
            # A superseded key verifies until the last token it signed has expired, with the leeway of `verify`.
            retire_after_seconds=settings.access_token_lifetime_seconds + 60,
        )

    rotation = in_transaction(work)
    for kid in rotation.retired:
        console.print(f"retired key {kid}: every token it signed has expired", soft_wrap=True)
    console.print(
        f"published key {rotation.next_kid}; it signs from {rotation.activates_at.isoformat(timespec='seconds')}",
        soft_wrap=True,
    )


@keys_app.command("list")
def keys_list() -> None:
    """Every signing key and its state: next, active, verifying-only or retired."""

    async def work(session: AsyncSession) -> list[keys.KeyStatus]:
        return await keys.statuses(session=session)

    statuses = in_transaction(work)
    if not statuses:
        console.print("no signing keys yet: the first token request creates one")
        return
    table = Table("kid", "state", "created", "signs from", "retired")
    for key in statuses:
        table.add_row(
            key.kid,
            key.state.value,
            key.created_at.isoformat(timespec="seconds"),
            key.activates_at.isoformat(timespec="seconds"),
            key.retired_at.isoformat(timespec="seconds") if key.retired_at else "",
        )
    Console(width=200).print(table)


def encrypt_signing_keys(*, write: bool = True) -> None:
    """Store every signing key's private part as COPLAB_KEY_ENCRYPTION_KEYS says: encrypted with its
    first key (plain without one); `write=False` only checks that each opens. A key the configured ones
    do not open stops the command (ConfigurationError: one line)."""
    encryption = KeyEncryption.of(get_settings().key_encryption_keys)

    async def work(session: AsyncSession) -> list[str]:
        return await keys.encrypt_stored(session=session, encryption=encryption, write=write)

    rewritten = in_transaction(work)
    if rewritten and encryption.keys:
        console.print(f"encrypted {len(rewritten)} signing key(s) with the key whose id is {encryption.keys[0][0]}")


@keys_app.command("encrypt")
def keys_encrypt() -> None:
    """Encrypt the signing keys' private parts with the first of COPLAB_KEY_ENCRYPTION_KEYS: plain ones,
    and those an older encryption key sealed (after rotating it). `coplab serve` does this on start."""
    encrypt_signing_keys()


@keys_app.command("encryption-key")
def keys_encryption_key() -> None:
    """Print a new random key for COPLAB_KEY_ENCRYPTION_KEYS (32 bytes, URL-safe base64)."""
    typer.echo(base64.urlsafe_b64encode(secrets.token_bytes(ENCRYPTION_KEY_BYTES)).decode())
