"""createInitiative and updateInitiative refuse bad input with exact userErrors, and write nothing."""

from datetime import date

import pytest
from strawberry.relay import from_base64

from api.initiatives.models import Initiative
from tests.factories import classify, gid, mutate, set_columns, stored, user_errors

SELECTION = "initiative { id }"
VALID = {"title": "Notice and take-down", "status": "IMPLEMENTATION"}

# (case id, input fields, expected userErrors) — the same cases hold for create and update.
BAD_FIELDS = [
    ("unknown harm in a list", {"harms": ["CSAM-KNOWN", "CSAM-UNKNOWN-CODE"]}, [(["input", "harms", "1"], "INVALID_CODE")]),
    ("unknown intervention type", {"interventionTypes": ["NOPE"]}, [(["input", "interventionTypes", "0"], "INVALID_CODE")]),
    ("unknown MNR capability", {"mnrCapabilities": ["MNR-01", "MNR-99"]}, [(["input", "mnrCapabilities", "1"], "INVALID_CODE")]),
    ("unknown target group", {"targetGroups": ["ALIENS"]}, [(["input", "targetGroups", "0"], "INVALID_CODE")]),
    ("unknown region", {"regions": ["ATLANTIS"]}, [(["input", "regions", "0"], "INVALID_CODE")]),
    ("a code of another vocabulary", {"harms": ["DET-HASH"]}, [(["input", "harms", "0"], "INVALID_CODE")]),
    ("unknown status", {"status": "ONGOING"}, [(["input", "status"], "INVALID_CODE")]),
    ("lower-case status", {"status": "pipeline"}, [(["input", "status"], "INVALID_CODE")]),
    ("unknown country", {"countries": ["FR", "XX"]}, [(["input", "countries", "1"], "INVALID_COUNTRY")]),
    ("alpha-3 country", {"countries": ["FRA"]}, [(["input", "countries", "0"], "INVALID_COUNTRY")]),
    ("unknown language", {"languages": ["fr", "xx"]}, [(["input", "languages", "1"], "INVALID_LANGUAGE")]),
    ("language tag", {"languages": ["en-GB"]}, [(["input", "languages", "0"], "INVALID_LANGUAGE")]),
    (
        "planned end before start",
        {"plannedStart": "2024-06-01", "plannedEnd": "2024-05-31"},
        [(["input", "plannedEnd"], "INVALID_DATE_RANGE")],
    ),
    (
        "actual end before start",
        {"actualStart": "2023-01-02", "actualEnd": "2023-01-01"},
        [(["input", "actualEnd"], "INVALID_DATE_RANGE")],
    ),
    ("over-long title", {"title": "t" * 301}, [(["input", "title"], "TOO_LONG")]),
    ("over-long summary", {"summary": "s" * 2001}, [(["input", "summary"], "TOO_LONG")]),
    ("over-long description", {"description": "d" * 20_001}, [(["input", "description"], "TOO_LONG")]),
    (
        "over-long link label",
        {"links": [{"url": "https://example.org/", "label": "l" * 301}]},
        [(["input", "links", "0", "label"], "TOO_LONG")],
    ),
    ("blank title", {"title": "  \t "}, [(["input", "title"], "BLANK")]),
    ("bell in the title", {"title": "Ring \x07 the bell"}, [(["input", "title"], "CONTROL_CHARACTERS")]),
    ("line feed in the title", {"title": "Two\nlines"}, [(["input", "title"], "CONTROL_CHARACTERS")]),
    ("line separator in the title", {"title": "Two\u2028lines"}, [(["input", "title"], "CONTROL_CHARACTERS")]),
    ("bidi override in the title", {"title": "gpj.\u202eexe"}, [(["input", "title"], "CONTROL_CHARACTERS")]),
    ("right-to-left isolate in the title", {"title": "gpj.\u2067exe\u2069"}, [(["input", "title"], "CONTROL_CHARACTERS")]),
    ("left-to-right isolate in the summary", {"summary": "a\u2066b"}, [(["input", "summary"], "CONTROL_CHARACTERS")]),
    ("first strong isolate in the description", {"description": "a\u2068b"}, [(["input", "description"], "CONTROL_CHARACTERS")]),
    ("right-to-left mark in the title", {"title": "gpj\u200f.exe"}, [(["input", "title"], "CONTROL_CHARACTERS")]),
    ("left-to-right mark in the title", {"title": "a\u200eb"}, [(["input", "title"], "CONTROL_CHARACTERS")]),
    ("Arabic letter mark in a link label", {"links": [{"url": "https://example.org/", "label": "a\u061cb"}]},
     [(["input", "links", "0", "label"], "CONTROL_CHARACTERS")]),
    ("word joiner in the title", {"title": "pay\u2060pal"}, [(["input", "title"], "CONTROL_CHARACTERS")]),
    ("byte-order mark in the title", {"title": "a\ufeffb"}, [(["input", "title"], "CONTROL_CHARACTERS")]),
    ("escape in the summary", {"summary": "\x1b[31mred\x1b[0m"}, [(["input", "summary"], "CONTROL_CHARACTERS")]),
    ("C1 control in the description", {"description": "a\x85b\x9bc"}, [(["input", "description"], "CONTROL_CHARACTERS")]),
    (
        "control character and too long at once",
        {"title": "\x01" + "t" * 300},
        [(["input", "title"], "CONTROL_CHARACTERS"), (["input", "title"], "TOO_LONG")],
    ),
    ("NUL in the title", {"title": "Report\x00it"}, [(["input", "title"], "CONTROL_CHARACTERS")]),
    ("NUL in a link URL", {"links": [{"url": "https://example.org/\x00"}]}, [(["input", "links", "0", "url"], "CONTROL_CHARACTERS")]),
    ("NUL in a harm code", {"harms": ["CSAM-KNOWN", "CSAM-KNOWN\x00"]}, [(["input", "harms", "1"], "INVALID_CODE")]),
    ("NUL in the status", {"status": "PIPELINE\x00"}, [(["input", "status"], "INVALID_CODE")]),
    ("NUL in a country", {"countries": ["F\x00"]}, [(["input", "countries", "0"], "INVALID_COUNTRY")]),
    ("NUL as a language", {"languages": ["\x00"]}, [(["input", "languages", "0"], "INVALID_LANGUAGE")]),
    ("javascript: URL", {"links": [{"url": "javascript:alert(1)"}]}, [(["input", "links", "0", "url"], "INVALID_URL")]),
    ("ftp: URL", {"links": [{"url": "ftp://example.org/report.pdf"}]}, [(["input", "links", "0", "url"], "INVALID_URL")]),
    ("relative URL", {"links": [{"url": "/initiatives/42"}]}, [(["input", "links", "0", "url"], "INVALID_URL")]),
    ("URL without slashes", {"links": [{"url": "https:example.org"}]}, [(["input", "links", "0", "url"], "INVALID_URL")]),
    ("URL with backslashes", {"links": [{"url": "https:\\\\example.org"}]}, [(["input", "links", "0", "url"], "INVALID_URL")]),
    (
        "URL with credentials",
        {"links": [{"url": "https://example.org@evil.example/"}]},
        [(["input", "links", "0", "url"], "INVALID_URL")],
    ),
    ("URL with a space", {"links": [{"url": "https://example.org/a b"}]}, [(["input", "links", "0", "url"], "INVALID_URL")]),
    ("URL with a bad port", {"links": [{"url": "https://example.org:99999/"}]}, [(["input", "links", "0", "url"], "INVALID_URL")]),
    (
        "over-long URL",
        {"links": [{"url": "https://example.org/" + "a" * 2000}]},
        [(["input", "links", "0", "url"], "TOO_LONG")],
    ),
    ("too many harms", {"harms": ["CSAM-KNOWN"] * 51}, [(["input", "harms"], "TOO_MANY")]),
    ("too many countries", {"countries": ["FR"] * 51}, [(["input", "countries"], "TOO_MANY")]),
    ("too many languages", {"languages": ["fr"] * 51}, [(["input", "languages"], "TOO_MANY")]),
    ("too many links", {"links": [{"url": "https://example.org/"}] * 21}, [(["input", "links"], "TOO_MANY")]),
]
CASES = [pytest.param(fields, expected, id=name) for name, fields, expected in BAD_FIELDS]

