"""Highlighting and cropping: `Snippet.text` is the plain field text (no markup), `matches` the
character ranges of the matched words (for a prefix match, the prefix: Meilisearch highlights only
the start of a word matched by prefix), and a cropped field is shortened around the match."""

import re

import pytest

from api.search.backend import MatchRange, Snippet
from tests.search.contract.support import index, initiative, search


def matched(snippet: Snippet) -> list[str]:
    """The matched pieces of the snippet's text, in text order."""
    return [snippet.text[m.start : m.start + m.length] for m in sorted(snippet.matches, key=lambda m: m.start)]


def test_highlight_gives_plain_text_and_the_match_range(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="National hotline for children")])

    [hit] = search(engine, "hotline", highlight=("title",)).hits

    assert hit.snippets["title"] == Snippet(text="National hotline for children", matches=(MatchRange(9, 7),))


def test_highlight_covers_every_query_word_and_occurrence(engine) -> None:  # noqa: ANN001
    description = "Call the hotline. The hotline helps children and carers."
    index(engine, [initiative("1", description=description)])

    [hit] = search(engine, "hotline children", highlight=("description",)).hits

    snippet = hit.snippets["description"]
    assert snippet.text == description
    assert matched(snippet) == ["hotline", "hotline", "children"]


def test_highlight_keeps_the_original_case_and_accents(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Protección infantil")])

    [hit] = search(engine, "PROTECCION", highlight=("title",)).hits

    assert hit.snippets["title"] == Snippet(text="Protección infantil", matches=(MatchRange(0, 10),))


def test_match_ranges_count_characters_not_bytes(engine) -> None:  # noqa: ANN001
    title = "Línea de ayuda niñez: hotline"
    index(engine, [initiative("1", title=title)])

    [hit] = search(engine, "hotline", highlight=("title",)).hits

    assert hit.snippets["title"].matches == (MatchRange(title.index("hotline"), 7),)


def test_highlight_of_a_prefix_match_covers_the_prefix(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="National hotline")])

    [hit] = search(engine, "hotl", highlight=("title",)).hits

    assert hit.snippets["title"].matches == (MatchRange(9, 4),)


def test_highlight_of_a_typo_match_covers_the_word(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="National hotline")])

    [hit] = search(engine, "hotlime", highlight=("title",)).hits

    assert hit.snippets["title"].matches == (MatchRange(9, 7),)


def test_highlight_of_a_typo_in_the_last_word_covers_as_many_letters_as_were_typed(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Grooming detection")])

    [half_typed] = search(engine, "grommi", highlight=("title",)).hits
    [last_word] = search(engine, "detection groming", highlight=("title",)).hits
    [earlier_word] = search(engine, "groming detection", highlight=("title",)).hits

    assert half_typed.snippets["title"].matches == (MatchRange(0, 6),)  # "Groomi"
    assert last_word.snippets["title"].matches == (MatchRange(0, 7), MatchRange(9, 9))  # "Groomin", "detection"
    assert earlier_word.snippets["title"].matches == (MatchRange(0, 8), MatchRange(9, 9))  # "Grooming", "detection"


def test_highlight_text_is_not_markup(engine) -> None:  # noqa: ANN001
    title = "<em>Hotline</em> & <b>reports</b>"
    index(engine, [initiative("1", title=title)])

    [hit] = search(engine, "hotline", highlight=("title",)).hits

    snippet = hit.snippets["title"]
    assert snippet.text == title  # the stored text as it is: escaping is for whoever renders it
    assert matched(snippet) == ["Hotline"]


def test_only_requested_fields_are_highlighted(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", title="Hotline", description="The hotline answers day and night.")])

    [hit] = search(engine, "hotline", highlight=("title",)).hits

    assert set(hit.snippets) == {"title"}


def test_crop_shortens_the_text_around_the_match(engine) -> None:  # noqa: ANN001
    before = " ".join(f"early{n:c}" for n in range(ord("a"), ord("a") + 26))
    after = " ".join(f"late{n:c}" for n in range(ord("a"), ord("a") + 26))
    description = f"{before} the national sextortion helpline {after}"
    index(engine, [initiative("1", description=description)])

    [hit] = search(engine, "sextortion", crop=("description",), crop_length=10).hits

    snippet = hit.snippets["description"]
    words = re.findall(r"\w+", snippet.text)
    assert len(snippet.text) < len(description)
    assert "sextortion" in words
    assert len(words) <= 10
    body = snippet.text.strip().strip("…").strip()  # Meilisearch marks a cut with "…"
    assert body in description  # a contiguous piece of the original
    assert matched(snippet) == ["sextortion"]  # ranges point into the cropped text


def test_crop_keeps_a_short_text_whole(engine) -> None:  # noqa: ANN001
    index(engine, [initiative("1", summary="A sextortion helpline.")])

    [hit] = search(engine, "sextortion", crop=("summary",), crop_length=20).hits

    assert hit.snippets["summary"].text == "A sextortion helpline."
    assert matched(hit.snippets["summary"]) == ["sextortion"]


def test_a_field_searched_but_never_shown_matches_and_is_never_highlighted(engine) -> None:  # noqa: ANN001
    """Damaged spellings of organisation names are matched like any searched field, but no snippet
    may show them: an engine refuses to highlight or crop them."""
    index(engine, [initiative("1", misspellings=["Terre des Hommes ltalia"]), initiative("2")])

    [hit] = search(engine, "ltalia", highlight=("title", "summary", "organisations"), crop=("description",)).hits

    assert hit.id == "1"
    assert "misspellings" not in hit.snippets
    for request in ({"highlight": ("misspellings",)}, {"crop": ("misspellings",)}):
        with pytest.raises(ValueError, match="never shown"):
            search(engine, "ltalia", **request)
