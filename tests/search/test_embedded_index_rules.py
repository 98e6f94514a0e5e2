"""The embedded index's own rules (api/search/embedded/index.py): a document comes back exactly as it
was put, however it is packed; and whatever is put, replaced and removed, the postings, vocabulary,
filters and sort values say what a fresh index of the surviving documents says, nothing stale."""

import random
from enum import StrEnum

from api.search.embedded import EmbeddedBackend
from api.search.embedded.index import Index
from api.search.schema import INITIATIVES


class Status(StrEnum):
    OPEN = "OPEN"


def described(index: Index) -> dict:
    """Everything the index holds, by document id."""
    ids = index.document_id

    def by_id(bitmap: object) -> frozenset[str] | None:
        return None if bitmap is None else frozenset(ids(n) for n in bitmap)  # type: ignore[attr-defined]

    return {
        "documents": {ids(n): index.document(n) for n in index.numbers()},
        "all": by_id(index.all),
        "postings": {term: [by_id(d) for d in per_field] for term, per_field in index.postings.items()},
        "vocabulary": index.vocabulary.with_prefix(""),
        "filters": {name: {key: by_id(d) for key, d in values.items()} for name, values in index.filters.items() if values},
        "sort_values": {name: {ids(n): v for n, v in index.values_of(name).items()} for name in index.sort_values},
        "numbers": {i: index.number(i) for i in index.ids()},
        "digest": index.digest,
    }


def test_a_document_comes_back_exactly_as_it_was_put() -> None:
    document = {
        "id": "7",
        "title": "Protección des données — ünïcode",
        "summary": None,
        "organisations": ["Alpha_Bravo", "Çà"],
        "misspellings": [],
        "status": Status.OPEN,
        "owners": (3, 4),
        "lead_listed": False,
        "lead_organisation": 0,
        "updated_at": 1_700_000_000,
        "score": 1.5,
    }
    index = Index(INITIATIVES)
    index.put(document)
    index.put({"id": "8", "title": "other shape"})  # documents need not share their fields
    back = index.document(index.number("7"))  # type: ignore[arg-type]
    assert back == document
    assert list(back) == list(document)  # the fields' order too
    assert [type(v) for v in back.values()] == [type(v) for v in document.values()]
    assert index.document(index.number("8")) == {"id": "8", "title": "other shape"}  # type: ignore[arg-type]

    # What the caller gets is its own: changing it, or the document put, changes nothing indexed.
    back["organisations"].append("Changed")
    document["organisations"].append("Changed too")  # type: ignore[union-attr]
    assert index.document(index.number("7"))["organisations"] == ["Alpha_Bravo", "Çà"]  # type: ignore[arg-type]


def test_a_word_is_posted_only_under_the_fields_it_is_in() -> None:
    index = Index(INITIATIVES)
    index.put({"id": "1", "title": "helpline", "description": "helpline and grooming"})
    title, description = INITIATIVES.searchable.index("title"), INITIATIVES.searchable.index("description")
    grooming = index.postings["grooming"]
    assert [position for position, d in enumerate(grooming) if d is not None] == [description]
    assert [position for position, d in enumerate(index.postings["helpline"]) if d is not None] == [title, description]

    # The last document with a word in a field gone, the word is no longer posted under it.
    index.put({"id": "2", "title": "grooming"})
    index.remove("1")
    assert [position for position, d in enumerate(index.postings["grooming"]) if d is not None] == [title]
    assert "helpline" not in index.postings and "helpline" not in index.vocabulary


def random_document(rng: random.Random, document_id: int) -> dict:
    words = ["helpline", "grooming", "detection", "école", "protección", "safety", "child", "report"]
    return {
        "id": str(document_id),
        "title": " ".join(rng.sample(words, rng.randint(0, 3))),
        "summary": rng.choice([None, " ".join(rng.sample(words, 2))]),
        "organisations": rng.sample(["Alpha", "Bravo", "Charlie Delta"], rng.randint(0, 2)),
        "description": " ".join(rng.choices(words, k=rng.randint(0, 6))),
        "status": rng.choice(["PIPELINE", "CLOSED", None]),
        "harms": sorted(rng.sample(["A", "B", "C"], rng.randint(0, 3))),
        "owners": sorted(rng.sample([1, 2, 3, 4], rng.randint(1, 2))),
        "lead_listed": rng.choice([True, False]),
        "title_sort": rng.choice(["a", "b", "c", None]),
        "updated_at": rng.randint(1, 5),
    }


def test_replacing_and_removing_leaves_what_a_fresh_index_of_the_survivors_holds() -> None:
    rng = random.Random(14)
    index = Index(INITIATIVES)
    alive: dict[str, dict] = {}
    for _ in range(400):
        document_id = rng.randint(1, 40)
        if rng.random() < 0.3:
            index.remove(str(document_id))
            alive.pop(str(document_id), None)
        else:
            document = random_document(rng, document_id)
            index.put(document)
            alive[document["id"]] = document
    assert alive, "the sequence leaves some documents"

    fresh = Index(INITIATIVES)
    for document in alive.values():
        fresh.put(document)
    assert described(index) == described(fresh)
    assert len(index) == len(alive)

    for document_id in list(alive):
        index.remove(document_id)
    assert described(index) == described(Index(INITIATIVES))
    assert not index.postings and not index.all and len(index) == 0


