"""The reviewer's pages (docs/portal.md, "Reviewing and administering through the portal"): the
revisions awaiting the person's review, the coding form of one (the authors' proposal beside it,
sent with `submitReview`) and the reconciliation view (the fields the two codings disagree on, both
codings once both are in, and `resolveDisagreement` for the person who may settle them).

A revision the person is not a reviewer of (in any round) gets the 404 page, as a missing one does:
its authors follow it from their dashboard; this page is the reviewer's. Forms carry the session's
CSRF token; a mutation's `userErrors` come back beside the inputs they name, with what was typed."""

from urllib.parse import quote

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from api.portal import languages, signin
from api.portal.admin import checked_form, signed_in_or_redirect
from api.portal.forms import Form, FormErrors, errors_by_field
from api.portal.member_routes import redirect
from api.portal.operations import PageProblem
from api.portal.routes import answers_problems, page, run, run_record
from api.portal.rendering import proposal, proposal_title

router = APIRouter(include_in_schema=False, dependencies=[Depends(languages.use_language), Depends(signin.resolve)])

CODERS = 2  # positions 1 and 2 code the record; 3 is a third reviewer who settles disagreements
DECISIONS = ("ACCEPT", "REVISE", "REJECT")
SUPPORT = ("YES", "PARTLY", "NO")
CONCERNS = ("NOT-SERIOUS", "SERIOUS", "VERY-SERIOUS")
CERTAINTY_DOMAINS = ("riskOfBias", "inconsistency", "indirectness", "imprecision", "publicationBias")
# A finding's coded fields: the form's (and the API's) name, and the vocabulary of its codes.
FINDING_CODES = (
    ("outcome", "outcome"), ("comparison", "comparison"), ("significance", "significance"),
    ("riskOfBias", "risk-of-bias"), ("proposedRating", "evidence-rating"), ("proposedCertainty", "certainty"),
)
REQUIRED_FINDING_CODES = {"outcome", "comparison", "significance"}
CODED_KINDS = {"EVIDENCE_ASSESSMENT", "BEST_PRACTICE"}


def snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def flat_coding(record_type: str, coding: dict | None) -> dict[str, str | None]:
    """A stored coding (as the API keeps it, snake_case) as its JSON Pointers, the names disagreements use."""
    if not coding:
        return {}
    if record_type == "BEST_PRACTICE":
        flat = {"/evidenceBasis": coding.get("evidence_basis")}
        flat.update({f"/support/{i}": v for i, v in enumerate(coding.get("support") or [])})
    elif record_type == "EVIDENCE_ASSESSMENT":
        flat = {"/studyDesign": coding.get("study_design")}
        for i, finding in enumerate(coding.get("findings") or []):
            flat.update({f"/findings/{i}/{name}": finding.get(snake(name)) for name, _ in FINDING_CODES})
        flat.update({f"/certainty/{d}": (coding.get("certainty") or {}).get(d) for d in CERTAINTY_DOMAINS})
    elif record_type == "RATING_INQUIRY":
        flat = {"/ruling": coding.get("ruling")}
    else:
        flat = {}
    flat["/decision"] = coding.get("decision")
    return flat


def input_names(record_type: str, content: dict) -> list[str]:
    """The coding form's inputs, in order: the names its userErrors are placed by."""
    if record_type == "BEST_PRACTICE":
        names = ["evidenceBasis", *(f"support.{i}" for i in range(len(content.get("evidence") or [])))]
    else:
        names = ["studyDesign"]
        for i in range(len(content.get("findings") or [])):
            names += [f"findings.{i}.{name}" for name, _ in FINDING_CODES]
        names += [f"certainty.{d}" for d in CERTAINTY_DOMAINS]
    return [*names, "decision", "notes"]


def error_name(name: str) -> str:
    """The API names a coding's fields under `practice` or `coding`; the form's inputs have neither."""
    for prefix in ("practice.", "coding."):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def review_input(revision: dict, form: Form) -> dict:
    """`SubmitReviewInput` from the posted form; empty choices are left out for the API to judge."""
    values: dict = {"revision": revision["id"], "decision": form.get("decision"), "notes": form.text("notes")}
    if revision["recordType"] == "BEST_PRACTICE":
        cited = len(proposal(revision).get("evidence") or [])
        values["practice"] = {"evidenceBasis": form.get("evidenceBasis"), "support": [form.get(f"support.{i}") for i in range(cited)]}
    else:
        values["studyDesign"] = form.get("studyDesign")
        values["findings"] = [
            {name: (form.get(f"findings.{i}.{name}") if name in REQUIRED_FINDING_CODES else form.text(f"findings.{i}.{name}"))
             for name, _ in FINDING_CODES}
            for i in range(len(proposal(revision).get("findings") or []))
        ]
        values["certainty"] = {d: form.text(f"certainty.{d}") for d in CERTAINTY_DOMAINS}
    return values


