"""The evidence-and-gap map: every term, counts over what the caller may read, gap classes, the rating
layer, bad arguments, and a statement count that does not grow with the number of terms."""

import asyncio
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from api.auth.principal import ANONYMOUS
from api.core.db import create_engine, session_factory, utcnow
from api.core.settings import PROJECT_ROOT
from api.initiatives.models import InitiativeClassification
from api.maps import service
from api.maps.cache import MapCache, cache_of
from tests.factories import gid, graphql
from tests.factories.graphql_calls import sql_statements
from tests.seed.test_seed_command import seeded

MAP = """
query ($rows: MapAxis!, $columns: MapAxis!, $filter: EvidenceMapFilter, $layer: MapLayer! = EXISTENCE,
       $n: Int! = 3, $y: Int! = 5) {
  evidenceMap(rows: $rows, columns: $columns, filter: $filter, layer: $layer,
              synthesisMinStudies: $n, synthesisYears: $y) {
    rows columns layer scope scopeOrganisation asOf synthesisMinStudies synthesisYears
    rowTerms { code label } columnTerms { code label }
    unfilteredTotals { initiatives studies findings } filteredTotals { initiatives studies findings }
    cells {
      row column initiatives initiativesWithoutEvidence studies findings
      designClasses { designClass studies } independentStudies latestPublication
      ratingCounts { rating count } bestRating highestCertainty gap
    }
  }
}
"""
VOCABULARIES = PROJECT_ROOT / "seed" / "vocabularies"


def codes(vocabulary: str) -> list[str]:
    document = yaml.safe_load((VOCABULARIES / f"{vocabulary}.yaml").read_text(encoding="utf-8"))
    return [term["code"] for term in document["terms"]]


def evidence_map(client, token=None, **variables) -> dict:  # noqa: ANN001, ANN003
    body = graphql(client, MAP, {"rows": "INTERVENTION_TYPE", "columns": "OUTCOME", **variables}, token)
    assert "errors" not in body, body
    return body["data"]["evidenceMap"]


def cell(found: dict, row: str, column: str) -> dict:
    return next(c for c in found["cells"] if c["row"] == row and c["column"] == column)


def classify(db, initiative, scheme: str, *codes_: str) -> None:  # noqa: ANN001
    """As the initiatives service classifies: the codes, and the initiative stamped as changed."""
    db.add_all(InitiativeClassification(initiative_id=initiative.id, scheme=scheme, code=code) for code in codes_)
    initiative.updated_at = utcnow()
    db.add(initiative)
    db.commit()


def test_every_design_code_has_a_class() -> None:
    assert set(service.DESIGN_CLASSES) == set(codes("study-design"))


def test_the_seeded_registry_anonymously(database_url, engine) -> None:  # noqa: ANN001, ARG001
    seeded(database_url)
    from api.main import create_app
    from api.core.settings import Settings

    app = create_app(Settings(environment="test", database_url=database_url, data_dir=Path("/nonexistent")))
    with TestClient(app) as client:
        found = evidence_map(client)
        initiatives = graphql(client, "{ initiatives(first: 100) { totalCount } }")["data"]["initiatives"]["totalCount"]
    assert [t["code"] for t in found["rowTerms"]] == codes("intervention-type")
    assert [t["code"] for t in found["columnTerms"]] == codes("outcome")
    assert len(found["cells"]) == len(codes("intervention-type")) * len(codes("outcome"))
    assert found["scope"] == "PUBLIC" and found["scopeOrganisation"] is None
    assert found["unfilteredTotals"] == found["filteredTotals"]
    assert found["unfilteredTotals"]["initiatives"] == initiatives
    assert found["unfilteredTotals"]["studies"] >= 1 and found["asOf"] is not None
    for c in found["cells"]:
        # An outcome is known only through findings: a cell of this map holds evidence or nothing at all.
        expected = "ABSOLUTE_GAP" if c["studies"] == 0 else c["gap"]
        assert c["gap"] == expected
        if c["studies"] == 0:
            assert c["initiatives"] == 0 and c["findings"] == 0
        else:
            assert c["gap"] != "ABSOLUTE_GAP" and c["findings"] >= 1 and c["initiatives"] >= 1
            weak = {"SMS_1_2", "QUALITATIVE", "DESCRIPTIVE"}
            only_weak = all(d["designClass"] in weak for d in c["designClasses"])
            assert (c["gap"] == "WEAK_EVIDENCE_ONLY") == only_weak
    assert any(c["studies"] for c in found["cells"])


