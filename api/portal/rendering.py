"""What the portal's templates need beyond their data: highlighted text made safe, the three search
pages' kinds and state read from their address (and written back into links), dates, the records' citation lines, an
organisation's initiatives split by its part in them, and the glossary's anchors and cross-references."""

from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from api.portal.languages import ENGLISH, N_, country_name, current, gettext

HITS_PER_PAGE = 10  # a page a visitor reads through; the seeded registry fills two


@dataclass(frozen=True)
class Facet:
    """A facet of a search page: its address parameter, its filter field, its facet value and its
    legend."""

    param: str
    filter_field: str
    facet: str
    legend: str


FACETS = (
    Facet("status", "statuses", "STATUS", N_("Status")),
    Facet("harm", "harms", "HARMS", N_("Harm addressed")),
    Facet("intervention", "interventionTypes", "INTERVENTION_TYPES", N_("Type of intervention")),
    Facet("country", "countries", "COUNTRIES", N_("Country")),
    Facet("stakeholder", "stakeholderTypes", "STAKEHOLDER_TYPES", N_("Kind of organisation")),
    Facet("rating", "ratings", "RATINGS", N_("Outcome rating")),
)
EVIDENCE_FACETS = (  # `EvidenceSearchFilter` and `EvidenceSearchFacet`
    Facet("design", "studyDesigns", "STUDY_DESIGN", N_("Study design")),
    Facet("outcome", "outcomes", "OUTCOME", N_("Outcome")),
    Facet("independence", "independence", "INDEPENDENCE", N_("Who assessed it")),
    Facet("rating", "ratings", "RATING", N_("Outcome rating")),
    Facet("country", "countries", "COUNTRIES", N_("Country")),
)
PRACTICE_FACETS = (  # `BestPracticeSearchFilter` and `BestPracticeSearchFacet`
    Facet("harm", "harms", "HARMS", N_("Harm addressed")),
    Facet("intervention", "interventionTypes", "INTERVENTION_TYPES", N_("Type of intervention")),
    Facet("basis", "evidenceBasis", "EVIDENCE_BASIS", N_("Evidence basis")),
)


@dataclass(frozen=True)
class SearchKind:
    """One of the portal's three searches: its address, its operation (operations/<operation>.graphql,
    whose variables are the same for all three), the field its result is in, the field each hit holds
    its record in, and its facets. Its wording is in templates/search_kinds.html, by `name`."""

    name: str
    path: str
    operation: str
    result_field: str
    hit_field: str
    facets: tuple[Facet, ...]

    def csv_path(self) -> str:
        return f"{self.path}.csv"


INITIATIVES = SearchKind("initiatives", "/search", "search", "searchInitiatives", "initiative", FACETS)
EVIDENCE = SearchKind("evidence", "/search/evidence", "search_evidence", "searchEvidence", "evidenceAssessment", EVIDENCE_FACETS)
PRACTICES = SearchKind("practices", "/search/practices", "search_practices", "searchBestPractices", "bestPractice", PRACTICE_FACETS)
SEARCH_KINDS = (INITIATIVES, EVIDENCE, PRACTICES)

# The address's `sort` → the search's sort (`SearchSort`, the same for all three); relevance (no sort)
# first. The words (N_) are translated where the page shows them.
SORTS = {
    "": (N_("Relevance"), None),
    "updated": (N_("Recently changed"), "UPDATED_AT_DESC"),
    "title": (N_("Title, A to Z"), "TITLE_ASC"),
}
# Parameters of a search's address other than its facets'.
STATE_PARAMS = {"q", "sort", "page"}


