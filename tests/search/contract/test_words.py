"""What researchers mean: the labels and synonyms of an initiative's codes (`classifications`), compound
words in their joined, hyphenated and split forms, stop words, and the has-evidence facet. Both
engines, one behaviour (docs/search.md, "Words").

Meilisearch references: split words and concatenated query words ("sunflower" / "sun flower"),
the `stopWords` setting, searchableAttributes order (attribute ranking rule).
"""

import pytest

from api.search.backend import MatchingStrategy
from api.search.filters import Equals
from tests.search.contract.support import ids, index, initiative, search

LAST = MatchingStrategy.LAST
ALL = MatchingStrategy.ALL


# --- labels and synonyms of the codes --------------------------------------------------------------


@pytest.fixture
def classified(engine):  # noqa: ANN001, ANN201
    """One document classified under a harm whose synonyms say "grooming", whose text never does."""
    index(
        engine,
        [
            initiative(
                "classified",
                title="Platform safety reports",
                classifications=["Online solicitation of children for sexual purposes (grooming)", "luring", "pédopiégeage"],
            ),
            initiative("described", title="Annual review", description="A note mentions luring in passing."),
            initiative("other", title="Helpdesk", classifications=["Public awareness", "campaign"]),
        ],
    )
    return engine


@pytest.mark.parametrize("query", ["grooming", "online solicitation", "pedopiegeage", "solicitaton"])
def test_the_words_of_the_codes_find_the_document(classified, query: str) -> None:  # noqa: ANN001
    assert ids(search(classified, query, matching_strategy=ALL)) == ["classified"]


def test_a_code_word_ranks_above_the_same_word_in_a_description(classified) -> None:  # noqa: ANN001
    assert ids(search(classified, "luring")) == ["classified", "described"]


@pytest.mark.parametrize(
    ("query", "marked"),
    [
        ("grooming", ["grooming"]),  # a synonym inside the label's item
        ("luring", ["luring"]),  # a synonym that is an item of its own
        ("groomng", ["groomin"]),  # with a typo, in the last word: as many letters as were typed
        ("solicitation", ["solicitation"]),  # the label
    ],
)
def test_a_hit_found_through_a_code_word_highlights_it_in_classifications(classified, query: str, marked) -> None:  # noqa: ANN001
    """A hit found only through a code's label or synonym marks the matched word there; the title,
    which does not say it, has nothing made up."""
    hit = search(classified, query, highlight=("title", "classifications"), matching_strategy=ALL).hits[0]
    assert hit.id == "classified"
    assert hit.snippets["title"].matches == ()
    snippet = hit.snippets["classifications"]
    assert snippet.text == "Online solicitation of children for sexual purposes (grooming); luring; pédopiégeage"
    assert [snippet.text[m.start : m.start + m.length].casefold() for m in snippet.matches] == marked


# --- compound words --------------------------------------------------------------------------------


@pytest.fixture
def compounds(engine):  # noqa: ANN001, ANN201
    index(
        engine,
        [
            initiative("hyphen", title="Notice and take-down"),
            initiative("joined", title="Takedown requests"),
            initiative("split", title="Take down orders"),
            initiative("none", title="Removal notices"),
        ],
    )
    return engine


@pytest.mark.parametrize("query", ["takedown", "take-down", "take down"])
def test_joined_hyphenated_and_split_forms_find_each_other(compounds, query: str) -> None:  # noqa: ANN001
    assert set(ids(search(compounds, query, matching_strategy=ALL))) == {"hyphen", "joined", "split"}


def test_a_split_query_word_needs_its_halves_side_by_side(engine) -> None:  # noqa: ANN001
    """"takedown" split is the phrase "take down": the two words apart in a field, or in the other
    order, are not a match of it (Meilisearch's split words are phrases; the embedded engine checks
    adjacency in the document's text)."""
    index(
        engine,
        [
            initiative("split", title="Take down orders"),
            initiative("apart", title="Take the reports of abuse down"),
            initiative("reversed", title="Down take"),
            initiative("fields", title="Take action", summary="Bring abuse down."),
        ],
    )
    assert ids(search(engine, "takedown", matching_strategy=ALL)) == ["split"]
    assert ids(search(engine, "takedown", matching_strategy=LAST)) == ["split"]


# --- stop words ------------------------------------------------------------------------------------


def test_stop_words_do_not_count(engine) -> None:  # noqa: ANN001
    index(
        engine,
        [
            initiative("plain", title="Hotline France"),
            initiative("wordy", title="Hotline", description="Reports in the country of origin of France"),
        ],
    )
    assert ids(search(engine, "hotline in France")) == ids(search(engine, "hotline France"))
    assert ids(search(engine, "hotline in the France", matching_strategy=ALL))[0] == "plain"


# --- evidence --------------------------------------------------------------------------------------


def test_has_evidence_filters_and_counts(engine) -> None:  # noqa: ANN001
    index(
        engine,
        [
            initiative("assessed", has_evidence=True),
            initiative("unassessed", has_evidence=False),
            initiative("also-unassessed", has_evidence=False),
        ],
    )
    result = search(engine, facets=("has_evidence",))
    assert result.facet_distribution["has_evidence"] == {"true": 1, "false": 2}
    assert ids(search(engine, filter=Equals("has_evidence", True))) == ["assessed"]
    assert set(ids(search(engine, filter=Equals("has_evidence", False)))) == {"unassessed", "also-unassessed"}


def test_facets_list_no_value_that_only_hidden_documents_hold(engine) -> None:  # noqa: ANN001
    """Zero counts are the API's to add from public vocabularies: an engine never lists a value whose
    only documents the filter leaves out, so no count, zero or not, tells of a hidden document."""
    index(
        engine,
        [
            initiative("shown", harms=["BULLYING"], visibility="PUBLIC"),
            initiative("hidden", harms=["EXTORTION"], visibility="MEMBERS"),
        ],
    )
    result = search(engine, filter=Equals("visibility", "PUBLIC"), facets=("harms",))
    assert result.facet_distribution["harms"] == {"BULLYING": 1}