def test_gap_classes_and_a_study_counted_once(client, make, db) -> None:  # noqa: ANN001
    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    without = make.initiative(lead, "No evidence yet")
    classify(db, without, "intervention-type", "RPT-HOT")
    weak = make.initiative(lead, "Case study only")
    classify(db, weak, "intervention-type", "EDU-CH")
    make.assessment(weak, assessor, study_design="CASE", ratings=["EMERGING"])
    strong = make.initiative(lead, "Trialled", harms=["CSAM-KNOWN"])
    # Classified under two terms of the rows' axis and, on the other map, both terms hold one study.
    classify(db, strong, "intervention-type", "RPT-HOT", "BLK")
    assessment = make.assessment(strong, assessor, study_design="RCT", ratings=["EFFECTIVE"], published_on=date(2024, 1, 1))
    classify(db, strong, "region", "EUROPE")

    found = evidence_map(client, rows="INTERVENTION_TYPE", columns="OUTCOME")
    assert cell(found, "RPT-HOT", "REMOVAL-TIME")["studies"] == 1
    assert cell(found, "BLK", "REMOVAL-TIME")["studies"] == 1
    assert cell(found, "EDU-CH", "REMOVAL-TIME")["gap"] == "WEAK_EVIDENCE_ONLY"
    assert cell(found, "RPT-HOT", "REMOVAL-TIME")["gap"] == "NONE"
    assert cell(found, "RPT-HOT", "REMOVAL-TIME")["latestPublication"] == "2024-01-01"
    assert cell(found, "RPT-HOT", "KNOWLEDGE")["gap"] == "ABSOLUTE_GAP"

    by_harm = evidence_map(client, rows="INTERVENTION_TYPE", columns="HARM")
    both = [cell(by_harm, term, "CSAM-KNOWN") for term in ("RPT-HOT", "BLK")]
    assert [c["studies"] for c in both] == [1, 1] and [c["findings"] for c in both] == [1, 1]
    hotline_any = evidence_map(client, rows="REGION", columns="STUDY_DESIGN")
    assert cell(hotline_any, "EUROPE", "RCT")["studies"] == 1  # one study under one cell, once
    assert cell(hotline_any, "EUROPE", "RCT")["independentStudies"] == 1

    by_region = evidence_map(client, rows="INTERVENTION_TYPE", columns="HARM", filter={"interventionTypes": ["RPT-HOT"]})
    assert by_region["filteredTotals"]["initiatives"] == 2 and by_region["unfilteredTotals"]["initiatives"] == 3
    no_evidence = evidence_map(client, rows="INTERVENTION_TYPE", columns="REGION")
    assert cell(no_evidence, "RPT-HOT", "EUROPE")["initiatives"] == 1
    assert cell(no_evidence, "EDU-CH", "EUROPE")["gap"] == "ABSOLUTE_GAP"
    classify(db, without, "region", "EUROPE")
    no_evidence = evidence_map(client, rows="INTERVENTION_TYPE", columns="REGION")
    assert cell(no_evidence, "RPT-HOT", "EUROPE")["initiatives"] == 2
    assert cell(no_evidence, "RPT-HOT", "EUROPE")["initiativesWithoutEvidence"] == 1

    # Synthesis gaps: three primary studies and no recent review; a recent review closes it.
    for title in ("Second trial", "Third trial"):
        make.assessment(strong, assessor, title, study_design="DID", ratings=["EFFECTIVE"])
    found = evidence_map(client)
    assert cell(found, "BLK", "REMOVAL-TIME")["gap"] == "SYNTHESIS_GAP"
    assert cell(found, "BLK", "REMOVAL-TIME")["studies"] == 3
    assert evidence_map(client, n=4)["cells"] == [
        c | ({"gap": "NONE"} if c["gap"] == "SYNTHESIS_GAP" else {}) for c in found["cells"]
    ]
    make.assessment(strong, assessor, "A review", study_design="SR", ratings=["EFFECTIVE"], published_on=date.today())
    assert cell(evidence_map(client), "BLK", "REMOVAL-TIME")["gap"] == "NONE"
    assert assessment.id


