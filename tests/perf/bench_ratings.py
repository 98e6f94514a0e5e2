"""What computing outcome ratings costs (docs/performance.md, "Outcome ratings"), in one run on one database:

- rating the whole synthetic registry (`recompute_everything`, what a fresh database or an adopted rule
  set does) against two baselines: the hand-written SQL that reads the same public findings with their
  assessments and studies (the floor of any way to do it), and the raw engine over those rows already
  in memory;
- what one write adds: recomputing one initiative's ratings (every assessment write does it in its
  transaction) against the hand-written SQL that reads that initiative's public findings.

    .venv/bin/python -m tests.perf.bench_ratings [--initiatives 10000] [--writes 200] [--postgresql URL]
"""

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import select

from api.core.db import create_engine, create_sync_engine, session_factory, transaction
from api.initiatives.models import Initiative
from api.ratings import engine as rating_engine
from api.ratings import service
from api.ratings.ruleset import load_ruleset
from tests.perf import synthetic

# The public evidence, read by hand: what `service._findings_by_subject` reads through the ORM.
PUBLIC_FINDINGS = """
SELECT f.id, f.outcome, f.effect_direction, f.comparison, f.significance, f.effect_size, f.ci_low, f.ci_high,
       f.risk_of_bias, f.follow_up_months, a.id, a.initiative_id, a.assessing_organisation_id, a.independence,
       s.id, s.sample_key, s.study_design, s.peer_reviewed
FROM finding f
JOIN evidence_assessment a ON a.id = f.assessment_id
JOIN study s ON s.id = a.study_id
JOIN organisation o ON o.id = a.assessing_organisation_id
WHERE a.deleted_at IS NULL AND a.visibility = 'PUBLIC' AND s.deleted_at IS NULL AND s.visibility = 'PUBLIC'
  AND o.status IN ('MEMBER', 'OBSERVER', 'NAMED') {where}
ORDER BY f.id
"""


async def _timed(url: str, work) -> tuple[float, object]:  # noqa: ANN001
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as session:
            await session.exec(sa.select(1))  # connected before the clock starts
            started = time.perf_counter()
            result = await work(session)
            return time.perf_counter() - started, result
    finally:
        await engine.dispose()


def _sql_seconds(url: str, where: str, parameters: dict) -> tuple[float, int]:
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            started = time.perf_counter()
            rows = connection.execute(sa.text(PUBLIC_FINDINGS.format(where=where)), parameters).all()
            return time.perf_counter() - started, len(rows)
    finally:
        engine.dispose()


async def _engine_only(session) -> tuple[float, int]:  # noqa: ANN001
    """The engine alone over every subject's findings, already read."""
    initiative_ids = list((await session.exec(select(Initiative.id))).all())
    subjects = await service._subjects(session, initiative_ids=initiative_ids, practice_ids=[])
    findings = await service._findings_by_subject(session, initiative_ids=initiative_ids, practice_ids=[])
    ruleset = load_ruleset()
    started = time.perf_counter()
    results = sum(len(rating_engine.evaluate_subject(ruleset, subjects[key], found)) for key, found in findings.items())
    return time.perf_counter() - started, results


def run(url: str, initiatives: int, writes: int) -> None:
    report, _ = synthetic.load(url, initiatives=initiatives, seed=1)
    print(f"{report.backend}: {initiatives} initiatives, {report.rows.get('finding', 0)} findings "
          f"(loaded in {report.seconds_load:.1f} s)")

    sql_seconds, rows = _sql_seconds(url, "", {})
    whole, changed = asyncio.run(_timed(url, lambda session: service.recompute_everything(
        session=session, reason=service.Reason.NEW_EVIDENCE, actor="bench")))
    _, (engine_seconds, results) = asyncio.run(_timed(url, _engine_only))
    print(f"  whole registry: recompute_everything {whole:.2f} s ({changed} ratings stored); baselines: "
          f"hand-written SQL reading the {rows} public findings {sql_seconds:.2f} s, "
          f"the raw engine over them in memory {engine_seconds:.2f} s ({results} ratings)")

    rng = random.Random(1)
    sample = rng.sample(range(1, initiatives + 1), min(writes, initiatives))
    one, by_sql = [], []
    for initiative_id in sample:
        seconds, _ = asyncio.run(_timed(url, lambda session, i=initiative_id: service.recompute(
            session=session, initiative_ids=[i], reason=service.Reason.CORRECTION, actor="bench")))
        one.append(seconds * 1000)
        seconds, _ = _sql_seconds(url, "AND a.initiative_id = :id", {"id": initiative_id})
        by_sql.append(seconds * 1000)
    print(f"  one write's recompute (one initiative): median {statistics.median(one):.2f} ms, "
          f"p95 {sorted(one)[int(len(one) * 0.95)]:.2f} ms; baseline: hand-written SQL for its findings "
          f"median {statistics.median(by_sql):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--initiatives", type=int, default=10_000)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--postgresql", help="also on this PostgreSQL database (emptied first)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        run(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}", args.initiatives, args.writes)
    if args.postgresql:
        synthetic.reset_postgres(args.postgresql)
        run(args.postgresql, args.initiatives, args.writes)


if __name__ == "__main__":
    main()
