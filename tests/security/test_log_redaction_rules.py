"""`redact`: which query-string parameters hold credentials (and a URL's password), and that only their
values are replaced in a logged line (tests/security/test_log_redaction.py checks that the server's logs
go through it)."""

import pytest

from api.core.log_redaction import REDACTED, redact


@pytest.mark.parametrize(
    ("logged", "expected"),
    [
        ("/graphql?access_token=abc", f"/graphql?access_token={REDACTED}"),
        ("/cb?state=s&code=abc&x=1", f"/cb?state=s&code={REDACTED}&x=1"),
        ("/t?refresh_token=a;code_verifier=b", f"/t?refresh_token={REDACTED};code_verifier={REDACTED}"),
        ("/t?client_secret=a&password=b&token=c", f"/t?client_secret={REDACTED}&password={REDACTED}&token={REDACTED}"),
        ("/t?access%5Ftoken=abc&Access_Token=def", f"/t?access%5Ftoken={REDACTED}&Access_Token={REDACTED}"),
        ("/t?barcode=1&tokens=2&postcode=3", "/t?barcode=1&tokens=2&postcode=3"),
        ("no query string at all", "no query string at all"),
        ("postgresql://coplab:p@ss@db:5432/c", f"postgresql://coplab:{REDACTED}@db:5432/c"),
        ("to postgres://coplab@db/c and sqlite:///var/c.db", "to postgres://coplab@db/c and sqlite:///var/c.db"),
    ],
)
def test_redact_replaces_only_the_values_of_secret_parameters(logged: str, expected: str) -> None:
    assert redact(logged) == expected
