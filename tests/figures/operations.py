"""GraphQL documents and small helpers shared by the figure tests."""

import sqlalchemy as sa
from sqlmodel import Session, select
from strawberry.relay import from_base64

from api.figures.models import Figure, FigureClassification, FigureInitiative
from api.initiatives.models import Initiative
from api.organisations.models import Organisation
from tests.factories import gid

FIGURE_FIELDS = """
  id statement value unit denominator periodStart periodEnd periodPrecision visibility
  recordingOrganisation { slug } sourceOrganisation { slug }
  initiatives { title } harms { code } regions { code } countries { code }
  provenance { source passage note }
"""

CREATE = f"""
mutation($input: CreateFigureInput!) {{
  createFigure(input: $input) {{ figure {{ {FIGURE_FIELDS} }} userErrors {{ field code message }} }}
}}
"""

UPDATE = f"""
mutation($input: UpdateFigureInput!) {{
  updateFigure(input: $input) {{ figure {{ {FIGURE_FIELDS} }} userErrors {{ field code message }} }}
}}
"""

DELETE = """
mutation($input: DeleteFigureInput!) { deleteFigure(input: $input) { deletedId userErrors { field code message } } }
"""

LIST = f"""
query($filter: FigureFilter, $orderBy: FigureOrder, $first: Int, $after: String) {{
  figures(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {FIGURE_FIELDS} }} }}
  }}
}}
"""

NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on Figure {{ {FIGURE_FIELDS} }} }} }}"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
INITIATIVE_FIGURES = "query($id: ID!) { node(id: $id) { ... on Initiative { figures { statement } } } }"


def create_input(**overrides: object) -> dict:
    """A valid CreateFigureInput."""
    return {
        "statement": "Platforms detected 99% of the 88.3 million images and videos reported last year.",
        "value": 99,
        "unit": "%",
        "denominator": "of the images and videos reported to the CyberTipline",
        "periodStart": "2022-01-01",
        "periodEnd": "2022-01-01",
        "periodPrecision": "YEAR",
        **overrides,
    }


def full_input(initiative: Initiative, source: Organisation) -> dict:
    """A CreateFigureInput with every field given."""
    return create_input(
        sourceOrganisation=gid("Organisation", source.id),
        initiatives=[gid("Initiative", initiative.id)],
        harms=["CSAM-KNOWN", "CSAM-NEW"],
        regions=["GLOBAL"],
        countries=["US"],
        provenance=[{"source": "Open letter, 9 November 2023", "passage": "platforms detected 99%", "note": "2022"}],
        visibility="MEMBERS",
    )


def problems(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def statements(body: dict) -> list[str]:
    """The statements on a `figures` page, in order."""
    return [edge["node"]["statement"] for edge in body["data"]["figures"]["edges"]]


NOTHING = {"figure": 0, "figure_classification": 0, "figure_initiative": 0}


def stored_counts(db: Session) -> dict[str, int]:
    """Rows per figure table, read in a fresh session (so nothing cached can hide a write)."""
    with Session(db.get_bind()) as fresh:
        return {
            model.__tablename__: fresh.exec(select(sa.func.count()).select_from(model)).one()
            for model in (Figure, FigureClassification, FigureInitiative)
        }


def stored(db: Session, figure_id: int) -> tuple[dict, list[tuple[str, str]], list[int]]:
    """A figure as stored: its columns, classifications and linked initiative ids."""
    with Session(db.get_bind(), expire_on_commit=False) as fresh:
        row = fresh.get(Figure, figure_id)
        codes = fresh.exec(
            select(FigureClassification.scheme, FigureClassification.code)
            .where(FigureClassification.figure_id == figure_id)
            .order_by(FigureClassification.scheme, FigureClassification.code)
        ).all()
        linked = fresh.exec(
            select(FigureInitiative.initiative_id)
            .where(FigureInitiative.figure_id == figure_id)
            .order_by(FigureInitiative.initiative_id)
        ).all()
        return row.model_dump(), [tuple(c) for c in codes], list(linked)


def db_id(global_id: str) -> int:
    """The database id inside a global id the API returned."""
    return int(from_base64(global_id)[1])
