"""One JSON object per log line, on standard error, for the app servers, the worker and the commands.

Every line carries the request id of the work it belongs to (a request, or a worker pass), so an
operator can follow one registration from its HTTP request to the email the worker sent. What we
log is chosen so that nothing secret reaches a line: routes are logged as their templates
(`/sign-in/link/{token}`), never as the path a person typed; no headers, bodies or query strings.
As a last guard, the configured secrets (BOOKING_SECRET_KEY, Stripe keys, the metrics token, the
SMTP password) are replaced by "[redacted]" should one ever appear in a message or a traceback.
"""

from __future__ import annotations

import logging
import logging.config
from urllib.parse import urlsplit

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from booking.observability.context import current_request_id

REDACTED = "[redacted]"
# Chatty libraries whose INFO lines say nothing an operator needs (httpx would log every Stripe call).
_QUIET = {
    "httpx": "WARNING",
    "httpcore": "WARNING",
    "asyncio": "WARNING",
    "aiosqlite": "WARNING",
    "stripe": "WARNING",
    "piccolo": "WARNING",
}


def configured_secrets() -> tuple[str, ...]:
    """The secret values of the settings this process runs with (none before settings are chosen)."""
    import booking.settings  # here: logging is configured before any settings are chosen

    settings = booking.settings._current  # never load settings from a log call
    if settings is None:
        return ()
    values = [settings.secret_key, settings.stripe_secret_key, settings.stripe_webhook_secret, settings.metrics_token]
    if settings.smtp_url:
        values.append(urlsplit(settings.smtp_url).password)
    if settings.database_kind == "postgresql":
        values.append(urlsplit(settings.database_url).password)
    return tuple(value for value in values if value and len(value) >= 6)


class JsonLogFormatter(JsonFormatter):
    """{"time", "level", "logger", "message", "request_id", ...extra fields, "traceback"}."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "traceback"},
            timestamp="time",
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],  # uvicorn's copy of the message with ANSI colours
        )

    def add_fields(self, log_data, record, message_dict) -> None:
        super().add_fields(log_data, record, message_dict)
        if not log_data.get("request_id"):
            request_id = current_request_id()
            if request_id:
                log_data["request_id"] = request_id
            else:
                log_data.pop("request_id", None)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in configured_secrets():
            if secret in line:
                line = line.replace(secret, REDACTED)
        return line


def logging_config(level: str = "INFO") -> dict:
    """A logging.config.dictConfig for the commands and for uvicorn's `log_config` (each server process applies it)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "booking.observability.logs.JsonLogFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # uvicorn's own lines go through the root handler; its access log is replaced by ours
            # (booking.requests: one line per request, with the route, person and request id).
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            **{name: {"level": quiet} for name, quiet in _QUIET.items()},
        },
    }


def configure_logging(level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(level))