# Six problems in six fields of one input.
MANY_PROBLEMS = {
    "title": "t" * 301,
    "status": "ONGOING",
    "harms": ["CSAM-KNOWN", "NOPE"],
    "countries": ["ZZ"],
    "plannedStart": "2024-06-01",
    "plannedEnd": "2024-01-01",
    "links": [{"url": "javascript:alert(1)"}],
}
MANY_EXPECTED = [
    (["input", "countries", "0"], "INVALID_COUNTRY"),
    (["input", "harms", "1"], "INVALID_CODE"),
    (["input", "links", "0", "url"], "INVALID_URL"),
    (["input", "plannedEnd"], "INVALID_DATE_RANGE"),
    (["input", "status"], "INVALID_CODE"),
    (["input", "title"], "TOO_LONG"),
]


@pytest.fixture
def inhope(make):  # noqa: ANN001, ANN201
    return make.organisation("inhope", stakeholder_type="HOTLINE")


@pytest.fixture
def token(make, inhope) -> str:  # noqa: ANN001
    return make.token(inhope)


@pytest.fixture
def existing(make, db, inhope) -> Initiative:  # noqa: ANN001
    initiative = make.initiative(inhope, "Existing initiative", harms=["CSAM-KNOWN"])
    classify(db, initiative, "country", "NL")
    return set_columns(db, initiative, summary="Kept as it is.", planned_start=date(2024, 1, 1))