def marked(text: str, matches: list[dict]) -> list[tuple[str, bool]]:
    """`text` cut into pieces, each with whether it is a match (ranges in code points, as the API
    gives them: Python's string indices). The template (`highlighted` in macros.html) puts the
    matches in <mark> and lets autoescaping escape every piece: nothing of the data is ever HTML."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for match in sorted(matches, key=lambda m: m["start"]):
        start, end = max(match["start"], at), min(len(text), match["start"] + match["length"])
        if end <= start:
            continue  # overlapping or outside the text
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces


@dataclass
class SearchState:
    """What a search page shows, as its address says it: every state is a permalink."""

    query: str = ""
    sort: str = ""
    page: int = 1
    selected: dict[str, list[str]] = field(default_factory=dict)  # facet param → codes
    kind: SearchKind = INITIATIVES

    @classmethod
    def from_params(cls, params, kind: SearchKind = INITIATIVES) -> "SearchState | None":  # noqa: ANN001  (starlette's QueryParams)
        """The state, or None when the address cannot be a search (see `address_problems`): the page answers 400."""
        return None if address_problems(params, kind) else cls.as_far_as_readable(params, kind)

    @classmethod
    def as_far_as_readable(cls, params, kind: SearchKind) -> "SearchState":  # noqa: ANN001
        """The state with what the address holds that is a search of `kind` (to show the page again
        with its problems explained)."""
        selected = {f.param: [v for v in dict.fromkeys(params.getlist(f.param)) if v] for f in kind.facets}
        page, sort = params.get("page") or "1", params.get("sort") or ""
        return cls(
            query=params.get("q") or "", sort=sort if sort in SORTS else "", page=int(page) if page.isdigit() and int(page) > 0 else 1,
            selected={k: v for k, v in selected.items() if v}, kind=kind,
        )

    def variables(self, *, page: int | None = None, hits_per_page: int = HITS_PER_PAGE) -> dict:
        """The search operation's variables (for another page, or another page size, with the arguments)."""
        search_filter = {f.filter_field: self.selected[f.param] for f in self.kind.facets if f.param in self.selected}
        sort = SORTS[self.sort][1]
        return {
            "query": self.query,
            "filter": search_filter or None,
            "sort": [sort] if sort else None,
            "page": page or self.page,
            "hitsPerPage": hits_per_page,
        }

    def pairs(self) -> list[tuple[str, str]]:
        """The address's parameters, but its page."""
        pairs: list[tuple[str, str]] = [("q", self.query)] if self.query else []
        pairs += [(f.param, code) for f in self.kind.facets for code in self.selected.get(f.param, [])]
        if self.sort:
            pairs.append(("sort", self.sort))
        return pairs

    def url(self, *, page: int | None = None) -> str:
        """This state's address (another page of it with `page`)."""
        pairs = self.pairs()
        page = page or self.page
        if page > 1:
            pairs.append(("page", str(page)))
        return self.kind.path + (f"?{urlencode(pairs)}" if pairs else "")

    def csv_url(self) -> str:
        """The address of this search's results as CSV (every page of it, up to the cap)."""
        pairs = self.pairs()
        return self.kind.csv_path() + (f"?{urlencode(pairs)}" if pairs else "")


def address_problems(params, kind: SearchKind, *, allowed: frozenset[str] = frozenset()) -> list[dict]:  # noqa: ANN001
    """What in a search's address is not a search of `kind`: a parameter it does not have, an unknown
    order, a page that is not a number from 1. Each as `{"param", "value"}` for the page to explain.
    (A facet code the vocabulary does not know is the search's own answer: `code_problems`.)"""
    known = STATE_PARAMS | {f.param for f in kind.facets} | allowed
    problems = [{"param": name, "value": value} for name, value in params.multi_items() if name not in known]
    page = params.get("page") or "1"
    if not page.isdigit() or int(page) < 1:
        problems.append({"param": "page", "value": page})
    if (params.get("sort") or "") not in SORTS:
        problems.append({"param": "sort", "value": params.get("sort")})
    return problems


