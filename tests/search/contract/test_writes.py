"""Writes: upsert replaces whole documents, delete removes (ignoring unknown ids), rebuild swaps
in a fresh index; what is stored can be read back for `coplab search check`."""

from api.search.backend import SortField
from api.search.filters import Equals
from tests.search.contract.support import ids, index, initiative, search


def test_upsert_replaces_the_whole_document(engine) -> None:  # noqa: ANN001
    first = initiative("1", title="Hotline", summary="Grooming awareness", harms=["SOLICITATION"])
    second = initiative("1", title="Hotline", harms=["EXTORTION"], omit=("summary",))
    index(engine, [first])
    engine.upsert([second])
    engine.wait()

    assert ids(search(engine, "grooming")) == []  # the left-out field is gone, not merged
    assert engine.get_documents(["1"]) == [second]
    result = search(engine, "hotline", facets=("harms",))
    assert result.total_hits == 1
    assert result.facet_distribution == {"harms": {"EXTORTION": 1}}


def test_stored_documents_read_back_as_written(engine) -> None:  # noqa: ANN001
    documents = [
        initiative("1", title="Hotline", lead_listed=False, owners=[3, 7], updated_at=1_712_345_678),
        initiative("2", title="Protección infantil", countries=[]),
    ]
    index(engine, documents)

    assert engine.document_ids() == {"1", "2"}
    assert sorted(engine.get_documents(["2", "1"]), key=lambda d: d["id"]) == documents


def test_get_documents_leaves_out_unknown_ids(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1")])

    assert engine.get_documents(["1", "404"]) == [initiative("1")]


def test_delete_removes_and_ignores_unknown_ids(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Hotline east"), initiative("2", title="Hotline west")])

    engine.delete(["1", "404"])
    engine.wait()

    assert ids(search(engine, "hotline")) == ["2"]
    assert engine.document_ids() == {"2"}
    assert engine.get_documents(["1"]) == []


def test_delete_of_only_unknown_ids_changes_nothing(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Hotline")])

    engine.delete(["404", "405"])
    engine.wait()

    assert engine.document_ids() == {"1"}
    assert search(engine, "hotline").total_hits == 1


def test_ensure_index_again_keeps_the_documents(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Hotline")])

    engine.ensure_index()
    engine.wait()

    assert ids(search(engine, "hotline")) == ["1"]


def test_rebuild_replaces_everything(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("old", title="Grooming toolkit"), initiative("kept", title="Hotline network")])

    engine.rebuild([initiative("kept", title="Hotline directory"), initiative("new", title="Sextortion helpline")])
    engine.wait()

    assert engine.document_ids() == {"kept", "new"}
    assert ids(search(engine, "grooming")) == []
    assert ids(search(engine, "network")) == []  # "kept" is the rebuilt version, not the old one
    assert ids(search(engine, "sextortion")) == ["new"]
    assert engine.stats().documents == 2


def test_search_settings_survive_a_rebuild(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("0", title="Placeholder")])

    engine.rebuild(
        [
            initiative("b", title="Bravo hotline", status="PIPELINE"),
            initiative("a", title="Alpha hotline", status="PIPELINE"),
            initiative("c", title="Charlie hotline", status="CLOSED"),
        ]
    )
    engine.wait()

    result = search(
        engine, "hotlime", filter=Equals("status", "PIPELINE"), facets=("status",), sort=(SortField("title_sort"),)
    )
    assert ids(result) == ["a", "b"]  # typo tolerance, filter and sort still configured
    assert result.facet_distribution == {"status": {"PIPELINE": 2}}


def test_writes_after_a_rebuild_are_searchable(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Hotline")])
    engine.rebuild([initiative("2", title="Helpline")])
    engine.wait()

    engine.upsert([initiative("3", title="Hotline again")])
    engine.delete(["2"])
    engine.wait()

    assert engine.document_ids() == {"3"}
    assert ids(search(engine, "hotline")) == ["3"]


def test_rebuild_with_nothing_empties_the_index(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Hotline")])

    engine.rebuild([])
    engine.wait()

    assert engine.document_ids() == set()
    assert search(engine).total_hits == 0


def test_stats_and_health(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1"), initiative("2"), initiative("3")])
    engine.upsert([initiative("2", title="Replaced")])
    engine.wait()

    stats = engine.stats()
    assert (stats.documents, stats.is_indexing) == (3, False)
    assert engine.health() is True
