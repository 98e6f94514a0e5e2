"""The benchmark's server: the real coplab app plus a hand-written SQL + JSON endpoint, under uvicorn.

`GET /baseline/initiatives?first=50` answers the same question as the benchmark's GraphQL query
(`initiatives(first: 50)` with lead organisation, participations, assessments and findings) with
four hand-written SQL statements on the app's own async engine, after authenticating the caller
the same way (same token checks, same organisation and membership lookups), and applying the same
visibility rules (api/initiatives/service.py, api/evidence/service.py, api/organisations/service.py,
api/core/visibility.py). It exists only in the benchmark; it is mounted on the app object before start.

Run by the benchmark as `python -m tests.perf.baseline --database-url URL --port N --issuer URL`.
"""

from __future__ import annotations

import argparse
import base64
import contextvars
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from joserfc.jwk import ECKey, KeySet
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import tokens
from api.auth.principal import ANONYMOUS, Principal, PrincipalKind, Role
from api.auth.scopes import Scope as AuthScope
from api.auth.scopes import parse_scopes
from api.main import create_app
from api.core.settings import Settings
from tests.factories import TEST_KEY_ENCRYPTION_KEY

SERVER_TIME_HEADER = "x-bench-server-ms"
SQL_HEADER = "x-bench-sql"  # "<statements>;<milliseconds>"
# [statements, seconds, start of the current one] for the request being served.
_sql_stats: contextvars.ContextVar[list | None] = contextvars.ContextVar("bench_sql_stats", default=None)