def code_problems(state: SearchState, problems: list[dict]) -> list[dict]:
    """The search's `BAD_USER_INPUT` problems (`{"field": ["filter", "harms", "1"], …}`) as the
    address's parameters and values they came from; those about no facet keep their message."""
    by_field = {f.filter_field: f for f in state.kind.facets}
    explained = []
    for problem in problems:
        path = [str(part) for part in problem.get("field") or []]
        facet = by_field.get(path[1]) if len(path) == 3 and path[0] == "filter" else None
        if facet and path[2].isdigit() and int(path[2]) < len(state.selected.get(facet.param, [])):
            value = state.selected[facet.param][int(path[2])]
            explained.append({"param": facet.param, "value": value, "legend": facet.legend, "suggestion": problem.get("suggestion")})
        else:  # the page out of reach, words too long: the API's own message, with what the address gave
            param, value = {"page": ("page", str(state.page)), "query": ("q", state.query[:50])}.get(".".join(path), (".".join(path), ""))
            explained.append({"param": param, "value": value, "message": problem.get("message")})
    return explained


def facet_values(state: SearchState, distribution: list[dict]) -> list[dict]:
    """Each facet with its values and counts, the selected ones always listed (a selected value a
    new query no longer finds is shown with 0, so it can still be unticked)."""
    by_facet = {entry["facet"]: entry["values"] for entry in distribution}
    shown = []
    for facet in state.kind.facets:
        values = [{**value, "selected": value["value"] in state.selected.get(facet.param, [])} for value in by_facet.get(facet.facet, [])]
        if facet.param == "country":  # vocabulary labels come in the page's language; country names are named here
            values = [{**value, "label": country_name({"code": value["value"], "name": value["label"]})} for value in values]
        found = {value["value"] for value in values}
        values += [{"value": code, "label": code, "count": 0, "selected": True} for code in state.selected.get(facet.param, []) if code not in found]
        if values:
            shown.append({"facet": facet, "values": values})
    return shown


def highlight_of(hit: dict, field_name: str, plain: str | None) -> list[tuple[str, bool]]:
    """A hit's field cut at its matches, or its plain value as one piece when nothing matched in it."""
    for highlight in hit["highlights"]:
        if highlight["field"] == field_name:
            return marked(highlight["text"], highlight["matches"])
    return [(plain, False)] if plain else []


def label_highlight_of(hit: dict, field_name: str, plain: str | None) -> list[tuple[str, bool]]:
    """A vocabulary label of a hit, highlighted as `highlight_of` does on an English page; on a page in
    another language the label GraphQL gave in that language, unmarked: the search index holds, and
    highlights, the English labels only."""
    if current() != ENGLISH:
        return [(plain, False)] if plain else []
    return highlight_of(hit, field_name, plain)


def web_address(url: str | None) -> str | None:
    """A link's address when it is one a page may link to (http or https), else None: whatever a
    record holds, no `javascript:` or `data:` address becomes a link."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def day(value: str | None) -> str:
    """An ISO date or timestamp as its day (YYYY-MM-DD)."""
    return value[:10] if value else ""


def record_citation(*, author: str | None, title: str, kind: str, updated_at: str, url: str) -> str:
    """A line to cite a record by: who is behind it, its title, the registry, what kind of record it
    is (`kind`, marked with N_), when it last changed, where it is; in the page's language."""
    by = f"{author}. " if author else ""
    line = gettext("%(title)s. Children Online Protection Lab registry (coplab), %(kind)s record, last updated %(day)s.")
    return by + line % {"title": title, "kind": gettext(kind), "day": day(updated_at)} + f" {url}"


def citation(initiative: dict, url: str) -> str:
    """An initiative's citation line, under its lead organisation's name."""
    lead = (initiative.get("leadOrganisation") or {}).get("name")
    return record_citation(author=lead, title=initiative["title"], kind=N_("initiative"), updated_at=initiative["updatedAt"], url=url)


# An organisation's standing in the Lab (`OrganisationStatus`), in words (translated by the page).
ORGANISATION_STATUSES = {
    "MEMBER": N_("Member of the Lab"),
    "OBSERVER": N_("Observer in the Lab"),
    "NAMED": N_("Named in the Lab's sources (not a member)"),
    "PENDING": N_("Awaiting admission"),
    "SUSPENDED": N_("Suspended"),
}


