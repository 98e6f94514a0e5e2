"""The synthetic registry (api/seeding/synthetic.py): deterministic, valid, marked, and loaded only where it may go."""

from collections import Counter, defaultdict
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from api.core import validation
from api import migrations
from api.core.errors import Problems
from api.seeding.models import SeedRecord
from api.seeding.synthetic import (
    ACTOR,
    COUNTRY_LANGUAGES,
    ENGLISH,
    SyntheticRefused,
    build_rows,
    generate,
    load_synthetic,
    marker,
)

N, SEED = 120, 11
MARKED = ("organisation", "initiative", "study", "evidence_assessment")
AUDITED = ("organisation", "initiative", "participation", "study", "evidence_assessment", "finding")
# (table, column) -> the vocabulary its codes come from.
VOCABULARY_COLUMNS = {
    ("organisation", "stakeholder_type"): "stakeholder-type",
    ("initiative", "status"): "initiative-status",
    ("participation", "role"): "participation-role",
    ("evidence_assessment", "independence"): "independence",
    ("study", "study_design"): "study-design",
    ("finding", "outcome"): "outcome",
    ("finding", "effect_direction"): "effect-direction",
    ("finding", "comparison"): "comparison",
    ("finding", "significance"): "significance",
    ("finding", "proposed_rating"): "evidence-rating",
    ("finding", "proposed_certainty"): "certainty",
}


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in AUDITED}


def _rows(engine: sa.Engine, sql: str) -> list[sa.Row]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text(sql)))


def _codes(engine: sa.Engine, scheme: str) -> dict[int, set[str]]:
    found = defaultdict(set)
    for initiative_id, code in _rows(
        engine, f"SELECT initiative_id, code FROM initiative_classification WHERE scheme = '{scheme}'"
    ):
        found[initiative_id].add(code)
    return found


@pytest.fixture
def loaded(database_url: str, engine: sa.Engine) -> dict[str, int]:
    """A synthetic registry of N initiatives in the (empty) test database."""
    return load_synthetic(url=database_url, initiatives=N, seed=SEED)


# --- the generator -------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_rows() -> None:
    assert build_rows(initiatives=N, seed=SEED) == build_rows(initiatives=N, seed=SEED)


def test_another_seed_gives_other_rows() -> None:
    first, other = build_rows(initiatives=N, seed=SEED), build_rows(initiatives=N, seed=SEED + 1)
    assert [i["title"] for i in first["initiative"]] != [i["title"] for i in other["initiative"]]
    assert first["organisation"] != other["organisation"]


def test_batches_make_the_same_rows_as_one_build() -> None:
    joined: dict[str, list[dict]] = defaultdict(list)
    for batch in generate(initiatives=N, seed=SEED, batch=7):
        for table, rows in batch.items():
            joined[table].extend(rows)
    assert dict(joined) == build_rows(initiatives=N, seed=SEED)


def test_about_a_quarter_of_titles_are_translated() -> None:
    rows = build_rows(initiatives=1_000, seed=SEED)
    languages = Counter(c["code"] for c in rows["initiative_classification"] if c["scheme"] == "language")
    assert sum(languages.values()) == 1_000
    assert 150 <= 1_000 - languages[ENGLISH] <= 350
    assert {"fr", "de", "es", "it", "pt", "nl", "sv", "pl"} <= set(languages)


# --- what a load writes --------------------------------------------------------------------------------


def test_the_database_holds_the_generated_rows(loaded: dict[str, int], engine: sa.Engine) -> None:
    generated = build_rows(initiatives=N, seed=SEED)
    assert loaded == {table: len(rows) for table, rows in generated.items()}
    assert loaded["initiative"] == N
    titles = [title for (title,) in _rows(engine, "SELECT title FROM initiative ORDER BY id")]
    assert titles == [i["title"] for i in generated["initiative"]]


def test_every_vocabulary_code_is_in_the_loaded_vocabularies(loaded: dict[str, int], engine: sa.Engine) -> None:
    for (table, column), vocabulary in VOCABULARY_COLUMNS.items():
        unknown = _rows(engine, f"SELECT DISTINCT {column} FROM {table} WHERE {column} NOT IN "
                                f"(SELECT code FROM vocabulary_term WHERE vocabulary = '{vocabulary}')")
        assert unknown == [], (table, column)
    unknown = _rows(engine, "SELECT DISTINCT scheme, code FROM initiative_classification c "
                            "WHERE scheme NOT IN ('country', 'language') AND NOT EXISTS (SELECT 1 FROM vocabulary_term t "
                            "WHERE t.vocabulary = c.scheme AND t.code = c.code)")
    assert unknown == []


def test_every_country_and_language_is_an_iso_code(loaded: dict[str, int], engine: sa.Engine) -> None:
    problems = Problems()
    countries = _rows(engine, "SELECT DISTINCT code FROM initiative_classification WHERE scheme = 'country' "
                              "UNION SELECT DISTINCT country FROM organisation WHERE country IS NOT NULL")
    for (code,) in countries:
        assert validation.country(problems, ["country"], code) == code
    languages = _codes(engine, "language")
    assert set(languages) == set(range(1, N + 1)) and all(len(codes) == 1 for codes in languages.values())
    for code in set().union(*languages.values()):
        assert validation.language(problems, ["language"], code) == code
    assert not problems.items


