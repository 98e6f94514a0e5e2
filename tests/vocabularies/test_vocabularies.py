"""The controlled vocabularies are data, served through the API."""

from pathlib import Path

import yaml

from api.core.settings import PROJECT_ROOT
from tests.factories import graphql

VOCABULARY_DIR = PROJECT_ROOT / "seed" / "vocabularies"
QUERY = "query($codes: [String!]) { vocabularies(codes: $codes) { code label terms { code label attributes } } }"


def _files() -> dict[str, dict]:
    return {path.stem: yaml.safe_load(path.read_text()) for path in sorted(Path(VOCABULARY_DIR).glob("*.yaml"))}


def test_every_seed_vocabulary_is_served_with_its_terms_in_order(client) -> None:
    served = {v["code"]: v for v in graphql(client, QUERY)["data"]["vocabularies"]}
    files = _files()
    assert set(served) == set(files)
    for code, document in files.items():
        assert [t["code"] for t in served[code]["terms"]] == [t["code"] for t in document["terms"]]


def test_vocabularies_named_by_domain_are_present(client) -> None:
    wanted = ["stakeholder-type", "participation-role", "initiative-status", "mnr-capability", "intervention-type",
              "harm", "study-design", "evidence-rating", "certainty", "outcome"]
    served = graphql(client, QUERY, {"codes": wanted})["data"]["vocabularies"]
    assert sorted(v["code"] for v in served) == sorted(wanted)
    by_code = {v["code"]: {t["code"]: t for t in v["terms"]} for v in served}
    assert len(by_code["mnr-capability"]) == 21
    assert by_code["stakeholder-type"]["IND-PLAT"]["attributes"] == {"iati": "70"}
    assert by_code["intervention-type"]["RPT-HOT"]["attributes"]["mnr"] == "MNR-12 MNR-16"


def test_every_vocabulary_and_every_term_has_a_french_label() -> None:
    missing = [
        f"{code}:{term.get('code', '?')}" for code, document in _files().items()
        for term in [{"code": "(the vocabulary)", **document}, *document["terms"]]
        if not isinstance(term.get("label_fr"), str) or not term["label_fr"].strip()
    ]
    assert len(_files()) == 21 and missing == []


def test_french_labels_are_served_when_asked_for_and_english_stays_the_default(client) -> None:
    query = """query($codes: [String!]) { vocabularies(codes: $codes) {
      label french: label(language: FR) terms { code label french: label(language: FR) english: label(language: EN) } } }"""
    (harm,) = graphql(client, query, {"codes": ["harm"]})["data"]["vocabularies"]
    assert (harm["label"], harm["french"]) == ("Harm", "Préjudice")
    known = next(t for t in harm["terms"] if t["code"] == "CSAM-KNOWN")
    assert known["label"] == known["english"] == "Known child sexual abuse material"
    assert known["french"] == "Matériel d’abus sexuels sur enfants déjà connu"
    files = {t["code"]: t["label_fr"] for t in _files()["harm"]["terms"]}
    assert {t["code"]: t["french"] for t in harm["terms"]} == files


def test_labels_use_the_luxembourg_guidelines_terms() -> None:
    text = " ".join(path.read_text().lower() for path in VOCABULARY_DIR.glob("*.yaml"))
    assert "child sexual abuse material" in text
    assert "child pornography" not in text


def test_a_relabelled_term_shows_on_records_once_the_term_cache_refreshes(client, app, make, db) -> None:  # noqa: ANN001
    from sqlmodel import select

    from api.vocabularies.models import VocabularyTerm

    make.initiative(make.organisation("lead"), status="IMPLEMENTATION")
    query = "{ initiatives(first: 1) { edges { node { status { code label } } } } }"

    def label() -> str:
        return graphql(client, query)["data"]["initiatives"]["edges"][0]["node"]["status"]["label"]

    before = label()
    row = db.exec(
        select(VocabularyTerm).where(
            VocabularyTerm.vocabulary == "initiative-status", VocabularyTerm.code == "IMPLEMENTATION"
        )
    ).one()
    row.label = "Running"
    db.add(row)
    db.commit()
    assert label() == before  # within the cache's lifetime the shared term object is served
    app.state.term_cache.ttl_seconds = 0
    assert label() == "Running"  # a refresh drops the objects made from the old terms


def test_synonyms_are_loaded_with_their_terms(db) -> None:  # noqa: ANN001
    from sqlmodel import select

    from api.vocabularies.models import VocabularyTerm

    solicitation = db.exec(
        select(VocabularyTerm).where(VocabularyTerm.vocabulary == "harm", VocabularyTerm.code == "SOLICITATION")
    ).one()
    assert "grooming" in solicitation.synonyms
    files = _files()
    for document in files.values():
        for term in document["terms"]:
            assert isinstance(term.get("synonyms", []), list), (document["code"], term["code"])
            assert all(isinstance(s, str) and s.strip() for s in term.get("synonyms", [])), term["code"]


def test_a_changed_vocabulary_file_reaches_an_existing_database_and_queues_the_initiatives_holding_the_term(
    tmp_path, database_url, engine, make, request  # noqa: ANN001
) -> None:
    """`coplab vocabularies load` (run by `coplab serve` and `coplab migrate` at every start) updates
    a term's synonyms in place, and the search documents of the initiatives holding it follow."""
    import os
    import shutil
    import subprocess
    import sys

    import sqlalchemy as sa

    from tests.search.indexing import OUTBOX, queued

    holding = make.initiative(make.organisation("inhope"), "Reports", harms=["EXTORTION"])
    other = make.initiative(make.organisation("iwf"), "Other", harms=["BULLYING"])
    seed = tmp_path / "seed"
    shutil.copytree(VOCABULARY_DIR, seed / "vocabularies")
    path = seed / "vocabularies" / "harm.yaml"
    document = yaml.safe_load(path.read_text())
    next(t for t in document["terms"] if t["code"] == "EXTORTION")["synonyms"] = ["sextortion", "chantage"]
    path.write_text(yaml.safe_dump(document, allow_unicode=True))

    def load(seed_dir: Path) -> None:
        env = {**os.environ, "COPLAB_DATABASE_URL": database_url, "COPLAB_SEED_DIR": str(seed_dir)}
        result = subprocess.run(
            [sys.executable, "-m", "api.cli", "vocabularies", "load"], env=env, capture_output=True, text=True,
            timeout=120, check=False,
        )
        assert result.returncode == 0, result.stderr

    load(VOCABULARY_DIR.parent)  # as the files are (other tests relabel terms in the shared database)
    request.addfinalizer(lambda: load(VOCABULARY_DIR.parent))
    with engine.begin() as connection:
        connection.execute(OUTBOX.delete())
    load(seed)
    with engine.connect() as connection:
        synonyms = connection.execute(
            sa.text("SELECT synonyms FROM vocabulary_term WHERE vocabulary = 'harm' AND code = 'EXTORTION'")
        ).scalar_one()
    assert (synonyms if isinstance(synonyms, list) else __import__("json").loads(synonyms)) == ["sextortion", "chantage"]
    assert set(queued(engine)) == {holding.id}
    assert other.id not in queued(engine)