def organisation_citation(organisation: dict, url: str) -> str:
    """An organisation's citation line: the record is about it, so its name is the title."""
    name = organisation["name"] + (f" ({organisation['acronym']})" if organisation.get("acronym") else "")
    return record_citation(author=None, title=name, kind=N_("organisation"), updated_at=organisation["updatedAt"], url=url)


def initiatives_of(organisation: dict) -> tuple[list[dict], list[dict]]:
    """The initiatives the organisation leads and those it takes part in, each by title (its
    `initiatives` gives both together)."""
    nodes = sorted((edge["node"] for edge in organisation["initiatives"]["edges"]), key=lambda node: node["title"].casefold())
    leads = [node for node in nodes if (node["leadOrganisation"] or {}).get("slug") == organisation["slug"]]
    return leads, [node for node in nodes if node not in leads]


def findings_by_outcome(initiative: dict) -> list[dict]:
    """The evidence grouped by outcome: each outcome's computed rating (if any) and the findings
    that bear on it, with the study and who assessed it."""
    outcomes: dict[str, dict] = {}
    for rating in initiative["outcomeRatings"]:
        outcomes[rating["outcome"]["code"]] = {"outcome": rating["outcome"], "rating": rating, "findings": []}
    assessment_of: dict[int, dict] = {}
    for assessment in initiative["assessments"]:
        for finding in assessment["findings"]:
            entry = outcomes.setdefault(finding["outcome"]["code"], {"outcome": finding["outcome"], "rating": None, "findings": []})
            entry["findings"].append({**finding, "assessment": assessment})
            if "findingId" in finding:
                assessment_of[finding["findingId"]] = assessment
    for entry in outcomes.values():
        entry["trace"] = rating_trace(entry["rating"], assessment_of) if entry["rating"] else None
    return sorted(outcomes.values(), key=lambda entry: entry["outcome"]["label"])


def rating_trace(rating: dict, assessment_of: dict[int, dict]) -> dict:
    """How a computed rating was reached, to be read: the findings it counted and those set aside
    (each beside its study, where the visitor may read the assessment), then each step of the
    certainty trace with which way it moved (`moved`: "start", "down", "up" or "none")."""
    contributions = [
        {**contribution, "assessment": assessment_of.get(contribution["findingId"])}
        for contribution in rating.get("contributions") or []
    ]
    steps = [
        {**step, "moved": "start" if index == 0 and step["domain"] == "START" else "down" if step["change"] < 0 else "up" if step["change"] > 0 else "none"}
        for index, step in enumerate(rating.get("certaintyTrace") or [])
    ]
    return {
        "counted": [c for c in contributions if c["counted"]],
        "set_aside": [c for c in contributions if not c["counted"]],
        "steps": steps,
    }


def figure_period(figure: dict) -> str:
    """The period a figure covers, written as precisely as its source gives it: `2021`,
    `2019–2021`, `2021-03`, `2021-03-01–2021-03-31`."""
    width = {"YEAR": 4, "MONTH": 7}.get(figure.get("periodPrecision") or "", 10)
    start, end = figure["periodStart"][:width], figure["periodEnd"][:width]
    return start if start == end else f"{start}–{end}"


def figure_value(value: float | None) -> str:
    """A figure's number without a needless `.0`, with thousands separated; "" when the source
    gives the figure in words only."""
    if value is None:
        return ""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


VERSIONS_COMPARED = 5  # the profile shows what changed for the latest few versions: one diff call per pair
SHORT_VALUE = 80  # longer texts are said to have changed, not quoted


def version_pairs(versions: list[dict], limit: int = VERSIONS_COMPARED) -> list[tuple[int, int]]:
    """The (from, to) version numbers whose changes the profile shows: each of the latest `limit`
    versions after the first, against the one before it."""
    numbers = sorted(version["number"] for version in versions)[-limit:]
    return [(number - 1, number) for number in numbers if number > 1]


