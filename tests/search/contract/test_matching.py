"""Which documents a query finds and in what order: matched words, then typos, then attribute
priority; Meilisearch's typo rules; prefix matching on the last word; case and diacritics ignored.

Meilisearch references: ranking rules (words, typo, proximity, attribute, …), typo tolerance
(minWordSizeForTypos oneTypo=5, twoTypos=9; a typo on the first letter counts as two), prefix
search ("only performed on the last word in a search query"), matchingStrategy last/all.
"""

import pytest

from api.search.backend import MatchingStrategy
from tests.search.contract.support import ids, index, initiative, search

ALL = MatchingStrategy.ALL
LAST = MatchingStrategy.LAST


# --- words ---------------------------------------------------------------------------------------


@pytest.fixture
def grooming(engine):  # noqa: ANN001, ANN201
    """Documents matching all, the first two, and only the first of "online grooming prevention";
    one matching only the later words; one matching none."""
    index(
        engine,
        [
            initiative("first", title="Online safety week"),
            initiative("all", description="Online grooming prevention in schools"),
            initiative("later", title="Grooming prevention toolkit"),
            initiative("two", summary="Online grooming awareness"),
            initiative("none", title="Hash matching"),
        ],
    )
    return engine


def test_more_matched_words_rank_higher_even_against_a_better_attribute(grooming) -> None:  # noqa: ANN001
    result = search(grooming, "online grooming prevention", matching_strategy=LAST)

    assert ids(result)[:3] == ["all", "two", "first"]


def test_last_strategy_needs_the_first_word(grooming) -> None:  # noqa: ANN001
    # Meilisearch drops words from the end only: a document without the first word never matches.
    result = search(grooming, "online grooming prevention", matching_strategy=LAST)

    assert set(ids(result)) == {"all", "two", "first"}
    assert result.total_hits == 3


def test_last_strategy_finds_nothing_when_the_first_word_matches_nothing(grooming) -> None:  # noqa: ANN001
    assert ids(search(grooming, "extravagant grooming prevention", matching_strategy=LAST)) == []


def test_all_strategy_needs_every_word(grooming) -> None:  # noqa: ANN001
    result = search(grooming, "online grooming prevention", matching_strategy=ALL)

    assert ids(result) == ["all"]
    assert result.total_hits == 1


def test_words_may_match_in_different_fields(engine) -> None:  # noqa: ANN001
    index(
        engine,
        [
            initiative("split", title="Hotline", organisations=["Internet Watch Foundation"]),
            initiative("one", title="Hotline"),
        ],
    )

    assert ids(search(engine, "hotline watch", matching_strategy=ALL)) == ["split"]


# --- typos ---------------------------------------------------------------------------------------


