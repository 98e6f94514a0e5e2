"""The contributors' forms (docs/portal.md, "Contributing through the portal"): create and edit an
initiative, draft an evidence assessment, continue the draft and send it for review. Each form posts,
with the session's CSRF token, to its own address, which runs the mutation through its `.graphql`
operation with the session's token. When the mutation answers `userErrors`, nothing was changed: the
form comes back with what was typed and each message by the field its path names (api/portal/forms.py).
On success the browser is sent on (303) to the record's form or the draft's page, with a confirmation."""

import base64
import re
from collections.abc import Callable
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from api.portal import languages, signin
from api.portal.forms import Form, FormErrors, errors_by_field
from api.portal.languages import gettext as _  # the portal's own messages, in the page's language
from api.portal.member_routes import redirect, refused
from api.portal.operations import PageProblem
from api.portal.routes import answers_problems, page, run

router = APIRouter(include_in_schema=False, dependencies=[Depends(languages.use_language), Depends(signin.resolve)])

# A fixed number of finding fieldsets, so the form needs no script to add one; those left empty are
# not sent. An assessment with more findings is continued on the API (docs/portal.md).
FINDINGS = 3
EDITABLE = {"DRAFT", "CHANGES_REQUESTED"}
INITIATIVE_CHOICES = ["interventionTypes", "harms", "mnrCapabilities", "targetGroups", "regions"]
INITIATIVE_VOCABULARIES = {
    "status": "initiative-status", "interventionTypes": "intervention-type", "harms": "harm",
    "mnrCapabilities": "mnr-capability", "targetGroups": "target-group", "regions": "region",
}
INITIATIVE_DATES = ["plannedStart", "plannedEnd", "actualStart", "actualEnd"]
INITIATIVE_FIELDS = ["title", "status", "summary", "description", "visibility", *INITIATIVE_DATES,
                     *INITIATIVE_CHOICES, "countries", "languages"]
STUDY_FIELDS = ["title", "studyDesign", "referenceDoi", "referenceUrl", "publishedOn", "sampleSize", "population"]
FINDING_FIELDS = ["outcome", "effectDirection", "significance", "effectSize", "effectSizeMetric", "ciLow", "ciHigh", "pValue", "notes"]
ASSESSMENT_FIELDS = [
    "initiative", "study", *[f"newStudy.{name}" for name in STUDY_FIELDS], "independence", "visibility",
    "followUp", "limitations", "conflictsOfInterest",
    *[f"findings.{i}.{name}" for i in range(FINDINGS) for name in FINDING_FIELDS], "changeNote",
]
FLOATS = {"effectSize", "ciLow", "ciHigh", "pValue"}




def global_id(type_name: str, row_id: object) -> str:
    """The relay id /graphql gives a record whose row id a draft's content holds."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def terms_by_vocabulary(data: dict) -> dict[str, list[dict]]:
    return {v["code"]: v["terms"] for v in data["vocabularies"]}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def split_codes(text: str | None) -> list[str]:
    """Country and language codes typed in one field, separated by commas or spaces."""
    return [part.upper() if len(part) == 2 else part for part in re.split(r"[\s,;]+", text or "") if part]


def read_date(form: Form, name: str, errors: FormErrors) -> str | None:
    value = form.text(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        errors.add(name, _("Enter a date as year-month-day, e.g. 2025-03-31."))
        return None


def read_number(form: Form, name: str, errors: FormErrors, *, whole: bool) -> int | float | None:
    value = form.text(name)
    if value is None:
        return None
    try:
        return int(value) if whole else float(value)
    except ValueError:
        errors.add(name, _("Enter a whole number.") if whole else _("Enter a number, e.g. 0.25."))
        return None


# Initiatives


def initiative_input(form: Form, errors: FormErrors, *, editing: bool) -> dict:
    """The mutation's input from the form. Editing sends every field: an emptied one clears it."""
    values: dict[str, object] = {
        "title": form.get("title").strip(),
        "status": form.get("status"),
        "visibility": form.get("visibility") or "PUBLIC",
        "summary": form.text("summary"),
        "description": form.text("description"),
        "countries": split_codes(form.text("countries")),
        "languages": [code.lower() for code in split_codes(form.text("languages"))],
    }
    for name in INITIATIVE_DATES:
        values[name] = read_date(form, name, errors)
    for name in INITIATIVE_CHOICES:
        values[name] = form.getlist(name)
    if not editing:
        values = {k: v for k, v in values.items() if v not in (None, [])}
    return values