def test_compacting_after_a_rebuild_keeps_every_answer() -> None:
    rng = random.Random(3)
    documents = [random_document(rng, n) for n in range(1, 60)]
    index = Index(INITIATIVES)
    for document in documents:
        index.put(document)
    before = described(index)
    index.compact()
    assert described(index) == before

    backend = EmbeddedBackend()
    backend.rebuild(documents)  # the engine compacts its rebuilt index
    assert backend.get_documents([d["id"] for d in documents]) == documents


def test_documents_packed_against_a_rebuild_s_dictionary_come_back_exactly() -> None:
    rng = random.Random(5)
    documents = [random_document(rng, n) for n in range(1, 300)]
    backend = EmbeddedBackend()
    backend.rebuild(documents)
    index = backend._index  # noqa: SLF001 (the rule is about the index the engine built)
    assert index._dictionary, "a rebuild packs against a dictionary"  # noqa: SLF001
    later = {**random_document(rng, 1000), "title": "written after the rebuild, Protección"}
    backend.upsert([later, {**documents[0], "title": "replaced"}])
    expected = [{**documents[0], "title": "replaced"}, *documents[1:], later]
    assert backend.get_documents([d["id"] for d in expected]) == expected
    fresh = Index(INITIATIVES)  # no dictionary
    for document in expected:
        fresh.put(document)
    assert described(index) == described(fresh)


def test_the_order_of_a_field_puts_ties_by_number_and_documents_without_it_last() -> None:
    index = Index(INITIATIVES)
    for document_id, title_sort in (("1", "b"), ("2", None), ("3", "a"), ("4", "b"), ("5", "a"), ("6", None)):
        index.put({"id": document_id, "title_sort": title_sort})
    index.put({"id": "1", "title_sort": "b"})  # replaced: keeps its number, 1
    index.put({"id": "2", "title_sort": None})  # replaced: now the last added of those without one

    def order(field: str, *, descending: bool) -> list[str]:
        return [index.document_id(n) for n in index.sort_order(field, descending=descending)]

    assert order("title_sort", descending=False) == ["3", "5", "1", "4", "6", "2"]
    assert order("title_sort", descending=True) == ["1", "4", "3", "5", "6", "2"]
    # A field that is not sortable is read from the documents themselves.
    assert order("id", descending=True) == ["6", "5", "4", "3", "2", "1"]


def test_every_kind_of_id_finds_its_document_and_a_freed_place_is_reused() -> None:
    index = Index(INITIATIVES)
    for document_id in ("12", "abc", "0", "007", "x-1", ""):
        index.put({"id": document_id, "title": f"title {document_id}"})
    assert sorted(index.ids()) == ["", "0", "007", "12", "abc", "x-1"]
    for document_id in ("12", "abc", "0", "007", "x-1", ""):
        number = index.number(document_id)
        assert number is not None and index.document_id(number) == document_id
        assert index.document(number)["title"] == f"title {document_id}"
    assert index.number("7") is None and index.number("13") is None and index.number("ab") is None
    assert index.number("12") == 12  # a whole-number id is its own number, which orders ties

    # "7" and "007" would share number 7: the later one replaces the earlier, nothing of it left.
    index.put({"id": "7", "title": "seven"})
    assert index.number("007") is None and "title 007" not in str(described(index)["documents"])
    assert "007" not in index.postings and index.document(7)["title"] == "seven"

    # Writes replacing and removing the same documents reuse the places the removed ones left.
    for _ in range(50):
        index.remove("abc")
        index.put({"id": "abc", "title": "again"})
        index.put({"id": "12", "title": "replaced"})
    assert len(index._packed) <= 7  # noqa: SLF001 (the lists do not grow with writes)


def test_equal_documents_give_equal_digests_however_they_came_and_any_change_another() -> None:
    rng = random.Random(21)
    documents = [random_document(rng, n) for n in range(1, 250)]
    rebuilt = EmbeddedBackend()
    rebuilt.rebuild(documents)  # packed against a dictionary
    followed = EmbeddedBackend()
    for document in reversed(documents):  # packed alone, in another order, some replaced on the way
        followed.upsert([{**document, "title": "an earlier title"}])
        followed.upsert([document])
    followed.upsert([{"id": "9999", "title": "removed later"}])
    followed.delete(["9999"])
    digest = rebuilt.stats().digest
    assert digest is not None and len(digest) == 16
    assert followed.stats().digest == digest
    assert EmbeddedBackend().stats().digest == "0" * 16  # an empty index

    changed = dict(documents[10])
    changed["title"] = changed["title"] + "."
    followed.upsert([changed])
    assert followed.stats().digest != digest
    followed.upsert([documents[10]])
    assert followed.stats().digest == digest
    followed.upsert([{**documents[10], "updated_at": float(documents[10]["updated_at"])}])  # 3.0 is not 3
    assert followed.stats().digest != digest