class ServerTiming:
    """Adds, to every response, the time from request start to response start as seen inside the
    server process, and how many SQL statements the request ran and how long they took from the
    app's side (`before_cursor_execute` to `after_cursor_execute`, driver round trip included)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._listening = False

    def _listen(self) -> None:
        engine = getattr(self.app.state, "engine", None)
        if engine is None or self._listening:
            return
        self._listening = True

        def before(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
            stats = _sql_stats.get()
            if stats is not None:
                stats[2] = time.perf_counter()

        def after(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
            stats = _sql_stats.get()
            if stats is not None:
                stats[0] += 1
                stats[1] += time.perf_counter() - stats[2]

        sa.event.listen(engine.sync_engine, "before_cursor_execute", before)
        sa.event.listen(engine.sync_engine, "after_cursor_execute", after)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._listen()
        started = time.perf_counter()
        stats = [0, 0.0, 0.0]
        token = _sql_stats.set(stats)

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                headers.append((SERVER_TIME_HEADER.encode(), f"{elapsed:.3f}".encode()))
                headers.append((SQL_HEADER.encode(), f"{stats[0]};{stats[1] * 1000:.3f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_timed)
        finally:
            _sql_stats.reset(token)


def global_id(type_name: str, row_id: int) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def utc(value: datetime) -> datetime:
    """Timestamps are stored in UTC; SQLite hands them back without an offset."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def cursor(updated_at: datetime, row_id: int) -> str:
    plain = json.dumps([updated_at.isoformat(), row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(plain.encode()).decode()


class Unauthorised(Exception):
    pass


_KEYS: dict[str, KeySet] = {}


async def _principal(connection: sa.ext.asyncio.AsyncConnection, request: Request, settings: Settings) -> Principal:
    """The caller, checked as api/graphql/bearer.py does, with hand-written SQL."""
    header = request.headers.get("authorization")
    if not header:
        return ANONYMOUS
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorised
    token = value.strip()
    try:
        kid = tokens.unverified_kid(token)
        keys = _KEYS.get(kid)
        if keys is None:
            rows = (await connection.execute(sa.text("SELECT public_jwk FROM signing_key"))).scalars().all()
            keys = KeySet([ECKey.import_key(json.loads(r)) for r in rows])
            _KEYS.clear()
            _KEYS.update({k.kid: keys for k in keys})
        claims = tokens.verify(token, keys=keys, issuer=settings.issuer, audience=settings.audience)
    except tokens.InvalidToken as error:
        raise Unauthorised from error
    organisation = (
        await connection.execute(
            sa.text(
                "SELECT o.id, o.status, o.is_secretariat, EXISTS (SELECT 1 FROM oauth_client c"
                " WHERE c.client_id = :client AND c.organisation_id = o.id AND c.revoked_at IS NULL"
                " AND NOT EXISTS (SELECT 1 FROM revoked_access_token r WHERE r.jti = :jti)) AS token_stands"
                " FROM organisation o WHERE o.id = :id"
            ),
            {"id": claims.organisation_id, "client": claims.client_id, "jti": claims.token_id},
        )
    ).first()
    if organisation is None or organisation.status == "SUSPENDED":
        raise Unauthorised
    if not organisation.token_stands:
        raise Unauthorised
    user_id = None
    if claims.subject.startswith("user:"):
        user_id = int(claims.subject.removeprefix("user:"))
        role_name = (
            await connection.execute(
                sa.text(
                    "SELECT role FROM membership WHERE user_id = :user AND organisation_id = :org"
                    " AND accepted_at IS NOT NULL"
                ),
                {"user": user_id, "org": organisation.id},
            )
        ).scalar()
        if role_name is None:
            raise Unauthorised
        role, kind = Role[role_name], PrincipalKind.USER
    elif claims.subject.startswith("client:"):
        role, kind = Role.ADMIN, PrincipalKind.CLIENT
    else:
        raise Unauthorised
    return Principal(
        kind=kind,
        subject=claims.subject,
        organisation_id=organisation.id,
        organisation_is_member=organisation.status == "MEMBER",
        organisation_is_secretariat=bool(organisation.is_secretariat),
        role=role,
        user_id=user_id,
        scopes=parse_scopes(claims.scope),
        token_id=claims.token_id,
    )


def _organisation_readable(principal: Principal, alias: str) -> str:
    """api/organisations/service.py `readable`."""
    if principal.is_lab_admin:
        return "1 = 1"
    condition = f"{alias}.status IN ('MEMBER', 'OBSERVER', 'NAMED')"
    if principal.organisation_id is not None:
        condition = f"({condition} OR {alias}.id = :org)"
    return condition


def _visible(principal: Principal, scope: AuthScope, column: str, owned: list[str]) -> str:
    """api/core/visibility.py `visible_to`."""
    conditions = [f"{column} = 'PUBLIC'"]
    if principal.reads_with(scope) is not None:
        if principal.organisation_is_member:
            conditions.append(f"{column} = 'MEMBERS'")
        conditions.extend(owned)
    return "(" + " OR ".join(conditions) + ")"


def _initiative_where(principal: Principal) -> str:
    return (
        "i.deleted_at IS NULL"
        # An initiative whose sources name no lead (the Lab's registry) is read like any public one.
        f" AND (i.lead_organisation_id IS NULL OR {_organisation_readable(principal, 'lo')})"
        " AND "
        + _visible(
            principal,
            AuthScope.INITIATIVES_READ,
            "i.visibility",
            [
                "i.lead_organisation_id = :org",
                "EXISTS (SELECT 1 FROM participation pp WHERE pp.initiative_id = i.id AND pp.organisation_id = :org)",
            ],
        )
    )


def _assessment_where(principal: Principal) -> str:
    return (
        "a.deleted_at IS NULL"
        f" AND {_organisation_readable(principal, 'ao')}"
        " AND "
        + _visible(
            principal,
            AuthScope.ASSESSMENTS_READ,
            "a.visibility",
            [
                "a.assessing_organisation_id = :org",
                "EXISTS (SELECT 1 FROM initiative ii WHERE ii.id = a.initiative_id AND ii.lead_organisation_id = :org)",
                "EXISTS (SELECT 1 FROM participation pp WHERE pp.initiative_id = a.initiative_id"
                " AND pp.organisation_id = :org)",
            ],
        )
    )


DATETIME = sa.DateTime(timezone=True)


async def initiatives_page(request: Request) -> Response:
    """The hand-written equivalent of the benchmark's GraphQL query."""
    settings: Settings = request.app.state.settings
    try:
        first = int(request.query_params.get("first", "20"))
    except ValueError:
        first = 0
    if not 1 <= first <= 100:
        return JSONResponse({"error": "first must be between 1 and 100"}, status_code=400)
    async with request.app.state.engine.connect() as connection:
        try:
            principal = await _principal(connection, request, settings)
        except Unauthorised:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        params = {"org": principal.organisation_id if principal.organisation_id is not None else -1}
        where = _initiative_where(principal)
        # 1. The page, with each initiative's status label and its lead organisation.
        page = (
            await connection.execute(
                sa.text(
                    "SELECT i.id, i.title, i.status, coalesce(ist.label, i.status) AS status_label,"
                    " i.visibility, i.updated_at, lo.id AS lead_id, lo.name AS lead_name, lo.slug AS lead_slug,"
                    " lo.stakeholder_type AS lead_type, coalesce(stt.label, lo.stakeholder_type) AS lead_type_label"
                    " FROM initiative i"
                    " LEFT JOIN organisation lo ON lo.id = i.lead_organisation_id"
                    " LEFT JOIN vocabulary_term ist ON ist.vocabulary = 'initiative-status' AND ist.code = i.status"
                    " LEFT JOIN vocabulary_term stt"
                    "   ON stt.vocabulary = 'stakeholder-type' AND stt.code = lo.stakeholder_type"
                    f" WHERE {where}"
                    " ORDER BY i.updated_at DESC, i.id DESC LIMIT :limit"
                ).columns(updated_at=DATETIME),
                {**params, "limit": first},
            )
        ).all()
        # 2. How many match across all pages.
        total = (
            await connection.execute(
                sa.text(
                    "SELECT count(*) FROM initiative i LEFT JOIN organisation lo ON lo.id = i.lead_organisation_id"
                    f" WHERE {where}"
                ),
                params,
            )
        ).scalar_one()
        ids = [row.id for row in page]
        participations: dict[int, list[dict]] = {i: [] for i in ids}
        assessments: dict[int, list[dict]] = {i: [] for i in ids}
        if ids:
            # 3. Participations by readable organisations, with the organisation.
            for row in await connection.execute(
                sa.text(
                    "SELECT p.initiative_id, p.role, o.id AS org_id, o.name AS org_name"
                    " FROM participation p JOIN organisation o ON o.id = p.organisation_id"
                    f" WHERE p.initiative_id IN :ids AND {_organisation_readable(principal, 'o')}"
                    " ORDER BY p.id"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {**params, "ids": ids},
            ):
                participations[row.initiative_id].append(
                    {"role": {"code": row.role}, "organisation": {"id": global_id("Organisation", row.org_id),
                                                                  "name": row.org_name}}
                )
            # 4. Readable assessments with their findings.
            by_id: dict[int, dict] = {}
            for row in await connection.execute(
                sa.text(
                    "SELECT a.id, a.initiative_id, a.title, a.study_design, f.id AS finding_id, f.rating, f.certainty"
                    " FROM evidence_assessment a"
                    " JOIN organisation ao ON ao.id = a.assessing_organisation_id"
                    " LEFT JOIN finding f ON f.assessment_id = a.id"
                    f" WHERE a.initiative_id IN :ids AND {_assessment_where(principal)}"
                    " ORDER BY a.id, f.id"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {**params, "ids": ids},
            ):
                assessment = by_id.get(row.id)
                if assessment is None:
                    assessment = by_id[row.id] = {
                        "id": global_id("EvidenceAssessment", row.id),
                        "title": row.title,
                        "studyDesign": {"code": row.study_design},
                        "findings": [],
                    }
                    assessments[row.initiative_id].append(assessment)
                if row.finding_id is not None:
                    assessment["findings"].append({"rating": {"code": row.rating}, "certainty": {"code": row.certainty}})
    edges = [
        {
            "cursor": cursor(utc(row.updated_at), row.id),
            "node": {
                "id": global_id("Initiative", row.id),
                "title": row.title,
                "status": {"code": row.status, "label": row.status_label},
                "visibility": row.visibility,
                "updatedAt": utc(row.updated_at).isoformat(),
                "leadOrganisation": {
                    "id": global_id("Organisation", row.lead_id),
                    "name": row.lead_name,
                    "slug": row.lead_slug,
                    "stakeholderType": {"code": row.lead_type, "label": row.lead_type_label},
                }
                if row.lead_id is not None
                else None,
                "participations": participations[row.id],
                "assessments": assessments[row.id],
            },
        }
        for row in page
    ]
    return JSONResponse({"data": {"initiatives": {"totalCount": total, "edges": edges}}})


def build_app(database_url: str, issuer: str) -> ASGIApp:
    """The production app for `database_url`, with the baseline route, wrapped in ServerTiming."""
    settings = Settings(
        environment="production", issuer=issuer, key_encryption_keys=[TEST_KEY_ENCRYPTION_KEY], database_url=database_url, data_dir=Path("/nonexistent")
    )
    app: FastAPI = create_app(settings)
    app.add_api_route("/baseline/initiatives", initiatives_page, methods=["GET"], include_in_schema=False)
    return ServerTiming(app)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--issuer", required=True)
    args = parser.parse_args()
    uvicorn.run(
        build_app(args.database_url, args.issuer),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