def initiative_form_values(record: dict) -> Form:
    values: dict[str, object] = {name: record.get(name) for name in ("title", "summary", "description", "visibility", *INITIATIVE_DATES)}
    values["status"] = record["status"]["code"]
    for name in INITIATIVE_CHOICES:
        values[name] = [term["code"] for term in record[name]]
    values["countries"] = ", ".join(c["code"] for c in record["countries"])
    values["languages"] = ", ".join(c["code"] for c in record["languages"])
    return Form.filled(values)


async def initiative_form_data(request: Request, initiative_id: str | None) -> tuple[dict, dict | None]:
    """The form's vocabularies and, when editing, the initiative: one the person's organisation does
    not lead is the 404 of a missing one (its form is not theirs to open)."""
    data = await run(request, "contribute_initiative_form", {"id": initiative_id or "", "editing": initiative_id is not None})
    record = data.get("initiative")
    if initiative_id is not None:
        own = (data["viewer"].get("organisation") or {}).get("slug")
        if not record or (record.get("leadOrganisation") or {}).get("slug") != own:
            raise PageProblem(404, "-")
    return data, record


def initiative_page(data: dict, record: dict | None, form: Form, errors: FormErrors, *, status_code: int = 200, done: str = "") -> Response:
    return page(
        "contribute_initiative.html", status_code=status_code, form=form, errors=errors, initiative=record,
        terms=terms_by_vocabulary(data), done=done,
    )


async def save_initiative(request: Request, initiative_id: str | None) -> Response:
    form = await Form.posted(request)
    problem = signin.form_problem(request, form.single())
    if problem is not None:
        return refused(request, problem)
    data, record = await initiative_form_data(request, initiative_id)
    errors = FormErrors()
    values = initiative_input(form, errors, editing=initiative_id is not None)
    if not errors:
        if initiative_id is None:
            answer = (await run(request, "contribute_create_initiative", {"input": values}))["createInitiative"]
        else:
            answer = (await run(request, "contribute_update_initiative", {"input": {"id": initiative_id, **values}}))["updateInitiative"]
        errors = errors_by_field(answer["userErrors"], INITIATIVE_FIELDS)
        if not errors:
            done = "created" if initiative_id is None else "saved"
            return redirect(f"/contribute/initiatives/{quote(answer['initiative']['id'], safe='')}/edit?done={done}")
    return initiative_page(data, record, form, errors, status_code=422)


@router.get("/contribute/initiatives/new", name="portal_new_initiative")
@answers_problems
async def new_initiative(request: Request) -> Response:
    if not signin.visitor().signed_in:
        return redirect(signin.return_query("/contribute/initiatives/new"))
    data, _record = await initiative_form_data(request, None)
    return initiative_page(data, None, Form({"visibility": ["PUBLIC"]}), FormErrors())


@router.post("/contribute/initiatives/new", name="portal_create_initiative")
@answers_problems
async def create_initiative(request: Request) -> Response:
    return await save_initiative(request, None)


@router.get("/contribute/initiatives/{initiative_id:path}/edit", name="portal_edit_initiative")
@answers_problems
async def edit_initiative(request: Request, initiative_id: str, done: str = "") -> Response:
    if not signin.visitor().signed_in:
        return redirect(signin.return_query(request.url.path))
    data, record = await initiative_form_data(request, initiative_id)
    return initiative_page(data, record, initiative_form_values(record or {}), FormErrors(), done=done if done in ("created", "saved") else "")


@router.post("/contribute/initiatives/{initiative_id:path}/edit", name="portal_update_initiative")
@answers_problems
async def update_initiative(request: Request, initiative_id: str) -> Response:
    return await save_initiative(request, initiative_id)


# Evidence assessments


def finding_is_empty(form: Form, index: int) -> bool:
    """A fieldset the person did not fill (significance has a default, so it does not count)."""
    return not any(form.text(f"findings.{index}.{name}") for name in FINDING_FIELDS if name != "significance")


