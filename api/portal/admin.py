"""An organisation's administration in the portal (docs/portal.md, "Reviewing and administering
through the portal"): its members and invitations, its OAuth clients and its webhook endpoints, for
the organisation's administrators (role ADMIN, so `org:admin`). Everyone else, signed-in or not, gets
the portal's 404 page for every address here: a page they may not use looks like one that is not
there. Every change is a POST carrying the session's CSRF token, made by the GraphQL mutation the API
offers (`addMember`, `removeMember`, `createOAuthClient`, `revokeOAuthClient`, `createWebhookEndpoint`,
`deleteWebhookEndpoint`), its `userErrors` shown by the field they name with what was typed kept.
A secret (a client's, a webhook's) or an invitation link is shown once, in the answer to the POST
that made it, and never again: the page after it is not a redirect, so a reload asks to resend."""

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


@router.post("/admin/members", name="portal_admin_invite")
@answers_problems
async def invite(request: Request) -> Response:
    form, refusal = await checked_form(request)
    if refusal is not None:
        return refusal
    viewer = await administrator(request)
    variables = {"input": {
        "organisation": viewer["organisation"]["id"], "email": form.get("email").strip(),
        "name": form.text("name"), "role": form.get("role") if form.get("role") in ROLES else "VIEWER",
    }}
    answer = (await run(request, "admin_invite", variables))["addMember"]
    if answer["userErrors"]:
        return await members_page(request, form=form, errors=errors_by_field(answer["userErrors"], INVITE_FIELDS), status_code=422)
    return await members_page(request, invited=answer)


@router.post("/admin/members/revoke", name="portal_admin_revoke_invitation")
@answers_problems
async def revoke_invitation(request: Request) -> Response:
    form, refusal = await checked_form(request)
    if refusal is not None:
        return refusal
    await administrator(request)
    answer = (await run(request, "admin_remove_member", {"input": {"membership": form.get("membership")}}))["removeMember"]
    if answer["userErrors"]:
        return await members_page(request, errors=errors_by_field(answer["userErrors"], ()), status_code=422)
    return redirect("/admin/members")


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


@router.post("/admin/clients", name="portal_admin_create_client")
@answers_problems
async def create_client(request: Request) -> Response:
    form, refusal = await checked_form(request)
    if refusal is not None:
        return refusal
    await administrator(request)
    kind = form.get("kind") if form.get("kind") in ("MACHINE", "WEB_CONFIDENTIAL", "WEB_PUBLIC") else "MACHINE"
    uris = [line.strip() for line in form.get("redirectUris").splitlines() if line.strip()]
    variables = {"input": {"name": form.get("name").strip(), "scopes": form.getlist("scopes"), "kind": kind, "redirectUris": uris}}
    answer = (await run(request, "admin_create_client", variables))["createOAuthClient"]
    if answer["userErrors"]:
        return await clients_page(request, form=form, errors=errors_by_field(answer["userErrors"], CLIENT_FIELDS), status_code=422)
    return await clients_page(request, created=answer)


@router.post("/admin/clients/revoke", name="portal_admin_revoke_client")
@answers_problems
async def revoke_client(request: Request) -> Response:
    form, refusal = await checked_form(request)
    if refusal is not None:
        return refusal
    await administrator(request)
    answer = (await run(request, "admin_revoke_client", {"input": {"clientId": form.get("clientId")}}))["revokeOAuthClient"]
    if answer["userErrors"]:
        return await clients_page(request, errors=errors_by_field(answer["userErrors"], ()), status_code=422)
    return redirect("/admin/clients")


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
    form, refusal = await checked_form(request)
    if refusal is not None:
        return refusal
    await administrator(request)
    variables = {"input": {"url": form.get("url").strip(), "eventTypes": form.getlist("eventTypes"), "description": form.text("description")}}
    answer = (await run(request, "admin_create_webhook", variables))["createWebhookEndpoint"]
    if answer["userErrors"]:
        return await webhooks_page(request, form=form, errors=errors_by_field(answer["userErrors"], WEBHOOK_FIELDS), status_code=422)
    return await webhooks_page(request, created=answer)


@router.post("/admin/webhooks/delete", name="portal_admin_delete_webhook")
@answers_problems
async def delete_webhook(request: Request) -> Response:
    form, refusal = await checked_form(request)
    if refusal is not None:
        return refusal
    await administrator(request)
    answer = (await run(request, "admin_delete_webhook", {"input": {"id": form.get("id")}}))["deleteWebhookEndpoint"]
    if answer["userErrors"]:
        return await webhooks_page(request, errors=errors_by_field(answer["userErrors"], ()), status_code=422)
    return redirect("/admin/webhooks")