def test_no_typo_for_words_under_five_letters(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Safe online spaces"), initiative("2", title="Hash matching")])

    assert ids(search(engine, "safe")) == ["1"]
    assert ids(search(engine, "sefe")) == []  # 4 letters: no typo allowed


def test_one_typo_from_five_letters(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Child hotline"), initiative("2", title="Hash matching")])

    assert ids(search(engine, "chuld")) == ["1"]  # 5 letters, one substitution
    assert ids(search(engine, "hotlne")) == ["1"]  # 6 letters, one deletion
    assert ids(search(engine, "hotlime")) == ["1"]  # 7 letters, one substitution


def test_two_typos_not_allowed_up_to_eight_letters(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Grooming hotline"), initiative("2", title="Hash matching")])

    assert ids(search(engine, "groomimg")) == ["1"]  # control: one typo on 8 letters
    assert ids(search(engine, "griomimg")) == []  # two typos on 8 letters
    assert ids(search(engine, "hptlime")) == []  # two typos on 7 letters


def test_two_typos_from_nine_letters(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Awareness and sextortion"), initiative("2", title="Hash matching")])

    assert ids(search(engine, "awqrenxss")) == ["1"]  # 9 letters, two substitutions
    assert ids(search(engine, "sextprtiin")) == ["1"]  # 10 letters, two substitutions
    assert ids(search(engine, "sxxtprtiin")) == []  # three typos: never


def test_typo_on_first_letter_counts_as_two(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="National hotline and sextortion"), initiative("2", title="Hash matching")])

    assert ids(search(engine, "hotlime")) == ["1"]  # control: one typo, not on the first letter
    assert ids(search(engine, "jotline")) == []  # 7 letters: a first-letter typo costs two, one allowed
    assert ids(search(engine, "wextortion")) == ["1"]  # 10 letters: two allowed


def test_exact_ranks_above_one_typo_above_two_typos(engine) -> None:  # noqa: ANN001
    index(
        engine,
        [
            initiative("two", title="Sextarsion helpline"),
            initiative("none", title="Hash matching"),
            initiative("one", title="Sextorsion helpline"),
            initiative("exact", title="Sextortion helpline"),
        ],
    )

    result = search(engine, "sextortion")

    assert ids(result) == ["exact", "one", "two"]
    assert result.total_hits == 3


def test_fewer_typos_rank_above_a_better_attribute(engine) -> None:  # noqa: ANN001
    index(
        engine,
        [
            initiative("typo-in-title", title="Hotlime directory"),
            initiative("exact-in-description", description="Reports reach the hotline within a day."),
        ],
    )

    assert ids(search(engine, "hotline")) == ["exact-in-description", "typo-in-title"]


# --- prefix --------------------------------------------------------------------------------------


def test_last_word_matches_as_a_prefix(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Hotline reporting"), initiative("2", title="Hash matching")])

    assert ids(search(engine, "hotl")) == ["1"]
    assert ids(search(engine, "reporting hotl", matching_strategy=ALL)) == ["1"]


def test_a_single_letter_is_a_prefix(engine) -> None:  # noqa: ANN001
    index(
        engine,
        [
            initiative("1", title="Safer internet day"),
            initiative("2", title="Hash matching"),
            initiative("3", organisations=["Stop It Now"]),
        ],
    )

    assert sorted(ids(search(engine, "s"))) == ["1", "3"]


def test_earlier_words_do_not_match_as_prefixes(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Hotline reporting"), initiative("2", title="Hash matching")])

    assert ids(search(engine, "hotl reporting", matching_strategy=ALL)) == []


def test_the_half_typed_last_word_is_forgiven_its_typos(engine) -> None:  # noqa: ANN001
    """A word matches when one of its prefixes is within the typos the typed word allows: "helpl"
    finds "Hulplijn" and "Helpdesk", "grommi" finds "grooming" (docs/search.md, "Where the engines
    differed"). Under five letters nothing is forgiven, and a typo on the first letter counts as two."""
    index(
        engine,
        [
            initiative("nl", title="Hulplijn voor kinderen"),
            initiative("en", title="Grooming prevention"),
            initiative("desk", title="Helpdesk"),
        ],
    )

    assert sorted(ids(search(engine, "helpl"))) == ["desk", "nl"]  # one typo each: "hulpl", "helpd"
    assert ids(search(engine, "grommi")) == ["en"]
    assert ids(search(engine, "hotlnes")) == []
    assert ids(search(engine, "grom")) == []  # four letters: no typo allowed
    assert ids(search(engine, "rgoomi")) == []  # the first letter wrong: two typos, six letters allow one
    assert ids(search(engine, "gromming")) == ["en"]  # a whole word with one typo


# --- attribute priority --------------------------------------------------------------------------


def test_attribute_priority_follows_the_schema_order(engine) -> None:  # noqa: ANN001
    # schema.INITIATIVES.searchable: title, summary, organisations, description.
    index(
        engine,
        [
            initiative("description", description="Run with the national hotline."),
            initiative("organisations", organisations=["Hotline Network"]),
            initiative("title", title="Hotline for children"),
            initiative("summary", summary="A hotline for reports."),
        ],
    )

    assert ids(search(engine, "hotline")) == ["title", "summary", "organisations", "description"]


# --- normalisation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("proteccion", "Protección infantil"),
        ("PROTECCIÓN", "proteccion digital"),
        ("ninos", "Niños seguros en línea"),
        ("linea", "Niños seguros en línea"),
        ("HOTLINE", "National hotline"),
        ("hotline", "NATIONAL HOTLINE"),
        ("Sécurité", "securite des enfants"),
    ],
)
def test_case_and_diacritics_are_ignored(engine, query: str, title: str) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title=title), initiative("2", title="Hash matching")])

    assert ids(search(engine, query)) == ["1"]


def test_empty_index_finds_nothing(engine) -> None:  # noqa: ANN001
    engine.ensure_index()
    engine.wait()

    result = search(engine, "hotline")

    assert (ids(result), result.total_hits, result.total_pages) == ([], 0, 0)


# Every ASCII punctuation mark and the common symbols: Meilisearch keeps some of them inside a word
# unless told they separate (`separatorTokens`), the embedded engine keeps none of them.
SEPARATORS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~«»–—’“”•·×±°§¶©®™€£¬¦"


def test_punctuation_and_symbols_separate_words(engine) -> None:  # noqa: ANN001
    index(engine, [initiative(str(n), title=f"alpha{mark}bravo") for n, mark in enumerate(SEPARATORS)])

    found = set(ids(search(engine, "bravo", hits_per_page=100)))

    assert [mark for n, mark in enumerate(SEPARATORS) if str(n) not in found] == []


def test_markup_in_a_text_is_words_and_separators(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="<b>Hotline</b> reports"), initiative("2", title="Hotline reports")])

    assert sorted(ids(search(engine, "hotline"))) == ["1", "2"]
    assert ids(search(engine, "b")) == ["1"]  # "b" is a word of its own, found as typed