def test_every_record_is_marked_synthetic(loaded: dict[str, int], engine: sa.Engine) -> None:
    expected = marker(initiatives=N, seed=SEED)
    assert "not a real record" in expected[0]["note"] and f"--synthetic {N} --seed {SEED}" in expected[0]["note"]
    for table in AUDITED:
        actors = _rows(engine, f"SELECT DISTINCT created_by, updated_by FROM {table}")
        assert actors == [(ACTOR, ACTOR)], table
    with Session(engine) as session:
        for table in MARKED:
            model = sa.table(table, sa.column("provenance", sa.JSON))
            assert {str(p) for (p,) in session.execute(sa.select(model.c.provenance))} == {str(expected)}, table
    for slug, website in _rows(engine, "SELECT slug, website FROM organisation"):
        assert slug.startswith("synthetic-") and website == f"https://{slug}.example.org"
    urls = _rows(engine, "SELECT reference_url FROM study")
    assert urls and all(url.startswith("https://example.org/") for (url,) in urls)


def test_some_titles_are_in_the_language_of_a_country(loaded: dict[str, int], engine: sa.Engine) -> None:
    languages, countries = _codes(engine, "language"), _codes(engine, "country")
    titles = dict(_rows(engine, "SELECT id, title FROM initiative"))
    translated = {i for i, codes in languages.items() if codes != {ENGLISH}}
    assert translated and len(translated) < N
    for initiative_id in translated:
        (language,) = languages[initiative_id]
        assert language in {COUNTRY_LANGUAGES[c][0] for c in countries[initiative_id] if c in COUNTRY_LANGUAGES}
    accented = [t for i, t in titles.items() if i in translated and not t.isascii()]
    assert accented, "no translated title with accents"
    assert all(titles[i].isascii() for i in set(titles) - translated)


# --- where a load may go -------------------------------------------------------------------------------


def test_refuses_beside_the_registry_without_the_flag(database_url: str, engine: sa.Engine, make) -> None:  # noqa: ANN001
    make.organisation("point-de-contact")
    with pytest.raises(SyntheticRefused, match="--alongside-registry"):
        load_synthetic(url=database_url, initiatives=N, seed=SEED)
    assert _counts(engine) == {"organisation": 1, "initiative": 0, "participation": 0, "study": 0, "evidence_assessment": 0,
                               "finding": 0}


def test_refuses_beside_seed_records_without_the_flag(database_url: str, engine: sa.Engine, db: Session) -> None:
    db.add(SeedRecord(kind="initiative", key="french-sic", record_id=1))
    db.commit()
    with pytest.raises(SyntheticRefused, match="--alongside-registry"):
        load_synthetic(url=database_url, initiatives=N, seed=SEED)
    assert _counts(engine)["organisation"] == 0


def test_loads_beside_the_registry_with_the_flag(database_url: str, engine: sa.Engine, make, db: Session) -> None:  # noqa: ANN001
    real = make.organisation("point-de-contact")
    make.initiative(real, "Point de Contact hotline")
    before = _rows(engine, f"SELECT * FROM organisation WHERE id = {real.id}")
    counts = load_synthetic(url=database_url, initiatives=N, seed=SEED, alongside_registry=True)
    assert _rows(engine, f"SELECT * FROM organisation WHERE id = {real.id}") == before
    assert _counts(engine)["organisation"] == 1 + counts["organisation"]
    assert _counts(engine)["initiative"] == 1 + N
    synthetic_ids = _rows(engine, "SELECT min(id) FROM organisation WHERE created_by = 'seed:synthetic'")
    assert synthetic_ids[0][0] > real.id
    # The id sequences were moved past the synthetic rows: ordinary writes still find free ids.
    later = make.organisation("e-enfance")
    make.initiative(later, "3018")
    assert later.id > real.id + counts["organisation"]


def test_a_second_load_refuses_and_writes_nothing(loaded: dict[str, int], database_url: str, engine: sa.Engine) -> None:
    before = _counts(engine)
    for alongside in (False, True):
        with pytest.raises(SyntheticRefused, match=f"{N} synthetic initiatives"):
            load_synthetic(url=database_url, initiatives=N, seed=SEED + 1, alongside_registry=alongside)
    assert _counts(engine) == before


def test_reports_progress_per_table(database_url: str, engine: sa.Engine) -> None:
    reported: dict[str, list[int]] = defaultdict(list)
    counts = load_synthetic(url=database_url, initiatives=N, seed=SEED, progress=lambda t, n: reported[t].append(n))
    assert {table: done[-1] for table, done in reported.items()} == counts
    assert all(done == sorted(done) for done in reported.values())


# --- databases not ready for it ------------------------------------------------------------------------


def test_refuses_a_database_without_vocabularies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bare.db'}"
    with pytest.raises(SyntheticRefused, match="db upgrade"):
        load_synthetic(url=url, initiatives=N, seed=SEED)
    migrations.upgrade(url)
    with pytest.raises(SyntheticRefused, match="vocabularies load"):
        load_synthetic(url=url, initiatives=N, seed=SEED)
