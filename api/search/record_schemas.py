"""What the search documents of evidence assessments and best practices hold, and how each engine is
told to treat them (docs/search.md, "Evidence" and "Best practices"). Each schema has its own index;
its uid is the initiatives index's uid with a suffix (`index_uid`), so that a deployment's (or a test's)
indexes share one prefix."""

from api.search.models import BEST_PRACTICE, EVIDENCE
from api.search.schema import IndexSchema

# Access fields of an evidence document (never offered to callers): each of the domain's conditions
# (api/evidence/visibility.py) as the organisations and visibilities it compares.
EVIDENCE_ACCESS = (
    "visibility",
    "owners",
    "assessor",
    "assessor_listed",
    "study_visibility",
    "study_owners",
    "study_organisation",
    "study_organisation_listed",
    "initiative_visibility",
    "initiative_owners",
    "initiative_lead",
    "initiative_lead_listed",
)

EVIDENCE_SCHEMA = IndexSchema(
    uid="evidence",
    searchable=("study_title", "initiative_title", "outcomes", "organisations", "design", "effect_directions"),
    filterable=("study_design", "outcome", "independence", "rating", "countries", *EVIDENCE_ACCESS),
    sortable=("title_sort", "updated_at"),
    facets=("study_design", "outcome", "independence", "rating", "countries"),
    max_total_hits=10_000,
)

BEST_PRACTICES_SCHEMA = IndexSchema(
    uid="best-practices",
    searchable=("title", "statement", "harm_labels", "intervention_type_labels", "evidence_basis_label", "rationale"),
    filterable=("harms", "intervention_types", "evidence_basis", "visibility", "owners", "organisation_listed"),
    sortable=("title_sort", "updated_at"),
    facets=("harms", "intervention_types", "evidence_basis"),
    max_total_hits=10_000,
)

SCHEMAS = {EVIDENCE: EVIDENCE_SCHEMA, BEST_PRACTICE: BEST_PRACTICES_SCHEMA}


def index_uid(initiatives_uid: str, record_type: str) -> str:
    """The record type's index uid beside the initiatives index named `initiatives_uid`."""
    return f"{initiatives_uid}-{SCHEMAS[record_type].uid}"
