"""The process's log output: one line per record, as a JSON object (or plain text in development),
carrying the request id and the acting organisation of the request that logged it (docs/operations.md, Logs).

`coplab serve` and `coplab search worker` configure logging once, through `configure` or, for
uvicorn, `logging_config`; the application itself never touches the root logger, so a process that
builds apps (the tests) keeps its own logging.
"""

import contextvars
import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

from api.core.log_redaction import RedactSecrets
from api.core.settings import LogFormat, Settings

# Set by the RequestId middleware and, once the principal is known, by the GraphQL context; every
# record logged while a request is handled carries them. Outside a request they are None.
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
organisation_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("organisation", default=None)

# The loggers that write the server's output: coplab's own, uvicorn's (its access log included) and
# everything else through the root logger.
COPLAB_LOGGERS = ("coplab",)
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class RequestContext(logging.Filter):
    """Stamps each record with the request id and organisation of the context that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "organisation", None) is None:
            record.organisation = organisation_var.get()
        return True


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (ISO 8601, UTC), level, logger, message, request_id,
    organisation, pid (which of `--workers N` logged it), plus `exception` when the record carries one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "organisation": getattr(record, "organisation", None),
            "pid": record.process,
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The same fields as one readable line, for a developer's terminal."""

    def format(self, record: logging.LogRecord) -> str:
        context = f"request_id={getattr(record, 'request_id', None) or '-'}"
        organisation = getattr(record, "organisation", None)
        if organisation is not None:
            context += f" organisation={organisation}"
        text = f"{_timestamp(record)} {record.levelname:<7} {record.name} [{context}] {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + self.formatStack(record.stack_info)
        return text


FORMATTERS = {LogFormat.JSON: JsonFormatter, LogFormat.TEXT: TextFormatter}


def logging_config(settings: Settings) -> dict[str, Any]:
    """A `logging.config.dictConfig` configuration (uvicorn's `log_config` too): one handler on
    standard error, secrets redacted and the request context stamped on every record it writes."""
    formatter = FORMATTERS[settings.log_format]
    level = settings.log_level
    own = {"handlers": ["default"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "redact": {"()": RedactSecrets},
            "request_context": {"()": RequestContext},
        },
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                # Handler filters see every record the handler writes, whichever logger it came from.
                "filters": ["redact", "request_context"],
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {name: dict(own) for name in (*COPLAB_LOGGERS, *UVICORN_LOGGERS)},
    }


def configure(settings: Settings) -> None:
    """Configure the process's logging (for commands that do not run uvicorn, which applies
    `logging_config` itself)."""
    logging.config.dictConfig(logging_config(settings))