def test_the_rating_layer_leaves_descriptive_only_cells_uncoloured(client, make, db) -> None:  # noqa: ANN001
    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    described = make.initiative(lead, "Described")
    classify(db, described, "intervention-type", "EDU-CH")
    make.assessment(described, assessor, study_design="CASE", ratings=["EMERGING"])
    trialled = make.initiative(lead, "Trialled")
    classify(db, trialled, "intervention-type", "RPT-HOT")
    make.assessment(trialled, assessor, study_design="RCT", ratings=["EFFECTIVE"])

    existence = evidence_map(client)
    assert cell(existence, "RPT-HOT", "REMOVAL-TIME")["bestRating"] is None
    rated = evidence_map(client, layer="RATING")
    hotline = cell(rated, "RPT-HOT", "REMOVAL-TIME")
    assert hotline["bestRating"] == "EFFECTIVE" and hotline["highestCertainty"] is not None
    assert hotline["ratingCounts"] == [{"rating": "EFFECTIVE", "count": 1}]
    education = cell(rated, "EDU-CH", "REMOVAL-TIME")
    assert education["studies"] == 1 and education["designClasses"] == [{"designClass": "DESCRIPTIVE", "studies": 1}]
    assert education["bestRating"] is None and education["highestCertainty"] is None
    by_rating = evidence_map(client, rows="RATING", columns="INTERVENTION_TYPE")
    assert cell(by_rating, "EFFECTIVE", "RPT-HOT")["initiatives"] == 1


def test_an_organisation_only_assessment_changes_its_organisation_map_only(client, make, db) -> None:  # noqa: ANN001
    lead, assessor, other = make.organisation("lead"), make.organisation("assessor"), make.organisation("other")
    initiative = make.initiative(lead, "Public initiative")
    classify(db, initiative, "intervention-type", "RPT-HOT")
    make.assessment(initiative, assessor, "Public trial", study_design="RCT", ratings=["EFFECTIVE"])
    readers = {"anonymous": None, "assessor": make.token(assessor), "other": make.token(other)}
    before = {name: evidence_map(client, token, layer="RATING") for name, token in readers.items()}
    assert before["assessor"]["scope"] == "ORGANISATION"
    assert before["assessor"]["scopeOrganisation"] == gid("Organisation", assessor.id)

    make.assessment(initiative, assessor, "Private trial", visibility="ORGANISATION", study_design="RCT", ratings=["PROMISING"])
    after = {name: evidence_map(client, token, layer="RATING") for name, token in readers.items()}
    assert after["anonymous"] == before["anonymous"]
    assert after["other"] == before["other"]
    assert after["assessor"]["unfilteredTotals"]["studies"] == before["assessor"]["unfilteredTotals"]["studies"] + 1
    assert cell(after["assessor"], "RPT-HOT", "REMOVAL-TIME")["studies"] == 2


def test_a_draft_assessment_changes_no_map(client, make, db) -> None:  # noqa: ANN001
    from tests.reviews.workflow import cast, draft_input, step

    c = cast(make, db)
    classify(db, c.initiative, "intervention-type", "RPT-HOT")
    readers = (None, c.author, c.outsider, c.secretariat)
    before = [evidence_map(client, token, layer="RATING") for token in readers]
    draft = step(client, "draftEvidenceAssessment", draft_input(c.initiative), c.author)
    assert draft["userErrors"] == []
    step(client, "submitRevision", {"id": draft["revision"]["id"]}, c.author)
    assert [evidence_map(client, token, layer="RATING") for token in readers] == before