def assessment_input(form: Form, errors: FormErrors) -> tuple[dict, Callable[[str], str | None]]:
    """The mutation's input from the form, and how to name the form's field for an error's path:
    the findings sent are the filled fieldsets, in order, so the n-th sent is not always the n-th shown."""
    values: dict[str, object] = {
        "initiative": form.get("initiative"),
        "independence": form.get("independence"),
        "visibility": form.get("visibility") or "PUBLIC",
        "followUp": form.text("followUp"),
        "limitations": form.text("limitations"),
        "conflictsOfInterest": form.text("conflictsOfInterest"),
        "changeNote": form.text("changeNote"),
        "revision": form.text("revision"),
    }
    if form.text("study"):
        values["study"] = form.get("study")
    elif any(form.text(f"newStudy.{name}") for name in STUDY_FIELDS):
        values["newStudy"] = {
            "title": form.text("newStudy.title"),
            "studyDesign": form.text("newStudy.studyDesign"),
            "referenceDoi": form.text("newStudy.referenceDoi"),
            "referenceUrl": form.text("newStudy.referenceUrl"),
            "population": form.text("newStudy.population"),
            "publishedOn": read_date(form, "newStudy.publishedOn", errors),
            "sampleSize": read_number(form, "newStudy.sampleSize", errors, whole=True),
        }
    shown = [i for i in range(FINDINGS) if not finding_is_empty(form, i)]
    findings = []
    for i in shown:
        prefix = f"findings.{i}."
        finding: dict[str, object] = {
            "outcome": form.get(prefix + "outcome"),
            "effectDirection": form.get(prefix + "effectDirection"),
            "significance": form.get(prefix + "significance") or "NOT-TESTED",
            "effectSizeMetric": form.text(prefix + "effectSizeMetric"),
            "notes": form.text(prefix + "notes"),
        }
        for name in FLOATS:
            finding[name] = read_number(form, prefix + name, errors, whole=False)
        findings.append(finding)
    values["findings"] = findings

    def rename(name: str) -> str | None:
        match = re.fullmatch(r"findings\.(\d+)(\..*)?", name)
        if match and int(match.group(1)) < len(shown):
            return f"findings.{shown[int(match.group(1))]}{match.group(2) or ''}"
        return name

    return {k: v for k, v in values.items() if v is not None}, rename


def assessment_form_values(revision: dict) -> Form:
    """A draft's content (the service's names, row ids) as the form's fields."""
    content = revision.get("content") or {}
    data = content.get("data") or {}
    values: dict[str, object] = {"revision": revision["id"], "changeNote": None}
    if content.get("initiative_id") is not None:
        values["initiative"] = global_id("Initiative", content["initiative_id"])
    if data.get("study_id") is not None:
        values["study"] = global_id("Study", data["study_id"])
    for name, value in (data.get("new_study") or {}).items():
        if camel(name) in STUDY_FIELDS:
            values[f"newStudy.{camel(name)}"] = value
    for name in ("independence", "visibility", "follow_up", "limitations", "conflicts_of_interest"):
        values[camel(name)] = data.get(name)
    for i, finding in enumerate((data.get("findings") or [])[:FINDINGS]):
        for name, value in finding.items():
            if camel(name) in FINDING_FIELDS:
                values[f"findings.{i}.{camel(name)}"] = value
    return Form.filled(values)


async def assessment_form_data(request: Request, revision_id: str | None) -> tuple[dict, dict | None]:
    """The form's choices and, when continuing, the draft: one the person may not read, not an
    assessment, or no longer editable is the 404 of a missing one."""
    data = await run(request, "contribute_assessment_form", {"revision": revision_id or "", "editing": revision_id is not None})
    revision = data.get("node") or None
    if revision_id is not None:
        own = (data["viewer"].get("organisation") or {}).get("slug")
        if (not revision or revision.get("recordType") != "EVIDENCE_ASSESSMENT" or revision.get("state") not in EDITABLE
                or (revision.get("organisation") or {}).get("slug") != own):
            raise PageProblem(404, "-")
    return data, revision


def beyond_the_form(revision: dict | None) -> bool:
    """A draft with more findings than the form shows (made through the API): saving the form would
    drop the others, so it offers no form for it."""
    findings = (((revision or {}).get("content") or {}).get("data") or {}).get("findings") or []
    return len(findings) > FINDINGS


def assessment_page(data: dict, revision: dict | None, form: Form, errors: FormErrors, *, status_code: int = 200) -> Response:
    return page(
        "contribute_assessment.html", status_code=status_code, form=form, errors=errors, revision=revision,
        beyond_the_form=beyond_the_form(revision),
        terms=terms_by_vocabulary(data), findings=range(FINDINGS),
        initiatives=[edge["node"] for edge in data["initiatives"]["edges"]],
        studies=[edge["node"] for edge in data["studies"]["edges"]],
    )


