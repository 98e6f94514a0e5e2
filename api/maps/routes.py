"""`GET /exports/maps/{rows}x{columns}.json` and `.csv`: the PUBLIC evidence-and-gap map as open data, one
flat row per cell (docs/evidence-map.md, "Open data"), computed as an anonymous caller's map is (and from
the same cache), so every process serving one database answers the same bytes."""

import csv
import hashlib
import io
import json

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from api.auth.principal import ANONYMOUS
from api.exports.formats import csv_cell, json_value
from api.maps import service
from api.maps.cache import cache_of, cached_map

CACHE_CONTROL = "no-cache"
AXES = {axis.value.lower().replace("_", "-"): axis for axis in service.Axis}
COLUMNS = (
    "row_axis", "row_code", "row_label", "column_axis", "column_code", "column_label",
    "initiatives", "initiatives_without_evidence", "studies", "findings",
    *(f"studies_{design.value.lower()}" for design in service.DesignClass),
    "independent_studies", "latest_publication", "best_rating", "highest_certainty", "gap",
)  # fmt: skip


def _flat(found: service.EvidenceMap) -> list[dict]:
    row_labels, column_labels = dict(found.row_terms), dict(found.column_terms)
    rows_axis, columns_axis = _slug(found.rows), _slug(found.columns)
    return [
        {
            "row_axis": rows_axis,
            "row_code": cell.row,
            "row_label": row_labels[cell.row],
            "column_axis": columns_axis,
            "column_code": cell.column,
            "column_label": column_labels[cell.column],
            "initiatives": cell.initiatives,
            "initiatives_without_evidence": cell.initiatives_without_evidence,
            "studies": cell.studies,
            "findings": cell.findings,
            **{f"studies_{design.value.lower()}": cell.designs.get(design, 0) for design in service.DesignClass},
            "independent_studies": cell.independent_studies,
            "latest_publication": json_value(cell.latest_publication),
            "best_rating": cell.best_rating,
            "highest_certainty": cell.highest_certainty,
            "gap": cell.gap.value,
        }
        for cell in found.cells
    ]


def _slug(axis: service.Axis) -> str:
    return axis.value.lower().replace("_", "-")


def as_json(found: service.EvidenceMap) -> bytes:
    document = {
        "rows": _slug(found.rows),
        "columns": _slug(found.columns),
        "scope": found.scope.value,
        "as_of": json_value(found.as_of),
        "synthesis_min_studies": found.synthesis_min_studies,
        "synthesis_years": found.synthesis_years,
        "totals": vars(found.totals),
        "cells": _flat(found),
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def as_csv(found: service.EvidenceMap) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in _flat(found):
        writer.writerow([csv_cell(row[name]) for name in COLUMNS])
    return buffer.getvalue().encode()


FORMATS = {"json": (as_json, "application/json"), "csv": (as_csv, "text/csv; charset=utf-8")}


def maps_router() -> APIRouter:
    router = APIRouter(prefix="/exports/maps", include_in_schema=False)

    @router.get("/{name}")
    async def download(name: str, request: Request) -> Response:
        """The public map of two axes, as JSON or CSV."""
        stem, _, suffix = name.rpartition(".")
        rows, _, columns = stem.partition("x")
        if suffix not in FORMATS or rows not in AXES or columns not in AXES or rows == columns:
            raise HTTPException(
                404, detail=f"no such map: ask for ROWSxCOLUMNS.json or .csv, two different axes of {', '.join(AXES)}"
            )
        async with request.app.state.session_factory() as session:
            found = await cached_map(
                session=session,
                principal=ANONYMOUS,
                cache=cache_of(request.app.state),
                rows=AXES[rows],
                columns=AXES[columns],
                where=service.MapFilter(),
                layer=service.Layer.RATING,
            )
        render, media_type = FORMATS[suffix]
        body = render(found)
        etag = f'"{hashlib.sha256(body).hexdigest()}"'
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        if etag in {t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")}:
            return Response(status_code=304, headers=headers)
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return Response(body, media_type=media_type, headers=headers)

    return router
