"""`GET /exports/maps/{rows}x{columns}.json` and `.csv` on a real server: the PUBLIC map, one flat row per cell."""

import csv
import io
from pathlib import Path

import httpx

from api.core.settings import Settings
from tests.maps.test_evidence_map import classify, codes
from tests.server import HTTP_TIMEOUT, running_server


def test_the_public_map_as_json_and_csv(settings, make, db) -> None:  # noqa: ANN001
    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    initiative = make.initiative(lead, "Trialled")
    classify(db, initiative, "intervention-type", "RPT-HOT")
    make.assessment(initiative, assessor, "Public trial", study_design="RCT", ratings=["EFFECTIVE"])
    make.assessment(initiative, assessor, "Private trial", visibility="ORGANISATION", study_design="RCT", ratings=["PROMISING"])
    served = Settings(environment="test", database_url=settings.database_url, data_dir=Path("/nonexistent"))
    with running_server(served) as base_url:
        as_json = httpx.get(f"{base_url}/exports/maps/intervention-typexoutcome.json", timeout=HTTP_TIMEOUT)
        as_csv = httpx.get(f"{base_url}/exports/maps/intervention-typexoutcome.csv", timeout=HTTP_TIMEOUT)
        again = httpx.get(
            f"{base_url}/exports/maps/intervention-typexoutcome.csv",
            headers={"If-None-Match": as_csv.headers["etag"]},
            timeout=HTTP_TIMEOUT,
        )
        same_axis = httpx.get(f"{base_url}/exports/maps/harmxharm.json", timeout=HTTP_TIMEOUT)
        unknown = httpx.get(f"{base_url}/exports/maps/intervention-typexweather.csv", timeout=HTTP_TIMEOUT)
    assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json"
    document = as_json.json()
    assert document["scope"] == "PUBLIC" and document["totals"] == {"initiatives": 1, "studies": 1, "findings": 1}
    cells = document["cells"]
    assert len(cells) == len(codes("intervention-type")) * len(codes("outcome"))
    [full] = [c for c in cells if c["studies"]]
    assert full["row_code"] == "RPT-HOT" and full["column_code"] == "REMOVAL-TIME"
    assert full["studies_sms_5"] == 1 and full["best_rating"] == "EFFECTIVE" and full["gap"] == "NONE"
    assert full["row_label"] and full["column_label"]

    assert as_csv.status_code == 200 and as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"] == 'attachment; filename="intervention-typexoutcome.csv"'
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == len(cells)
    assert [r for r in rows if r["row_code"] == "RPT-HOT" and r["column_code"] == "REMOVAL-TIME"][0]["studies"] == "1"
    assert again.status_code == 304
    assert same_axis.status_code == 404 and unknown.status_code == 404