BAD = [
    ({"columns": "INTERVENTION_TYPE"}, ["columns"]),
    ({"filter": {"interventionTypes": ["RPT-HOTT"]}}, ["filter", "interventionTypes", "0"]),
    ({"filter": {"outcomes": ["RPT-HOT"]}}, ["filter", "outcomes", "0"]),  # a code of another vocabulary
    ({"filter": {"countries": ["XX"]}}, ["filter", "countries", "0"]),
    ({"n": 0}, ["synthesisMinStudies"]),
    ({"y": 51}, ["synthesisYears"]),
]


@pytest.mark.parametrize(("variables", "path"), BAD)
def test_bad_arguments_are_named_and_nothing_is_cached(app, client, variables, path) -> None:  # noqa: ANN001
    evidence_map(client)  # the cache exists, holding one map
    cached = len(cache_of(app.state))
    body = graphql(client, MAP, {"rows": "INTERVENTION_TYPE", "columns": "OUTCOME", **variables})
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert [p["field"] for p in error["extensions"]["problems"]] == [path]
    assert ".".join(path[:1]) in error["message"]
    assert len(cache_of(app.state)) == cached


MATRIX = """
query ($rows: MapAxis!, $columns: MapAxis!) {
  evidenceMap(rows: $rows, columns: $columns) {
    rowTerms { code } columnTerms { code }
    studies: matrix(measure: STUDIES) initiatives: matrix(measure: INITIATIVES)
    withoutEvidence: matrix(measure: INITIATIVES_WITHOUT_EVIDENCE) findings: matrix(measure: FINDINGS)
    independent: matrix(measure: INDEPENDENT_STUDIES) gapMatrix
  }
}
"""


def test_a_matrix_holds_each_cells_count_row_by_row_in_term_order(client, make, db) -> None:  # noqa: ANN001
    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    hotline, blocking = make.initiative(lead, "Hotline"), make.initiative(lead, "Blocking")
    classify(db, hotline, "intervention-type", "RPT-HOT")
    classify(db, blocking, "intervention-type", "BLK")
    make.assessment(hotline, assessor, "Trial", ratings=["EFFECTIVE"])
    body = graphql(client, MATRIX, {"rows": "INTERVENTION_TYPE", "columns": "OUTCOME"})
    assert "errors" not in body, body
    found = body["data"]["evidenceMap"]
    full = evidence_map(client, rows="INTERVENTION_TYPE", columns="OUTCOME")
    rows, columns = [t["code"] for t in found["rowTerms"]], [t["code"] for t in found["columnTerms"]]
    assert rows == codes("intervention-type") and columns == codes("outcome")
    for name, field in (
        ("studies", "studies"), ("initiatives", "initiatives"), ("withoutEvidence", "initiativesWithoutEvidence"),
        ("findings", "findings"), ("independent", "independentStudies"), ("gapMatrix", "gap"),
    ):
        assert [len(r) for r in found[name]] == [len(columns)] * len(rows), name
        assert found[name] == [[cell(full, r, c)[field] for c in columns] for r in rows], name
    # The one study sits in the hotline's row only; blocking, with no finding, is in no outcome's column.
    hot, blk = rows.index("RPT-HOT"), rows.index("BLK")
    assert sum(found["studies"][hot]) >= 1 and sum(map(sum, found["studies"])) == sum(found["studies"][hot])
    assert found["initiatives"][blk] == [0] * len(columns) and set(found["gapMatrix"][blk]) == {"ABSOLUTE_GAP"}