def field_label(path: str) -> str:
    """A JSON Pointer into a record's snapshot as words: `/plannedStart` → "Planned start",
    `/links/0/url` → "Links › 1 › Url" (list positions counted from 1)."""
    words = []
    for token in path.strip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if token.isdigit():
            words.append(str(int(token) + 1))
        elif token == "-":
            words.append(gettext("new item"))
        else:
            spaced = "".join(f" {c.lower()}" if c.isupper() else c for c in token).strip()
            words.append(spaced[:1].upper() + spaced[1:])
    return " › ".join(word for word in words if word) or gettext("The whole record")


def shown_value(value: object) -> str | None:
    """A changed value short enough to quote (a number, a yes/no, a short text); None for a long
    text, a list or an object, which the page says only changed."""
    if value is None or isinstance(value, (list, dict)):
        return None
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    text = str(value)
    return text if len(text) <= SHORT_VALUE else None


CHANGE_WORDS = {
    "add": N_("added"),
    "remove": N_("removed"),
    "replace": N_("changed"),
    "move": N_("moved"),
    "copy": N_("copied"),
    "test": N_("checked"),
}


def changes(operations: list[dict]) -> list[dict]:
    """A diff's RFC 6902 operations as lines to read: the field as a label, what happened to it
    (`what`, marked with N_) and the new value where it is short enough to quote. The operations
    carry no old value, so none is shown."""
    return [
        {
            "field": field_label(operation["path"]),
            "what": CHANGE_WORDS.get(operation["op"], operation["op"]),
            "value": shown_value(operation.get("value")) if operation["op"] in {"add", "replace"} else None,
            "source": field_label(operation["from"]) if operation.get("from") else None,
        }
        for operation in operations
    ]


def practice_citation(practice: dict, url: str) -> str:
    """A best practice's citation line, under the name of the organisation that proposed it."""
    author = (practice.get("organisation") or {}).get("name")
    return record_citation(author=author, title=practice["title"], kind=N_("best practice"), updated_at=practice["updatedAt"], url=url)


def glossary_anchor(vocabulary: str, code: str) -> str:
    """The id of a term's entry on the glossary page (`/glossary#harm-CSAM-KNOWN`)."""
    return f"{vocabulary}-{code}"


def cross_references(attributes: dict) -> list[tuple[str, str]]:
    """A term's attributes (IATI and MNR codes, M49 numbers, design levels…) that read as a word or
    a number, by name; anything else the attributes hold is for machines."""
    return [
        (name, str(value)) for name, value in sorted(attributes.items())
        if isinstance(value, (str, int, float)) and not isinstance(value, bool)
    ]


def study_citation(study: dict, url: str) -> str:
    """A study's citation line: the registry's record of the study, under its title (the study's
    authors are not a field of the record; its reference is on the page)."""
    return record_citation(author=None, title=study["title"], kind="study", updated_at=study["updatedAt"], url=url)


def rated_findings(assessments: list[dict]) -> list[dict]:
    """Each assessment of a study with its findings, each finding beside the computed rating of the
    assessed initiative on the finding's outcome (None where none is computed)."""
    shown = []
    for assessment in assessments:
        ratings = {rating["outcome"]["code"]: rating for rating in assessment["initiative"]["outcomeRatings"]}
        findings = [{**finding, "rating": ratings.get(finding["outcome"]["code"])} for finding in assessment["findings"]]
        shown.append({**assessment, "findings": sorted(findings, key=lambda finding: finding["outcome"]["label"])})
    return shown


def initiatives_studied(assessments: list[dict]) -> list[dict]:
    """The initiatives a study's assessments are about, each once, by title."""
    unique = {assessment["initiative"]["id"]: assessment["initiative"] for assessment in assessments}
    return sorted(unique.values(), key=lambda initiative: initiative["title"].casefold())


