"""An organisation's administration in the portal (docs/portal.md, "Reviewing and administering
through the portal"): its members and invitations, its OAuth clients and its webhook endpoints, for
the organisation's administrators (role ADMIN, so `org:admin`). Everyone else, signed-in or not, gets
the portal's 404 page for every address here: a page they may not use looks like one that is not
there. Every change is a POST carrying the session's CSRF token, made by the GraphQL mutation the API
offers (`addMember`, `removeMember`, `createOAuthClient`, `revokeOAuthClient`, `createWebhookEndpoint`,
`deleteWebhookEndpoint`), its `userErrors` shown by the field they name with what was typed kept.
A secret (a client's, a webhook's) or an invitation link is shown once, in the answer to the POST
that made it, and never again: the page after it is not a redirect, so a reload asks to resend."""

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from api.portal import languages, signin
from api.portal.forms import Form, FormErrors, errors_by_field
from api.portal.member_routes import redirect, refused
from api.portal.operations import PageProblem
from api.portal.routes import answers_problems, page, run

router = APIRouter(include_in_schema=False, dependencies=[Depends(languages.use_language), Depends(signin.resolve)])

ROLES = ("VIEWER", "CONTRIBUTOR", "EDITOR", "ADMIN")
WEBHOOK_EVENTS = ("record.created", "record.updated", "record.published", "record.withdrawn", "rating.changed", "membership.changed")
INVITE_FIELDS = ("email", "name", "role")
CLIENT_FIELDS = ("name", "scopes", "kind", "redirectUris")
WEBHOOK_FIELDS = ("url", "eventTypes", "description")


async def administrator(request: Request) -> dict:
    """The viewer, when they administer their organisation; otherwise the 404 every missing page gives."""
    viewer = (await run(request, "admin_viewer"))["viewer"]
    if viewer.get("role") != "ADMIN" or not viewer.get("organisation"):
        raise PageProblem(404, "-")
    return viewer


async def checked_form(request: Request) -> tuple[Form | None, Response | None]:
    """The posted form, or the refusal of one without this session's token (nothing changed)."""
    form = await Form.posted(request)
    problem = signin.form_problem(request, form.single())
    if problem is not None:
        return None, refused(request, problem)
    return form, None


def signed_in_or_redirect(path: str) -> Response | None:
    return None if signin.visitor().signed_in else redirect(signin.return_query(path))


# --- members and invitations ------------------------------------------------------------------------


async def members_page(request: Request, *, form: Form | None = None, errors: FormErrors | None = None,
                       invited: dict | None = None, status_code: int = 200) -> Response:
    viewer = await administrator(request)
    data = await run(request, "admin_members", {"slug": viewer["organisation"]["slug"]})
    members = (data.get("organisation") or {}).get("members") or []
    return page(
        "admin_members.html", status_code=status_code, organisation=viewer["organisation"],
        members=[m for m in members if m["acceptedAt"]], invitations=[m for m in members if not m["acceptedAt"]],
        roles=ROLES, form=form or Form({"role": ["VIEWER"]}), errors=errors or FormErrors(), invited=invited,
    )


@router.get("/admin/members", name="portal_admin_members")
@answers_problems
async def members(request: Request) -> Response:
    return signed_in_or_redirect("/admin/members") or await members_page(request)


async def administered(
    request: Request, *, operation: str, result: str, variables: Callable[[Form, dict], dict],
    shown: Callable[..., Awaitable[Response]], fields: tuple[str, ...] = (), answered_as: str = "created",
    back: str | None = None,
) -> Response:
    """An administrator's form, posted: refused unless its CSRF token and origin check out, then run as
    `operation`. Its userErrors are shown by field on the page it came from (`shown`), with what was
    typed; otherwise the browser goes `back` (a removal), or the page shows what the mutation
    answered, under `answered_as` (a secret or an invitation link, shown this once)."""
    form, refusal = await checked_form(request)
    if refusal is not None:
        return refusal
    viewer = await administrator(request)
    answer = (await run(request, operation, variables(form, viewer)))[result]
    if answer["userErrors"]:
        kept = form if fields else None  # a removal's form holds nothing to type again
        return await shown(request, form=kept, errors=errors_by_field(answer["userErrors"], fields), status_code=422)
    return redirect(back) if back else await shown(request, **{answered_as: answer})


