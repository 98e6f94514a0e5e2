"""Secrets kept out of the logs: the values of credential-bearing query parameters are redacted, and
so is the password of a URL (`postgresql://user:password@host/db`).

uvicorn's access log prints each request line with its query string, so a client that puts its
token in the URL (`?access_token=`, which the API never reads) or a link carrying a one-time
code would otherwise write the credential to every log that line reaches (SECURITY.md 26).
"""

import logging
import re
from urllib.parse import unquote_plus

SECRET_PARAMETERS = frozenset(
    {"access_token", "refresh_token", "code", "code_verifier", "client_secret", "password", "token"}
)
REDACTED = "[redacted]"
# A `name=value` pair of a query string: after `?`, `&` or `;`, up to the next separator.
_PAIR = re.compile(r"(?<=[?&;])([^=&;#\s\"'?]+)=([^&;#\s\"']*)")
# The password of a URL's user information: `scheme://user:` up to the last `@` before the host.
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)([^\s/?#]*)(@)")


def redact(text: str) -> str:
    """`text` with the value of every secret query parameter, and every URL's password, replaced by
    `[redacted]`."""
    if "://" in text:
        text = _URL_PASSWORD.sub(lambda match: f"{match.group(1)}{REDACTED}{match.group(3)}", text)
    if "=" not in text:
        return text

    def replace(pair: re.Match[str]) -> str:
        if unquote_plus(pair.group(1)).lower() in SECRET_PARAMETERS:
            return f"{pair.group(1)}={REDACTED}"
        return pair.group(0)

    return _PAIR.sub(replace, text)


def _redact_argument(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and string arguments before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_argument(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact_argument(value) for key, value in record.args.items()}
        return True


def _names() -> list[str]:
    """uvicorn's loggers and every `coplab` logger: a logger's filters see only its own records."""
    existing = [
        name for name in logging.Logger.manager.loggerDict if name == "coplab" or name.startswith("coplab.")
    ]
    return ["uvicorn", "uvicorn.access", "uvicorn.error", "coplab", *existing]


def install() -> None:
    """Add the filter to the loggers that may see a request's URL; idempotent. uvicorn's logging
    configuration replaces handlers but keeps loggers' filters, so the order does not matter."""
    for name in dict.fromkeys(_names()):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
    # Authlib logs every token it issues, refresh tokens included, at DEBUG ("Issue token {…}"):
    # that level never passes, even when an operator turns DEBUG on for everything.
    authlib = logging.getLogger("authlib")
    if authlib.level == logging.NOTSET or authlib.level < logging.INFO:
        authlib.setLevel(logging.INFO)