def authors_coding(revision: dict) -> Form:
    """The form's starting values: what the authors proposed, for the reviewer to confirm or change."""
    content = proposal(revision)
    if revision["recordType"] == "BEST_PRACTICE":
        return Form.filled({"evidenceBasis": content.get("evidence_basis")})
    values: dict = {}
    for i, finding in enumerate(content.get("findings") or []):
        values.update({f"findings.{i}.{name}": finding.get(snake(name)) for name, _ in FINDING_CODES})
    return Form.filled(values)


def my_reviews(revision: dict) -> tuple[dict | None, dict | None]:
    """The person's coding assignment (position 1 or 2) and third-reviewer assignment, this round."""
    mine = [r for r in revision["reviews"] if r["mine"] and r["round"] == revision["round"]]
    coding = next((r for r in mine if r["position"] <= CODERS), None)
    third = next((r for r in mine if r["position"] > CODERS), None)
    return coding, third


def awaiting(revisions: list[dict]) -> list[dict]:
    """Revisions with a review of the person's in their current round, and what it waits for."""
    found = []
    for revision in revisions:
        coding, third = my_reviews(revision)
        if coding is not None:
            waits = "code" if coding["submittedAt"] is None else ("other" if revision["state"] == "IN_REVIEW" else "reconcile")
        elif third is not None:
            waits = "resolve"
        else:
            continue
        found.append({"revision": revision, "waits": waits, "title": proposal_title(proposal(revision))})
    return found


def review_address(revision_id: str) -> str:
    return "/reviews/" + quote(revision_id, safe="")


async def revision_page(request: Request, revision_id: str, *, form: Form | None = None,
                        errors: FormErrors | None = None, status_code: int = 200) -> Response:
    revision, data = await run_record(request, "review_revision", {"id": revision_id}, "node")
    if not revision.get("id") or not any(r["mine"] for r in revision["reviews"]):
        raise PageProblem(404, "-")
    coding, third = my_reviews(revision)
    terms = {v["code"]: v["terms"] for v in data["vocabularies"]}
    reviews = [r for r in revision["reviews"] if r["round"] == revision["round"] and r["position"] <= CODERS]
    both_in = len(reviews) == CODERS and all(r["submittedAt"] for r in reviews)
    codings = [flat_coding(revision["recordType"], r["coding"]) for r in reviews] if both_in else []
    return page(
        "review_revision.html", status_code=status_code, revision=revision, title=proposal_title(proposal(revision)), content=proposal(revision),
        terms=terms, coding=coding, may_code=coding is not None and coding["submittedAt"] is None
        and revision["state"] == "IN_REVIEW" and revision["recordType"] in CODED_KINDS,
        may_resolve=revision["state"] == "RECONCILIATION" and (third is not None or data["viewer"]["isLabAdmin"]),
        form=form or authors_coding(revision), errors=errors or FormErrors(), both_in=both_in,
        fields=list(codings[0]) if codings else [], codings=codings,
        disagreements=[d for d in revision["disagreements"] if d["round"] == revision["round"]],
        decisions=DECISIONS, support=SUPPORT, concerns=CONCERNS, domains=CERTAINTY_DOMAINS, finding_codes=FINDING_CODES,
    )


@router.get("/reviews", name="portal_reviews")
@answers_problems
async def reviews(request: Request) -> Response:
    if (found := signed_in_or_redirect("/reviews")) is not None:
        return found
    data = await run(request, "review_list")
    return page("review_list.html", items=awaiting([e["node"] for e in data["revisions"]["edges"]]))


@router.post("/reviews/resolve", name="portal_resolve_disagreement")
@answers_problems
async def resolve(request: Request) -> Response:
    form, refusal = await checked_form(request)
    if refusal is not None:
        return refusal
    revision_id = form.get("revision")
    value = form.get("value")
    variables = {"input": {"revision": revision_id, "field": form.get("field"), "value": None if value == "" else value}}
    answer = (await run(request, "review_resolve", variables))["resolveDisagreement"]
    if answer["userErrors"]:
        errors = errors_by_field(answer["userErrors"], ())
        return await revision_page(request, revision_id, errors=errors, status_code=422)
    return redirect(review_address(revision_id))


@router.get("/reviews/{revision_id:path}", name="portal_review")
@answers_problems
async def review(request: Request, revision_id: str) -> Response:
    return signed_in_or_redirect(review_address(revision_id)) or await revision_page(request, revision_id)


@router.post("/reviews/{revision_id:path}", name="portal_submit_review")
@answers_problems
async def submit_review(request: Request, revision_id: str) -> Response:
    form, refusal = await checked_form(request)
    if refusal is not None:
        return refusal
    revision, _ = await run_record(request, "review_revision", {"id": revision_id}, "node")
    if not revision.get("id"):
        raise PageProblem(404, "-")
    answer = (await run(request, "review_submit", {"input": review_input(revision, form)}))["submitReview"]
    if answer["userErrors"]:
        names = input_names(revision["recordType"], proposal(revision))
        errors = errors_by_field(answer["userErrors"], names, rename=error_name)
        return await revision_page(request, revision_id, form=form, errors=errors, status_code=422)
    return redirect(review_address(revision_id))


