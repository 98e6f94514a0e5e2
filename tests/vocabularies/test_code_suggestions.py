"""An invalid code is refused with the value repeated and, where one is likely, the code meant:
in the message and in `suggestion`; nothing is stored."""

import pytest

from tests.factories import gid, mutate, stored

SELECTION = "initiative { id }"
ERRORS = "userErrors { field code message suggestion }"
VALID = {"title": "Notice and take-down", "status": "IMPLEMENTATION"}


@pytest.fixture
def inhope(make):  # noqa: ANN001, ANN201
    return make.organisation("inhope", stakeholder_type="HOTLINE", country="NL")


def _create(client, token: str, fields: dict) -> dict:  # noqa: ANN001
    from tests.factories import send_variables

    body = send_variables(client, "createInitiative", {**VALID, **fields}, token, f"{SELECTION} {ERRORS}")
    assert "errors" not in body, body
    return body["data"]["createInitiative"]


COUNTRIES = [
    ("UK", "GB", "'UK' is not an ISO 3166-1 alpha-2 country code. Did you mean 'GB'?"),
    ("EL", "GR", "'EL' is not an ISO 3166-1 alpha-2 country code. Did you mean 'GR'?"),
    ("FRA", "FR", "'FRA' is not an ISO 3166-1 alpha-2 country code. Did you mean 'FR'?"),
    ("France", "FR", "'France' is not an ISO 3166-1 alpha-2 country code. Did you mean 'FR'?"),
    ("united kingdom", "GB", "'united kingdom' is not an ISO 3166-1 alpha-2 country code. Did you mean 'GB'?"),
    ("XX", None, "'XX' is not an ISO 3166-1 alpha-2 country code."),
]
LANGUAGES = [
    ("fre", "fr", "'fre' is not an ISO 639 language code. Did you mean 'fr'?"),
    ("French", "fr", "'French' is not an ISO 639 language code. Did you mean 'fr'?"),
    ("en-GB", "en", "'en-GB' is not an ISO 639 language code. Did you mean 'en'?"),
    ("xx", None, "'xx' is not an ISO 639 language code."),
]
HARMS = [
    ("csam-known", "CSAM-KNOWN"),  # the code in another case
    ("Known child sexual abuse material", "CSAM-KNOWN"),  # the label typed instead of the code
    ("CSAM-KNOWM", "CSAM-KNOWN"),  # a typo
    ("NOT-A-HARM", None),
]


def test_countries_repeat_the_value_and_suggest_the_code(client, db, make, inhope) -> None:  # noqa: ANN001
    before = stored(db)
    payload = _create(client, make.token(inhope), {"countries": [value for value, _, _ in COUNTRIES]})
    assert payload["initiative"] is None
    assert payload["userErrors"] == [
        {"field": ["input", "countries", str(i)], "code": "INVALID_COUNTRY", "message": message, "suggestion": suggestion}
        for i, (_, suggestion, message) in enumerate(COUNTRIES)
    ]
    assert stored(db) == before


def test_languages_repeat_the_value_and_suggest_the_code(client, db, make, inhope) -> None:  # noqa: ANN001
    before = stored(db)
    payload = _create(client, make.token(inhope), {"languages": [value for value, _, _ in LANGUAGES]})
    assert payload["initiative"] is None
    assert payload["userErrors"] == [
        {"field": ["input", "languages", str(i)], "code": "INVALID_LANGUAGE", "message": message,
         "suggestion": suggestion}
        for i, (_, suggestion, message) in enumerate(LANGUAGES)
    ]
    assert stored(db) == before


def test_vocabulary_codes_repeat_the_value_and_suggest_the_code(client, db, make, inhope) -> None:  # noqa: ANN001
    before = stored(db)
    payload = _create(client, make.token(inhope), {"harms": [value for value, _ in HARMS], "status": "pipeline"})
    assert payload["initiative"] is None
    expected = [
        {"field": ["input", "status"], "code": "INVALID_CODE",
         "message": "'pipeline' is not a code of initiative-status. Did you mean 'PIPELINE'?", "suggestion": "PIPELINE"}
    ] + [
        {"field": ["input", "harms", str(i)], "code": "INVALID_CODE",
         "message": f"{value!r} is not a code of harm." + (f" Did you mean {suggestion!r}?" if suggestion else ""),
         "suggestion": suggestion}
        for i, (value, suggestion) in enumerate(HARMS)
    ]
    assert sorted(payload["userErrors"], key=str) == sorted(expected, key=str)
    assert stored(db) == before


def test_an_organisation_profile_gets_the_same_suggestions(client, db, make, inhope) -> None:  # noqa: ANN001
    before = stored(db)
    payload = mutate(
        client, "updateOrganisation",
        {"id": gid("Organisation", inhope.id), "stakeholderType": "hotline", "country": "UK"},
        make.token(inhope), "organisation { id } userErrors { suggestion }",
    )
    assert payload["organisation"] is None
    assert sorted((e["field"][-1], e["code"], e["suggestion"]) for e in payload["userErrors"]) == [
        ("country", "INVALID_COUNTRY", "GB"), ("stakeholderType", "INVALID_CODE", "HOTLINE")]
    assert stored(db) == before


def test_a_long_value_is_repeated_shortened(client, db, make, inhope) -> None:  # noqa: ANN001
    payload = _create(client, make.token(inhope), {"harms": ["X" * 200]})
    [error] = payload["userErrors"]
    assert error["message"] == f"'{'X' * 59}…' is not a code of harm."
    assert error["suggestion"] is None
