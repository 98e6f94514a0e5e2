"""The `coplab` command: serve, migrate, load vocabularies, bootstrap organisations, clients and tokens."""

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api import migrations
from api.audit import service as audit
from api.audit.models import AuditKind
from api.auth import keys, tokens
from api.auth.passwords import hash_password, password_problems
from api.auth.principal import CLIENT_PREFIX, USER_PREFIX, Role
from api.auth.scopes import Scope
from api.core.db import create_engine, session_factory, transaction, utcnow
from api.core.errors import DomainError
from api.oauth import service as oauth
from api.organisations import password_setup
from api.organisations import service as organisations
from api.organisations.models import Membership, Organisation, OrganisationStatus, User
from api.search.backend import SearchUnavailable
from api.search.indexer import describe
from api.core.settings import PROJECT_ROOT, get_settings
from api.vocabularies import service as vocabularies

app = typer.Typer(help="coplab: the registry of the Children Online Protection Lab.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
user_app = typer.Typer(help="People and their memberships.", no_args_is_help=True)
token_app = typer.Typer(help="Access tokens for development and tests.", no_args_is_help=True)
client_app = typer.Typer(help="OAuth clients of member organisations.", no_args_is_help=True)
schema_app = typer.Typer(help="The GraphQL contract.", no_args_is_help=True)
vocab_app = typer.Typer(help="Controlled vocabularies.", no_args_is_help=True)
keys_app = typer.Typer(help="The keys that sign access tokens.", no_args_is_help=True)
search_app = typer.Typer(help="The search index of initiatives (docs/search-indexing.md).", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (org_app, "org"),
    (user_app, "user"),
    (token_app, "token"),
    (client_app, "client"),
    (schema_app, "schema"),
    (vocab_app, "vocabularies"),
    (keys_app, "keys"),
    (search_app, "search"),
):
    app.add_typer(sub, name=name)

console = Console(stderr=True)
T = TypeVar("T")
CLI_ACTOR = "cli"


def _in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one committed transaction on the configured database."""

    async def main() -> T:
        engine = create_engine(get_settings().database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except DomainError as error:
        for problem in error.problems:
            console.print(f"[red]{'.'.join(problem.field)}: {problem.code} — {problem.message}")
        raise typer.Exit(1) from None


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    migrations.upgrade(get_settings().database_url, revision)
    console.print(f"database at {revision}")


@vocab_app.command("load")
def vocabularies_load() -> None:
    """Load (or update) the controlled vocabularies from seed/vocabularies."""
    documents = vocabularies.read_files(get_settings().seed_dir / "vocabularies")

    async def work(session: AsyncSession) -> int:
        changed = 0
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("vocabularies", total=len(documents))
            for document in documents:
                changed += await vocabularies.load(session=session, documents=[document])
                progress.advance(task)
        return changed

    changed = _in_transaction(work)
    console.print(f"{len(documents)} vocabularies, {changed} rows changed")


def prepare_database() -> None:
    """Migrate and load vocabularies: what every fresh database needs before it serves."""
    db_upgrade("head")
    vocabularies_load()


# Binding to every interface names no address a client can use; this machine's clients use loopback.
WILDCARD_HOSTS = {"", "0.0.0.0", "::"}


def served_at(host: str, port: int) -> str:
    """The base URL clients on this machine reach `coplab serve --host HOST --port PORT` at."""
    host = "127.0.0.1" if host in WILDCARD_HOSTS else host
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    reload: bool = False,
    prepare: Annotated[bool, typer.Option(help="Migrate and load vocabularies first.")] = True,
    seed: Annotated[
        bool, typer.Option(help="Load the Lab's registry (seed/registry) into a database that holds no organisation.")
    ] = True,
) -> None:
    """Start the API server (GraphQL at /graphql). Its OAuth issuer is COPLAB_ISSUER if set (required in
    production), else the address it listens on."""
    import uvicorn

    # The application reads its settings from the environment, in this process and in the one
    # `--reload` starts, so the listening address reaches the issuer the same way.
    os.environ["COPLAB_SERVE_URL"] = served_at(host, port)
    get_settings.cache_clear()
    try:
        settings = get_settings()
    except ValidationError as error:
        for problem in error.errors():
            console.print(f"[red]{escape(problem['msg'].removeprefix('Value error, '))}", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"issuer {escape(settings.issuer)}", soft_wrap=True)
    if host in WILDCARD_HOSTS and settings.issuer == os.environ["COPLAB_SERVE_URL"]:
        console.print(
            "listening on every interface: clients on other machines need COPLAB_ISSUER set to the address they use",
            soft_wrap=True,
        )
    if prepare:
        prepare_database()
    if seed:
        seed_commands.seed_if_empty()
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, reload=reload, proxy_headers=True)


@org_app.command("create")
def org_create(
    slug: str,
    name: Annotated[str, typer.Option(help="The organisation's own name.")],
    stakeholder_type: Annotated[str, typer.Option("--type", help="stakeholder-type code, e.g. NGO.")],
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2 code.")] = None,
    website: str | None = None,
    status: OrganisationStatus = OrganisationStatus.MEMBER,
    secretariat: Annotated[bool, typer.Option(help="The Lab's secretariat (may hold lab:admin).")] = False,
) -> None:
    """Register an organisation."""

    async def work(session: AsyncSession) -> Organisation:
        return await organisations.create(
            session=session,
            actor=CLI_ACTOR,
            data=organisations.OrganisationData(
                slug=slug, name=name, stakeholder_type=stakeholder_type, country=country, website=website
            ),
            status=status,
            is_secretariat=secretariat,
        )

    organisation = _in_transaction(work)
    console.print(f"organisation {organisation.slug} (id {organisation.id}) created")


async def _organisation(session: AsyncSession, slug: str) -> Organisation:
    organisation = (await session.exec(select(Organisation).where(Organisation.slug == slug))).first()
    if organisation is None:
        console.print(f"[red]no organisation {slug}")
        raise typer.Exit(1)
    return organisation


def _new_password() -> str:
    """A new password: prompted for twice (hidden) on a terminal, else the first line of stdin, so
    scripts can pipe it. Exits with the problems when it is not acceptable."""
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    problems = password_problems(password)
    if problems:
        for problem in problems:
            console.print(f"[red]{'.'.join(problem.field)}: {problem.code} — {problem.message}")
        raise typer.Exit(1)
    return hash_password(password)


async def _store_password(session: AsyncSession, user: User, password_hash: str) -> None:
    await password_setup.set_password(
        session=session, actor=CLI_ACTOR, user=user, password_hash=password_hash, remote_address=None
    )


@user_app.command("create")
def user_create(
    email: str,
    org: Annotated[str, typer.Option(help="Organisation slug.")],
    role: Annotated[str, typer.Option(help="viewer, contributor, editor or admin.")] = "admin",
    name: str | None = None,
    password: Annotated[
        bool, typer.Option("--password", help="Set the person's password (prompted for; read from stdin when piped).")
    ] = False,
) -> None:
    """Register a person (if new) as a member of an organisation, accepted at once (an operator's act;
    a pending invitation of theirs to it is accepted with this role)."""
    if role.upper() not in Role.__members__:
        console.print(f"[red]role: not one of {', '.join(r.name.lower() for r in Role)}")
        raise typer.Exit(1)
    password_hash = _new_password() if password else None

    async def work(session: AsyncSession) -> Membership:
        organisation = await _organisation(session, org)
        user = await organisations.get_or_create_user(session=session, actor=CLI_ACTOR, email=email.lower(), name=name)
        membership = (
            await session.exec(
                select(Membership).where(Membership.user_id == user.id, Membership.organisation_id == organisation.id)
            )
        ).first()
        if membership is not None and membership.accepted_at is not None:
            console.print(f"[red]{email} is already a member of {org}")
            raise typer.Exit(1)
        if membership is None:
            membership = Membership(
                user_id=user.id,
                organisation_id=organisation.id,
                name=name or email.lower().split("@")[0],
                created_by=CLI_ACTOR,
            )
        # An operator's act, so accepted at once; it also accepts a pending invitation, with this role.
        membership.role = Role[role.upper()]
        membership.accepted_at = utcnow()
        membership.updated_by = CLI_ACTOR
        membership.updated_at = utcnow()
        session.add(membership)
        await session.flush()
        if password_hash is not None:
            await _store_password(session, user, password_hash)
        return membership

    membership = _in_transaction(work)
    console.print(f"user {email} is {membership.role.name.lower()} of {org}")
    if password_hash is not None:
        console.print(f"password set for {email}")


@user_app.command("set-password")
def user_set_password(email: str) -> None:
    """Set a person's password (prompted for; read from stdin when piped). Every sign-in of theirs ends
    (refresh and access tokens stop at once), and their unused links stop working."""
    password_hash = _new_password()

    async def work(session: AsyncSession) -> None:
        user = (await session.exec(select(User).where(User.email == email.lower()))).first()
        if user is None:
            console.print(f"[red]no user {email}")
            raise typer.Exit(1)
        await _store_password(session, user, password_hash)

    _in_transaction(work)
    console.print(f"password set for {email}; every sign-in of theirs has ended")


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
        organisation = await _organisation(session, org)
        return await oauth.create_client(
            session=session,
            actor=CLI_ACTOR,
            organisation_id=organisation.id,
            name=name,
            scopes=scopes.split(),
            kind=kind,
            redirect_uris=redirect_uri or [],
            all_organisations=all_organisations,
        )

    created = _in_transaction(work)
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
        await oauth.revoke(session=session, actor=CLI_ACTOR, client_id=client_id)

    _in_transaction(work)
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
            for problem in error.errors():
                console.print(f"[red]{escape(problem['msg'].removeprefix('Value error, '))}", soft_wrap=True)
            raise typer.Exit(1) from None
    unknown = set(scopes.split()) - {s.value for s in Scope}
    if unknown:
        console.print(f"[red]unknown scopes: {' '.join(sorted(unknown))}")
        raise typer.Exit(1)

    async def work(session: AsyncSession) -> str:
        organisation = await _organisation(session, org)
        client = await oauth.development_client(session=session, actor=CLI_ACTOR, organisation_id=organisation.id)
        subject = f"{CLIENT_PREFIX}{client.client_id}"
        if user is not None:
            found = (await session.exec(select(User).where(User.email == user.lower()))).first()
            if found is None:
                console.print(f"[red]no user {user}")
                raise typer.Exit(1)
            subject = f"{USER_PREFIX}{found.id}"
        return tokens.mint(
            key=await keys.active_key(session=session),
            issuer=settings.issuer,
            audience=settings.audience,
            subject=subject,
            client_id=client.client_id,
            organisation_id=organisation.id,
            scope=scopes,
            lifetime_seconds=lifetime or settings.access_token_lifetime_seconds,
        )

    token = _in_transaction(work)
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
        rotation = await keys.rotate(
            session=session,
            activate_in_seconds=activate_in_seconds,
            # A superseded key verifies until the last token it signed has expired, with the leeway of `verify`.
            retire_after_seconds=settings.access_token_lifetime_seconds + 60,
        )
        await session.run_sync(
            lambda sync: audit.record(sync, kind=AuditKind.SIGNING_KEY_ROTATED, organisation_id=None, subject=CLI_ACTOR)
        )
        return rotation

    rotation = _in_transaction(work)
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

    statuses = _in_transaction(work)
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


SCHEMA_FILE = PROJECT_ROOT / "schema" / "schema.graphql"


def schema_sdl() -> str:
    """The GraphQL contract as SDL, the same in every environment."""
    from api.schema import build_schema
    from api.core.settings import Settings

    return str(build_schema(Settings(environment="development"))) + "\n"


@schema_app.command("export")
def schema_export(output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = SCHEMA_FILE) -> None:
    """Write the GraphQL schema (SDL) to schema/schema.graphql."""
    output.write_text(schema_sdl(), encoding="utf-8")
    console.print(f"wrote {output}")



# --- search ---------------------------------------------------------------------------------------

EMBEDDED_NOTE = (
    "The embedded engine keeps its index in the memory of the API process, which rebuilds it from the "
    "database when it starts and keeps it current itself"
)


def _search_parts() -> tuple["Settings", "SearchBackend"]:
    from api.search.engines import create_backend

    settings = get_settings()
    return settings, create_backend(settings)


@search_app.command("worker")
def search_worker() -> None:
    """Index the search outbox until interrupted, retrying while the engine is down (Meilisearch only).

    Stops on Ctrl-C or SIGTERM. For deployments with several API processes, which share one Meilisearch: run one worker, and
    set COPLAB_SEARCH_INDEXER_IN_PROCESS=false for the API processes."""
    import signal
    from types import SimpleNamespace

    from api.search.indexer import run_indexer

    settings, backend = _search_parts()
    if backend.name == "embedded":
        console.print(f"[red]{EMBEDDED_NOTE}; a worker in another process cannot reach that index. "
                      "Configure COPLAB_MEILISEARCH_URL to run a worker.")
        raise typer.Exit(2)

    async def main() -> None:
        engine = create_engine(settings.database_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        state = SimpleNamespace(settings=settings, search=backend, indexer_session_factory=session_factory(engine))
        console.print(f"indexing the search outbox into {backend.name}; Ctrl-C stops")
        try:
            await run_indexer(state, stop)
        finally:
            await engine.dispose()

    asyncio.run(main())
    console.print("search worker stopped")


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the database, without downtime.

    With Meilisearch, a fresh index is built beside the live one and swapped in, so searches go on
    meanwhile; changes made during the rebuild are queued again for the indexer. The embedded
    engine's index lives in the API process, which rebuilds it when it starts."""
    from datetime import timedelta

    from api.core.db import utcnow
    from api.search.indexer import rebuild, requeue_changed_since

    settings, backend = _search_parts()

    async def main() -> tuple[int, int]:
        engine = create_engine(settings.database_url)
        sessions = session_factory(engine)
        # A transaction open before the start may commit older timestamps after it: look back a minute.
        started = utcnow() - timedelta(minutes=1)
        try:
            async with sessions() as session:
                total = await _count_initiatives(session)
            with Progress(console=console) as progress:
                task = progress.add_task("documents", total=total)
                count = await rebuild(sessions=sessions, backend=backend, progress=lambda n: progress.advance(task, n))
            requeued = await requeue_changed_since(sessions=sessions, since=started)
            return count, requeued
        finally:
            await engine.dispose()

    try:
        count, requeued = asyncio.run(main())
    except SearchUnavailable as error:
        unchanged = "; the live index is unchanged" if error.live_index_unchanged else ""
        console.print(f"[red]the search engine failed: {describe(error)}{unchanged}")
        raise typer.Exit(1) from None
    console.print(f"rebuilt the {backend.name} index: {count} documents; {requeued} changed meanwhile, queued again")
    if backend.name == "embedded":
        console.print(f"Note: {EMBEDDED_NOTE}; this command built an index in its own process only, "
                      "which changes nothing a running server serves.")


async def _count_initiatives(session: AsyncSession) -> int:
    from sqlalchemy import func

    from api.initiatives.models import Initiative

    statement = select(func.count()).select_from(Initiative).where(col(Initiative.deleted_at).is_(None))
    return (await session.exec(statement)).one()


@search_app.command("check")
def search_check(
    show: Annotated[int, typer.Option(help="How many ids of each kind of difference to list.")] = 20,
) -> None:
    """Compare the database with the search index: missing, extra and different documents.

    Exits 1 when they differ. Meaningful with Meilisearch; the embedded engine's index lives in the
    API process, so with it this can only check an index built here and now."""
    from api.search.consistency import compare
    from api.search.indexer import pending, rebuild

    settings, backend = _search_parts()

    async def main() -> tuple["Differences", int]:
        engine = create_engine(settings.database_url)
        sessions = session_factory(engine)
        try:
            if backend.name == "embedded":
                await rebuild(sessions=sessions, backend=backend)
            async with sessions() as session:
                total = await _count_initiatives(session)
            with Progress(console=console) as progress:
                task = progress.add_task("compared", total=total)
                differences = await compare(sessions=sessions, backend=backend, progress=lambda n: progress.advance(task, n))
            return differences, await pending(sessions=sessions)
        finally:
            await engine.dispose()

    if backend.name == "embedded":
        console.print(f"Note: {EMBEDDED_NOTE}. This check builds a fresh index here and compares it: it tests "
                      "document building and the engine, not what a running server holds.")
    try:
        differences, waiting = asyncio.run(main())
    except SearchUnavailable as error:
        console.print(f"[red]the search engine failed: {describe(error)}")
        raise typer.Exit(2) from None
    for label, ids in (("missing from the index", differences.missing), ("in the index but not in the database",
                       differences.extra), ("different from the database", differences.different)):
        if ids:
            listed = ", ".join(ids[:show]) + (" …" if len(ids) > show else "")
            console.print(f"{len(ids)} {label}: {listed}")
    if waiting:
        console.print(f"{waiting} changes are still waiting in the search outbox; differences in those are expected until the indexer catches up")
    if not differences.in_sync:
        raise typer.Exit(1)
    console.print(f"in sync: {differences.checked} documents")


# --- the registry's data: seeding, export and import -------------------------------------------------

from api.exports import commands as export_commands  # noqa: E402  (they use the helpers above)
from api.seeding import commands as seed_commands  # noqa: E402

app.command("seed")(seed_commands.seed)
app.command("export")(export_commands.export)
app.command("import")(export_commands.import_)

if TYPE_CHECKING:
    from api.search.backend import SearchBackend
    from api.search.consistency import Differences
    from api.core.settings import Settings

if __name__ == "__main__":
    app()
