"""What the portal's templates need beyond their data: highlighted text made safe, the search page's
state read from its address (and written back into links), dates, the records' citation lines, an
organisation's initiatives split by its part in them, and the glossary's anchors and cross-references."""

from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

HITS_PER_PAGE = 10  # a page a visitor reads through; the seeded registry fills two


@dataclass(frozen=True)
class Facet:
    """A facet of the search page: its address parameter, its `SearchFilter` field, its
    `SearchFacet` value and its legend."""

    param: str
    filter_field: str
    facet: str
    legend: str


FACETS = (
    Facet("status", "statuses", "STATUS", "Status"),
    Facet("harm", "harms", "HARMS", "Harm addressed"),
    Facet("intervention", "interventionTypes", "INTERVENTION_TYPES", "Type of intervention"),
    Facet("country", "countries", "COUNTRIES", "Country"),
    Facet("stakeholder", "stakeholderTypes", "STAKEHOLDER_TYPES", "Kind of organisation"),
    Facet("rating", "ratings", "RATINGS", "Outcome rating"),
)

# The address's `sort` → searchInitiatives' sort; relevance (no sort) first.
SORTS = {"": ("Relevance", None), "updated": ("Recently changed", "UPDATED_AT_DESC"), "title": ("Title, A to Z", "TITLE_ASC")}


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
    """What the search page shows, as its address says it: every state is a permalink."""

    query: str = ""
    sort: str = ""
    page: int = 1
    selected: dict[str, list[str]] = field(default_factory=dict)  # facet param → codes

    @classmethod
    def from_params(cls, params) -> "SearchState | None":  # noqa: ANN001  (starlette's QueryParams)
        """The state, or None when the address cannot be a search (a page that is not a number, an
        unknown sort): the page answers 400."""
        page = params.get("page") or "1"
        sort = params.get("sort") or ""
        if not page.isdigit() or int(page) < 1 or sort not in SORTS:
            return None
        selected = {f.param: [v for v in dict.fromkeys(params.getlist(f.param)) if v] for f in FACETS}
        return cls(query=params.get("q") or "", sort=sort, page=int(page), selected={k: v for k, v in selected.items() if v})

    def variables(self) -> dict:
        """The `search` operation's variables."""
        search_filter = {f.filter_field: self.selected[f.param] for f in FACETS if f.param in self.selected}
        sort = SORTS[self.sort][1]
        return {
            "query": self.query,
            "filter": search_filter or None,
            "sort": [sort] if sort else None,
            "page": self.page,
            "hitsPerPage": HITS_PER_PAGE,
        }

    def url(self, *, page: int | None = None) -> str:
        """This state's address (another page of it with `page`)."""
        pairs: list[tuple[str, str]] = [("q", self.query)] if self.query else []
        pairs += [(f.param, code) for f in FACETS for code in self.selected.get(f.param, [])]
        if self.sort:
            pairs.append(("sort", self.sort))
        page = page or self.page
        if page > 1:
            pairs.append(("page", str(page)))
        return "/search" + (f"?{urlencode(pairs)}" if pairs else "")


def facet_values(state: SearchState, distribution: list[dict]) -> list[dict]:
    """Each facet with its values and counts, the selected ones always listed (a selected value a
    new query no longer finds is shown with 0, so it can still be unticked)."""
    by_facet = {entry["facet"]: entry["values"] for entry in distribution}
    shown = []
    for facet in FACETS:
        values = [{**value, "selected": value["value"] in state.selected.get(facet.param, [])} for value in by_facet.get(facet.facet, [])]
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
    is, when it last changed, where it is."""
    by = f"{author}. " if author else ""
    return f"{by}{title}. Children Online Protection Lab registry (coplab), {kind} record, last updated {day(updated_at)}. {url}"


def citation(initiative: dict, url: str) -> str:
    """An initiative's citation line, under its lead organisation's name."""
    lead = (initiative.get("leadOrganisation") or {}).get("name")
    return record_citation(author=lead, title=initiative["title"], kind="initiative", updated_at=initiative["updatedAt"], url=url)


# An organisation's standing in the Lab (`OrganisationStatus`), in words.
ORGANISATION_STATUSES = {
    "MEMBER": "Member of the Lab",
    "OBSERVER": "Observer in the Lab",
    "NAMED": "Named in the Lab's sources (not a member)",
    "PENDING": "Awaiting admission",
    "SUSPENDED": "Suspended",
}


def organisation_citation(organisation: dict, url: str) -> str:
    """An organisation's citation line: the record is about it, so its name is the title."""
    name = organisation["name"] + (f" ({organisation['acronym']})" if organisation.get("acronym") else "")
    return record_citation(author=None, title=name, kind="organisation", updated_at=organisation["updatedAt"], url=url)


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
    for assessment in initiative["assessments"]:
        for finding in assessment["findings"]:
            entry = outcomes.setdefault(finding["outcome"]["code"], {"outcome": finding["outcome"], "rating": None, "findings": []})
            entry["findings"].append({**finding, "assessment": assessment})
    return sorted(outcomes.values(), key=lambda entry: entry["outcome"]["label"])


def practice_citation(practice: dict, url: str) -> str:
    """A best practice's citation line, under the name of the organisation that proposed it."""
    author = (practice.get("organisation") or {}).get("name")
    return record_citation(author=author, title=practice["title"], kind="best practice", updated_at=practice["updatedAt"], url=url)


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


# The dashboard (GET /dashboard): the revisions `revisions` gives a person, sorted into what their
# organisation is writing, what it has submitted, and what others submitted that they review.
DRAFT_STATES = {"DRAFT", "CHANGES_REQUESTED"}
SUBMITTED_STATES = {"SUBMITTED", "IN_REVIEW", "RECONCILIATION"}
RECORD_TYPE_WORDS = {"EVIDENCE_ASSESSMENT": "Evidence assessment", "BEST_PRACTICE": "Best practice", "RATING_INQUIRY": "Rating inquiry"}
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


def dashboard_item(revision: dict) -> DashboardItem:
    content = revision.get("content") if isinstance(revision.get("content"), dict) else {}
    record = revision.get("record") or {}
    title = record.get("title") or content.get("title") or content.get("statement") or ""
    page = RECORD_PAGES.get(record.get("__typename", ""))
    return DashboardItem(
        title=str(title),
        kind=RECORD_TYPE_WORDS.get(revision["recordType"], revision["recordType"]),
        state=revision["state"],
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