def test_maps_of_one_scope_and_data_version_share_their_unfiltered_totals(app, client, make, db) -> None:  # noqa: ANN001
    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    initiative = make.initiative(lead, "Hotline")
    classify(db, initiative, "intervention-type", "RPT-HOT")
    make.assessment(initiative, assessor, "Trial", ratings=["EFFECTIVE"])
    with sql_statements(app) as first:
        alone = evidence_map(client, rows="INTERVENTION_TYPE", columns="REGION")
    with sql_statements(app) as second:
        shared = evidence_map(client, rows="INTERVENTION_TYPE", columns="HARM")
    assert len(second) == len(first) - 1  # the totals statement is not run again
    assert shared["unfilteredTotals"] == alone["unfilteredTotals"] == {"initiatives": 1, "studies": 1, "findings": 1}
    assert shared["asOf"] == alone["asOf"]
    classify(db, make.initiative(lead, "Another"), "intervention-type", "BLK")
    assert evidence_map(client, rows="INTERVENTION_TYPE", columns="HARM")["unfilteredTotals"]["initiatives"] == 2


def test_the_cache_answers_again_until_the_data_change(app, client, make, db) -> None:  # noqa: ANN001
    lead = make.organisation("lead")
    evidence_map(client)
    evidence_map(client)
    assert len(cache_of(app.state)) == 1
    classify(db, make.initiative(lead, "New"), "intervention-type", "RPT-HOT")
    assert evidence_map(client, rows="INTERVENTION_TYPE", columns="REGION")["filteredTotals"]["initiatives"] == 1
    evidence_map(client)
    assert len(cache_of(app.state)) == 3


def test_statements_do_not_grow_with_the_terms(app, client, make, db) -> None:  # noqa: ANN001
    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    for n, code in enumerate(("RPT-HOT", "BLK")):
        initiative = make.initiative(lead, f"Initiative {n}")
        classify(db, initiative, "intervention-type", code)
        make.assessment(initiative, assessor, f"Trial {n}", ratings=["EFFECTIVE", "PROMISING"])
    counts = []
    for rows, columns in (("REGION", "HARM"), ("COUNTRY", "OUTCOME")):  # 8 x 10 terms, then 249 x 16
        app.state.evidence_maps = MapCache()  # each computed whole, shared totals included
        with sql_statements(app) as statements:
            evidence_map(client, rows=rows, columns=columns, layer="RATING")
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 10, counts


@pytest.mark.parametrize("page", ["evidence-map.md", "api.md"])
def test_the_documented_map_queries_run(client, make, db, page) -> None:  # noqa: ANN001
    import re

    lead, assessor = make.organisation("lead"), make.organisation("assessor")
    initiative = make.initiative(lead, "Trialled", harms=["CSAM-KNOWN"])
    classify(db, initiative, "intervention-type", "RPT-HOT")
    make.assessment(initiative, assessor, "Public trial", study_design="RCT", ratings=["EFFECTIVE"])
    text = (PROJECT_ROOT / "docs" / page).read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```graphql\n(.*?)```", text, flags=re.S) if "evidenceMap" in b]
    assert blocks
    for block in blocks:
        body = graphql(client, block)
        assert "errors" not in body, body
        assert body["data"]["evidenceMap"]["cellStudies"]["edges"], body


def test_a_maps_statements_run_without_jit_and_the_connection_keeps_its_setting(database_url: str) -> None:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("JIT compilation is PostgreSQL's; SQLite has none")

    async def settings_seen() -> tuple[str, str]:
        engine = create_engine(database_url, pool_size=1, max_overflow=0)
        try:
            factory = session_factory(engine)
            async with factory() as session:  # the connection's own setting, whatever the server's default
                await session.exec(sa.text("SET jit = on"))
                await session.commit()
            async with factory() as session:
                await service.compute(
                    session=session, principal=ANONYMOUS, rows=service.Axis.INTERVENTION_TYPE,
                    columns=service.Axis.OUTCOME, where=service.MapFilter(), layer=service.Layer.EXISTENCE,
                    synthesis_min_studies=3, synthesis_years=5, today=date.today(),
                )
                during = (await session.exec(sa.text("SHOW jit"))).scalar_one()
                await session.commit()  # a plain SET would outlive a committed transaction; SET LOCAL does not
            async with factory() as session:  # the same pooled connection, a new transaction
                after = (await session.exec(sa.text("SHOW jit"))).scalar_one()
            return during, after
        finally:
            await engine.dispose()

    during, after = asyncio.run(settings_seen())
    assert during == "off"
    assert after == "on"
