"""`filters.to_meilisearch`: the filter strings Meilisearch reads, with its quoting and escaping
(https://www.meilisearch.com/docs/learn/filtering_and_sorting/filter_expression_reference); and
`filters.matches`, the same tree read by the embedded engine, agreeing with the string."""

import pytest

from api.search.filters import (
    EVERYTHING,
    NOTHING,
    All,
    AnyOf,
    Either,
    Equals,
    Not,
    all_of,
    any_of,
    matches,
    to_meilisearch,
)


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        (Equals("status", "active"), 'status = "active"'),
        (Equals("owners", 12), "owners = 12"),
        (Equals("lead_listed", True), "lead_listed = true"),
        (Equals("lead_listed", False), "lead_listed = false"),
        # a double quote inside a value is escaped, so it cannot close the string
        (Equals("title_sort", 'say "no"'), 'title_sort = "say \\"no\\""'),
        # a backslash is escaped first, so `\"` in the value cannot become an escaped quote
        (Equals("title_sort", "a\\"), 'title_sort = "a\\\\"'),
        (Equals("title_sort", 'a\\" OR id EXISTS'), 'title_sort = "a\\\\\\" OR id EXISTS"'),
        # operators and brackets inside a value stay inside the quotes
        (Equals("countries", "NL] OR visibility = public"), 'countries = "NL] OR visibility = public"'),
        (AnyOf("harms", ("csam", "grooming")), 'harms IN ["csam", "grooming"]'),
        (AnyOf("harms", ('a"b', "c\\d", 3)), 'harms IN ["a\\"b", "c\\\\d", 3]'),
        (Not(Equals("status", "closed")), 'NOT (status = "closed")'),
        (
            All((Equals("visibility", "public"), Either((Equals("owners", 1), Equals("owners", 2))))),
            '(visibility = "public") AND ((owners = 1) OR (owners = 2))',
        ),
    ],
)
def test_to_meilisearch_renders_and_escapes(tree, expected):
    assert to_meilisearch(tree) == expected


def test_everything_is_no_filter_at_all():
    assert to_meilisearch(EVERYTHING) is None


@pytest.mark.parametrize("tree", [NOTHING, AnyOf("harms", ()), Either(())])
def test_an_empty_any_of_or_either_matches_nothing(tree):
    assert to_meilisearch(tree) == "NOT id EXISTS"
    assert not matches(tree, {"id": "1", "harms": ["csam"]})


def test_an_empty_any_of_inside_a_conjunction_still_matches_nothing():
    tree = All((Equals("visibility", "public"), AnyOf("owners", ())))
    assert to_meilisearch(tree) == '(visibility = "public") AND (NOT id EXISTS)'
    assert not matches(tree, {"id": "1", "visibility": "public", "owners": [1]})


def test_a_field_name_that_is_not_an_identifier_is_refused():
    with pytest.raises(ValueError, match="not a field name"):
        to_meilisearch(Equals("status = 1 OR id", "x"))


def test_all_of_and_any_of_simplify():
    public = Equals("visibility", "public")
    assert all_of(None, EVERYTHING, public) == public
    assert all_of(public, NOTHING) == NOTHING
    assert any_of(NOTHING, public) == public
    assert any_of(public, EVERYTHING) == EVERYTHING


@pytest.mark.parametrize(
    ("tree", "document", "expected"),
    [
        (Equals("harms", "csam"), {"harms": ["grooming", "csam"]}, True),
        (Equals("harms", "csam"), {"harms": ["grooming"]}, False),
        (AnyOf("countries", ("NL", "BE")), {"countries": ["BE"]}, True),
        (Equals("lead_listed", True), {"lead_listed": True}, True),
        # never a bool against an int
        (Equals("owners", 1), {"owners": [True]}, False),
        (Not(Equals("status", "closed")), {"status": "active"}, True),
    ],
)
def test_matches_reads_list_fields_and_types(tree, document, expected):
    assert matches(tree, document) is expected