@pytest.mark.parametrize(("fields", "expected"), CASES)
def test_create_refuses_bad_input_and_stores_nothing(client, db, token, fields, expected) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "createInitiative", {**VALID, **fields}, token, SELECTION)
    assert user_errors(payload) == expected
    assert payload["initiative"] is None
    assert stored(db) == before


@pytest.mark.parametrize(("fields", "expected"), CASES)
def test_update_refuses_bad_input_and_changes_nothing(client, db, token, existing, fields, expected) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "updateInitiative", {"id": gid("Initiative", existing.id), **fields}, token, SELECTION)
    assert user_errors(payload) == expected
    assert payload["initiative"] is None
    assert stored(db) == before


def test_create_reports_every_problem_at_once(client, db, token) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "createInitiative", MANY_PROBLEMS, token, SELECTION)
    assert sorted(user_errors(payload)) == MANY_EXPECTED
    assert stored(db) == before


def test_update_reports_every_problem_at_once(client, db, token, existing) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "updateInitiative", {"id": gid("Initiative", existing.id), **MANY_PROBLEMS}, token)
    assert sorted(user_errors(payload)) == MANY_EXPECTED
    assert stored(db) == before


def test_update_checks_a_new_end_against_the_stored_start(client, db, token, existing) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(client, "updateInitiative", {"id": gid("Initiative", existing.id), "plannedEnd": "2023-12-31"}, token)
    assert user_errors(payload) == [(["input", "plannedEnd"], "INVALID_DATE_RANGE")]
    assert stored(db) == before


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(lambda existing, other: gid("Initiative", 999_999), id="missing initiative"),
        pytest.param(lambda existing, other: gid("Organisation", existing.lead_organisation_id), id="id of another type"),
        pytest.param(lambda existing, other: gid("Initiative", other.id), id="another organisation's hidden initiative"),
    ],
)
def test_update_of_an_unknown_id_is_not_found(client, db, make, token, existing, target) -> None:  # noqa: ANN001
    other = make.initiative(make.organisation("iwf"), "Someone else's", visibility="ORGANISATION")
    before = stored(db)
    payload = mutate(client, "updateInitiative", {"id": target(existing, other), "title": "Taken over"}, token, SELECTION)
    assert user_errors(payload) == [(["input", "id"], "NOT_FOUND")]
    assert stored(db) == before


def test_update_of_a_deleted_initiative_is_not_found(client, db, token, existing) -> None:  # noqa: ANN001
    set_columns(db, existing, deleted_at=existing.updated_at)
    before = stored(db)
    payload = mutate(client, "updateInitiative", {"id": gid("Initiative", existing.id), "title": "Revived"}, token)
    assert user_errors(payload) == [(["input", "id"], "NOT_FOUND")]
    assert stored(db) == before


def test_valid_input_is_normalised_and_stored(client, db, token) -> None:  # noqa: ANN001
    payload = mutate(
        client,
        "createInitiative",
        {
            **VALID,
            "title": "  Cafe\u0301 safety  ",
            "summary": "First line.\nSecond line.",
            "countries": ["fr", "FR", " nl "],
            "languages": ["FR", "fra"],
            "harms": ["SOLICITATION", "CSAM-KNOWN", "SOLICITATION"],
            "links": [{"url": "https://www.inhope.org/EN", "label": " INHOPE "}],
        },
        token,
        SELECTION,
    )
    assert user_errors(payload) == []
    db.expire_all()
    row = db.get(Initiative, int(from_base64(payload["initiative"]["id"])[1]))
    assert (row.title, row.summary) == ("Caf\u00e9 safety", "First line.\nSecond line.")
    assert row.links == [{"label": "INHOPE", "url": "https://www.inhope.org/EN"}]
    codes = {(row["scheme"], row["code"]) for row in stored(db)["initiative_classification"]}
    assert codes == {
        ("country", "FR"),
        ("country", "NL"),
        ("language", "fr"),
        ("language", "fra"),
        ("harm", "SOLICITATION"),
        ("harm", "CSAM-KNOWN"),
    }


def test_joiners_that_scripts_and_emoji_need_are_kept(client, db, token) -> None:  # noqa: ANN001
    # Persian writes "می‌خواهم" with a zero-width non-joiner; a family emoji joins people with ZWJ.
    title = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \U0001f469\u200d\U0001f467"
    payload = mutate(client, "createInitiative", {**VALID, "title": title}, token, SELECTION)
    assert user_errors(payload) == []
    db.expire_all()
    assert db.get(Initiative, int(from_base64(payload["initiative"]["id"])[1])).title == title