@router.post("/admin/members", name="portal_admin_invite")
@answers_problems
async def invite(request: Request) -> Response:
    return await administered(
        request, operation="admin_invite", result="addMember", shown=members_page, fields=INVITE_FIELDS, answered_as="invited",
        variables=lambda form, viewer: {"input": {
            "organisation": viewer["organisation"]["id"], "email": form.get("email").strip(),
            "name": form.text("name"), "role": form.get("role") if form.get("role") in ROLES else "VIEWER",
        }},
    )


@router.post("/admin/members/revoke", name="portal_admin_revoke_invitation")
@answers_problems
async def revoke_invitation(request: Request) -> Response:
    return await administered(
        request, operation="admin_remove_member", result="removeMember", shown=members_page, back="/admin/members",
        variables=lambda form, _: {"input": {"membership": form.get("membership")}},
    )


# --- OAuth clients ------------------------------------------------------------------------------------


async def clients_page(request: Request, *, form: Form | None = None, errors: FormErrors | None = None,
                       created: dict | None = None, status_code: int = 200) -> Response:
    viewer = await administrator(request)
    data = await run(request, "admin_clients")
    return page(
        "admin_clients.html", status_code=status_code, organisation=viewer["organisation"],
        clients=[e["node"] for e in data["oauthClients"]["edges"]], scopes=sorted(viewer.get("scopes") or []),
        form=form or Form({"kind": ["MACHINE"]}), errors=errors or FormErrors(), created=created,
    )


@router.get("/admin/clients", name="portal_admin_clients")
@answers_problems
async def clients(request: Request) -> Response:
    return signed_in_or_redirect("/admin/clients") or await clients_page(request)


CLIENT_KINDS = ("MACHINE", "WEB_CONFIDENTIAL", "WEB_PUBLIC")


def client_input(form: Form, _: dict) -> dict:
    kind = form.get("kind") if form.get("kind") in CLIENT_KINDS else "MACHINE"
    uris = [line.strip() for line in form.get("redirectUris").splitlines() if line.strip()]
    return {"input": {"name": form.get("name").strip(), "scopes": form.getlist("scopes"), "kind": kind, "redirectUris": uris}}


@router.post("/admin/clients", name="portal_admin_create_client")
@answers_problems
async def create_client(request: Request) -> Response:
    return await administered(
        request, operation="admin_create_client", result="createOAuthClient", shown=clients_page, fields=CLIENT_FIELDS,
        variables=client_input,
    )


@router.post("/admin/clients/revoke", name="portal_admin_revoke_client")
@answers_problems
async def revoke_client(request: Request) -> Response:
    return await administered(
        request, operation="admin_revoke_client", result="revokeOAuthClient", shown=clients_page, back="/admin/clients",
        variables=lambda form, _: {"input": {"clientId": form.get("clientId")}},
    )


# --- webhooks -----------------------------------------------------------------------------------------


async def webhooks_page(request: Request, *, form: Form | None = None, errors: FormErrors | None = None,
                        created: dict | None = None, status_code: int = 200) -> Response:
    viewer = await administrator(request)
    data = await run(request, "admin_webhooks")
    return page(
        "admin_webhooks.html", status_code=status_code, organisation=viewer["organisation"],
        endpoints=[e["node"] for e in data["webhookEndpoints"]["edges"]], events=WEBHOOK_EVENTS,
        form=form or Form(), errors=errors or FormErrors(), created=created,
    )


@router.get("/admin/webhooks", name="portal_admin_webhooks")
@answers_problems
async def webhooks(request: Request) -> Response:
    return signed_in_or_redirect("/admin/webhooks") or await webhooks_page(request)


@router.post("/admin/webhooks", name="portal_admin_create_webhook")
@answers_problems
async def create_webhook(request: Request) -> Response:
    return await administered(
        request, operation="admin_create_webhook", result="createWebhookEndpoint", shown=webhooks_page, fields=WEBHOOK_FIELDS,
        variables=lambda form, _: {"input": {
            "url": form.get("url").strip(), "eventTypes": form.getlist("eventTypes"), "description": form.text("description"),
        }},
    )


@router.post("/admin/webhooks/delete", name="portal_admin_delete_webhook")
@answers_problems
async def delete_webhook(request: Request) -> Response:
    return await administered(
        request, operation="admin_delete_webhook", result="deleteWebhookEndpoint", shown=webhooks_page, back="/admin/webhooks",
        variables=lambda form, _: {"input": {"id": form.get("id")}},
    )