# The dashboard (GET /dashboard): the revisions `revisions` gives a person, sorted into what their
# organisation is writing, what it has submitted, and what others submitted that they review.
DRAFT_STATES = {"DRAFT", "CHANGES_REQUESTED"}
SUBMITTED_STATES = {"SUBMITTED", "IN_REVIEW", "RECONCILIATION"}
RECORD_TYPE_WORDS = {"EVIDENCE_ASSESSMENT": N_("Evidence assessment"), "BEST_PRACTICE": N_("Best practice"), "RATING_INQUIRY": N_("Rating inquiry")}
# A revision's state as the dashboard says it (`RevisionState`); a state not listed shows its code.
STATE_WORDS = {
    "DRAFT": N_("Draft"),
    "SUBMITTED": N_("Submitted"),
    "IN_REVIEW": N_("In review"),
    "RECONCILIATION": N_("Being reconciled"),
    "CHANGES_REQUESTED": N_("Changes requested"),
    "PUBLISHED": N_("Published"),
    "WITHDRAWN": N_("Withdrawn"),
}
RECORD_PAGES = {"BestPractice": "practices"}  # the record pages the portal has for reviewed records


@dataclass(frozen=True)
class DashboardItem:
    title: str
    kind: str
    state: str
    updated_at: str
    organisation: str
    link: str | None
    draft: str | None = None  # the draft's page (api/portal/contribute.py), for the organisation's own drafts
    editable: bool = False  # a draft its authors may still change and submit
    assessment: bool = False  # a kind the portal's forms edit (evidence assessments)
    revision_id: str = ""


def revision_state(state: str) -> str:
    """A revision's state in the page's language (its code when it is a state we do not name)."""
    return gettext(STATE_WORDS[state]) if state in STATE_WORDS else state


def proposal(revision: dict) -> dict:
    """The authors' input: a revision's content keeps it under `data` (beside the parent record's id)."""
    content = revision.get("content") or {}
    data = content.get("data") if isinstance(content, dict) else None
    return data if isinstance(data, dict) else content if isinstance(content, dict) else {}


def proposal_title(content: dict) -> str:
    """What a proposal is called: its title, statement or question, or the title of the new study
    an assessment describes."""
    new_study = content.get("new_study")  # the stored input is the service's own (snake_case) form
    new_study = new_study if isinstance(new_study, dict) else {}
    return str(content.get("title") or content.get("statement") or content.get("question") or new_study.get("title") or "")


def dashboard_item(revision: dict) -> DashboardItem:
    record = revision.get("record") or {}
    title = record.get("title") or proposal_title(proposal(revision))
    page = RECORD_PAGES.get(record.get("__typename", ""))
    return DashboardItem(
        title=str(title),
        kind=gettext(RECORD_TYPE_WORDS[revision["recordType"]]) if revision["recordType"] in RECORD_TYPE_WORDS else revision["recordType"],
        state=revision_state(revision["state"]),
        updated_at=revision["updatedAt"],
        organisation=(revision.get("organisation") or {}).get("name", ""),
        link=f"/{page}/{quote(record['id'], safe='')}" if page and record.get("id") else None,
        draft=f"/contribute/drafts/{quote(revision['id'], safe='')}" if revision.get("id") else None,
        editable=revision["state"] in DRAFT_STATES,
        assessment=revision["recordType"] == "EVIDENCE_ASSESSMENT",
        revision_id=revision.get("id", ""),
    )


def dashboard(data: dict) -> dict:
    """The template's context: the person's organisation, its drafts and submitted records, the
    records awaiting their review, and its non-public initiatives."""
    organisation = data["viewer"].get("organisation") or {}
    own, to_review = [], []
    for edge in data["revisions"]["edges"]:
        revision = edge["node"]
        mine = (revision.get("organisation") or {}).get("slug") == organisation.get("slug")
        (own if mine else to_review).append(revision)
    return {
        "organisation": organisation,
        "administers": data["viewer"].get("role") == "ADMIN",  # the administration pages' links
        "drafts": [dashboard_item(r) for r in own if r["state"] in DRAFT_STATES],
        "submitted": [dashboard_item(r) for r in own if r["state"] in SUBMITTED_STATES],
        "to_review": [dashboard_item(r) for r in to_review if r["state"] in SUBMITTED_STATES],
        "initiatives": [edge["node"] for edge in data["initiatives"]["edges"]],
    }
