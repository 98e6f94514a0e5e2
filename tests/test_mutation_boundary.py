"""The mutation boundary: scope first, then input; conflicts become userErrors; nothing half-written;
and every mutation field declares its scope and the boundary."""

import asyncio

import pytest
import strawberry
from sqlmodel import func, select
from strawberry.permission import PermissionExtension

from api.auth.principal import Principal, PrincipalKind
from api.auth.scopes import Scope
from api.core.db import create_engine, session_factory
from api.core.errors import DomainError, ErrorCode
from api.evidence.models import EvidenceAssessment
from api.graphql.context import Context, Info
from api.graphql.errors import UserError
from api.graphql.loaders import Loaders
from api.graphql.mutations import MutationBoundary, mutation
from api.graphql.permissions import HasScope, SignedIn
from api.organisations.models import Organisation
from api.schema import Mutation
from tests.factories import gid, graphql

UPDATE = """mutation($id: ID!) { updateInitiative(input: {id: $id, title: "x"}) { userErrors { field code } } }"""


@pytest.mark.parametrize("scopes, code", [(None, "UNAUTHENTICATED"), ("initiatives:read", "FORBIDDEN")])
def test_the_scope_is_checked_before_any_input_is_read(client, make, scopes, code) -> None:
    organisation = make.organisation("inhope")
    token = make.token(organisation, scopes) if scopes else None
    # A global id of the wrong type would be NOT_FOUND; the missing scope must win.
    body = graphql(client, UPDATE, {"id": gid("Organisation", organisation.id)}, token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code


def test_a_nul_in_a_vocabulary_code_is_an_unknown_code(client, make, db) -> None:
    organisation = make.organisation("inhope")
    initiative = make.initiative(organisation)
    body = graphql(
        client,
        """mutation($input: CreateEvidenceAssessmentInput!) { createEvidenceAssessment(input: $input) {
             evidenceAssessment { id } userErrors { field code } } }""",
        {"input": {"initiative": gid("Initiative", initiative.id), "independence": "SELF",
                   "newStudy": {"title": "Study", "studyDesign": "CASE\x00"}}},
        make.token(organisation),
    )
    assert body["data"]["createEvidenceAssessment"]["userErrors"] == [
        {"field": ["input", "newStudy", "studyDesign"], "code": "INVALID_CODE"}
    ]
    db.rollback()
    assert db.exec(select(func.count()).select_from(EvidenceAssessment)).one() == 0


def test_a_constraint_caught_at_commit_is_a_conflict_and_nothing_is_written(client, make, db, monkeypatch) -> None:
    from api.organisations import service
    from api.organisations.models import Organisation

    lab = make.organisation("lab", secretariat=True)
    make.organisation("iwf")

    async def never_taken(*args, **kwargs) -> bool:  # noqa: ANN002, ANN003
        return False  # as if a concurrent request had not committed yet when the check ran

    monkeypatch.setattr(service, "_slug_taken", never_taken)
    body = graphql(
        client,
        """mutation { createOrganisation(input: {slug: "iwf", name: "Another", stakeholderType: "NGO"}) {
             organisation { id } userErrors { field code } } }""",
        token=make.token(lab, "lab:admin"),
    )
    assert body["data"]["createOrganisation"] == {"organisation": None, "userErrors": [{"field": ["input"], "code": "CONFLICT"}]}
    db.rollback()
    assert [o.name for o in db.exec(select(Organisation).where(Organisation.slug == "iwf"))] == ["Iwf"]


# --- the declarations: one scope per field, one boundary ----------------------------------------

# Fields any signed-in caller reaches: the service names the scope it lacks (own organisation with
# `org:admin`, any with `lab:admin`), or the field writes nothing and shows only what the caller may see.
SIGNED_IN_ONLY = {"update_organisation", "add_network_member", "remove_network_member", "search_token",
                  # The review steps shared by every reviewed kind of record: the service requires the scope
                  # that writes the revision's kind (docs/reviews-practices.md).
                  "submit_revision", "withdraw_revision", "submit_review", "resolve_disagreement"}


def _declared(field) -> tuple[list, list]:  # noqa: ANN001
    permissions = [p for e in field.extensions if isinstance(e, PermissionExtension) for p in e.permissions]
    boundaries = [e for e in field.extensions if isinstance(e, MutationBoundary)]
    return permissions, boundaries


def test_every_mutation_declares_one_scope_and_runs_in_the_boundary() -> None:
    signed_in_only = set()
    for field in Mutation.__strawberry_definition__.fields:
        permissions, boundaries = _declared(field)
        assert len(permissions) == 1 and isinstance(permissions[0], SignedIn), field.python_name
        if not isinstance(permissions[0], HasScope):
            signed_in_only.add(field.python_name)
        if field.python_name != "search_token":  # writes nothing
            assert len(boundaries) == 1, field.python_name
            # The permission wraps the boundary (the last extension is outermost): no transaction,
            # no input read, without the scope.
            assert field.extensions.index(boundaries[0]) < field.extensions.index(
                next(e for e in field.extensions if isinstance(e, PermissionExtension))
            ), field.python_name
    assert signed_in_only == SIGNED_IN_ONLY


def test_a_scope_named_in_a_description_is_the_declared_scope() -> None:
    for field in Mutation.__strawberry_definition__.fields:
        (permission,), _ = _declared(field)
        if isinstance(permission, HasScope):
            named = {s for s in Scope if f"`{s.value}`" in field.description}
            assert named <= {permission.scope}, field.python_name


# --- the boundary itself, on a field of its own against the real database -----------------------


@strawberry.type
class _RenamePayload:
    name: str | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class _Mutation:
    @mutation(scope=Scope.LAB_ADMIN, description="Rename an organisation, then end as told.")
    async def rename(self, info: Info, slug: str, then: str) -> _RenamePayload:
        session = info.context.session
        row = (await session.exec(select(Organisation).where(Organisation.slug == slug))).one()
        row.name = "Renamed"
        session.add(row)
        await session.flush()  # written, though not committed
        if then == "problem":
            raise DomainError.one(["name"], ErrorCode.INVALID_VALUE, "Not that name.")
        if then == "taken":
            session.add(Organisation(slug="iwf", name="Second", stakeholder_type="NGO", created_by="t", updated_by="t"))
            await session.flush()
        if then == "crash":
            raise RuntimeError("unexpected")
        return _RenamePayload(name=row.name)


@strawberry.type
class _Query:
    ok: bool = True


_SCHEMA = strawberry.Schema(query=_Query, mutation=_Mutation)
RENAME = "mutation($then: String!) { rename(slug: \"inhope\", then: $then) { name userErrors { field code message } } }"


def _rename(database_url: str, then: str, scopes: frozenset[Scope]):  # noqa: ANN202
    async def main():  # noqa: ANN202
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                principal = Principal(kind=PrincipalKind.USER, subject="user:1", scopes=scopes)
                context = Context(
                    session=session,
                    principal=principal,
                    loaders=Loaders(session=session, principal=principal),
                    settings=None,
                    request_id="test",
                    terms=None,
                    search=None,
                )
                result = await _SCHEMA.execute(RENAME, variable_values={"then": then}, context_value=context)
                # As a later mutation of the same request would: what the boundary left behind is committed.
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _names(db) -> list[str]:  # noqa: ANN001
    db.rollback()
    return sorted(o.name for o in db.exec(select(Organisation)))


@pytest.mark.parametrize(
    "then, code",
    [("problem", "INVALID_VALUE"), ("taken", "CONFLICT")],
)
def test_the_boundary_rolls_back_into_user_errors(database_url, make, db, then, code) -> None:
    make.organisation("inhope")
    make.organisation("iwf")
    result = _rename(database_url, then, frozenset({Scope.LAB_ADMIN}))
    assert result.errors is None
    assert result.data["rename"]["name"] is None
    assert [e["code"] for e in result.data["rename"]["userErrors"]] == [code]
    assert _names(db) == ["Inhope", "Iwf"]


def test_the_boundary_rolls_back_and_raises_anything_else(database_url, make, db) -> None:
    make.organisation("inhope")
    result = _rename(database_url, "crash", frozenset({Scope.LAB_ADMIN}))
    assert result.data is None
    assert [str(e.original_error) for e in result.errors] == ["unexpected"]
    assert _names(db) == ["Inhope"]


def test_the_boundary_commits_what_succeeded(database_url, make, db) -> None:
    make.organisation("inhope")
    result = _rename(database_url, "done", frozenset({Scope.LAB_ADMIN}))
    assert result.data == {"rename": {"name": "Renamed", "userErrors": []}}
    assert _names(db) == ["Renamed"]


def test_without_the_scope_the_resolver_never_runs(database_url, make, db) -> None:
    make.organisation("inhope")
    result = _rename(database_url, "done", frozenset({Scope.ORG_ADMIN}))
    assert result.data is None
    assert [(e.message, e.extensions) for e in result.errors] == [
        ("The access token lacks the scope lab:admin.", {"code": "FORBIDDEN"})
    ]
    assert _names(db) == ["Inhope"]