async def save_assessment(request: Request, revision_id: str | None) -> Response:
    form = await Form.posted(request)
    problem = signin.form_problem(request, form.single())
    if problem is not None:
        return refused(request, problem)
    data, revision = await assessment_form_data(request, revision_id)
    if beyond_the_form(revision):
        return assessment_page(data, revision, form, FormErrors(), status_code=409)
    if revision_id is not None:  # the draft continued is the one in the address, whatever the form says
        form.values["revision"] = [revision_id]
    errors = FormErrors()
    values, rename = assessment_input(form, errors)
    if not errors:
        answer = (await run(request, "contribute_draft_assessment", {"input": values}))["draftEvidenceAssessment"]
        errors = errors_by_field(answer["userErrors"], ASSESSMENT_FIELDS, rename)
        if not errors:
            return redirect(f"/contribute/drafts/{quote(answer['revision']['id'], safe='')}?done=saved")
    return assessment_page(data, revision, form, errors, status_code=422)


@router.get("/contribute/assessments/new", name="portal_new_assessment")
@answers_problems
async def new_assessment(request: Request, initiative: str = "") -> Response:
    if not signin.visitor().signed_in:
        return redirect(signin.return_query("/contribute/assessments/new"))
    data, _revision = await assessment_form_data(request, None)
    return assessment_page(data, None, Form({"initiative": [initiative], "visibility": ["PUBLIC"]}), FormErrors())


@router.post("/contribute/assessments/new", name="portal_create_assessment")
@answers_problems
async def create_assessment(request: Request) -> Response:
    return await save_assessment(request, None)


@router.get("/contribute/drafts/{revision_id:path}/edit", name="portal_edit_assessment")
@answers_problems
async def edit_assessment(request: Request, revision_id: str) -> Response:
    if not signin.visitor().signed_in:
        return redirect(signin.return_query(request.url.path))
    data, revision = await assessment_form_data(request, revision_id)
    return assessment_page(data, revision, assessment_form_values(revision or {}), FormErrors())


@router.post("/contribute/drafts/{revision_id:path}/edit", name="portal_update_assessment")
@answers_problems
async def update_assessment(request: Request, revision_id: str) -> Response:
    return await save_assessment(request, revision_id)


# Drafts


async def draft_of(request: Request, revision_id: str) -> dict:
    """The person's organisation's draft; any other revision (or none) is the 404 of a missing one."""
    data = await run(request, "contribute_draft", {"id": revision_id})
    revision = data.get("node") or None
    own = (data["viewer"].get("organisation") or {}).get("slug")
    if not revision or "recordType" not in revision or (revision.get("organisation") or {}).get("slug") != own:
        raise PageProblem(404, "-")
    return revision


def draft_page(revision: dict, errors: FormErrors, *, done: str = "", status_code: int = 200) -> Response:
    data = (revision.get("content") or {}).get("data") or {}
    return page(
        "contribute_draft.html", status_code=status_code, revision=revision, errors=errors, done=done,
        editable=revision["state"] in EDITABLE, assessment=revision["recordType"] == "EVIDENCE_ASSESSMENT",
        study_title=(data.get("new_study") or {}).get("title"), findings=data.get("findings") or [],
        in_the_form=not beyond_the_form(revision),
    )


@router.get("/contribute/drafts/{revision_id:path}", name="portal_draft")
@answers_problems
async def draft(request: Request, revision_id: str, done: str = "") -> Response:
    if not signin.visitor().signed_in:
        return redirect(signin.return_query(request.url.path))
    revision = await draft_of(request, revision_id)
    return draft_page(revision, FormErrors(), done=done if done in ("saved", "submitted") else "")


@router.post("/contribute/drafts/{revision_id:path}/submit", name="portal_submit_draft")
@answers_problems
async def submit_draft(request: Request, revision_id: str) -> Response:
    form = await Form.posted(request)
    problem = signin.form_problem(request, form.single())
    if problem is not None:
        return refused(request, problem)
    revision = await draft_of(request, revision_id)
    answer = (await run(request, "contribute_submit_revision", {"input": {"id": revision_id}}))["submitRevision"]
    errors = errors_by_field(answer["userErrors"], [])
    if errors:  # the draft fails a check it passed when saved (a study since withdrawn, say): say why
        return draft_page(revision, errors, status_code=422)
    return redirect(f"/contribute/drafts/{quote(revision_id, safe='')}?done=submitted")
