"""Highlights turned into HTML directly (api/portal/rendering.marked and the `highlighted` macro of
the portal's templates): the API's text is escaped whatever it holds, and only the matched ranges
(in code points) are marked. Through the pages: test_page_headers.py (a misspelt word marked in the
results)."""

from api.portal.rendering import marked
from api.portal.routes import templates

highlighted = templates.get_template("macros.html").module.highlighted


def test_the_text_is_escaped_and_only_the_matches_are_marked() -> None:
    text = "<script>alert(1)</script> & hotline"
    html = str(highlighted(marked(text, [{"start": 28, "length": 6}])))
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; <mark>hotlin</mark>e"


def test_ranges_count_code_points_and_overlaps_or_overruns_mark_nothing_twice() -> None:
    text = "Écoute « net » écoute"
    pieces = marked(text, [{"start": 0, "length": 6}, {"start": 3, "length": 5}, {"start": 15, "length": 99}])
    assert pieces == [("Écoute", True), (" «", True), (" net » ", False), ("écoute", True)]
    assert "".join(piece for piece, _ in pieces) == text
