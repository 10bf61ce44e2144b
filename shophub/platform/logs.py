"""Log lines: JSON objects in production, readable text locally, each saying what it is about.

`configure_logging(app)` sets up the process through `logging.config.dictConfig` from
LOG_FORMAT (`json` or `text`; unset, `json` when SHOPHUB_ENV=production) and LOG_LEVEL
(default INFO). gunicorn gets the same lines from `gunicorn_logconfig_dict()` and
`ACCESS_LOG_FORMAT`, so web, worker and scheduler processes all write one format.

Two context variables say what a line is about: the request (`request_id`, also in the jobs a
request queued) and the order (`order`, its number, inside `about_order`). Lines never name a
person: messages carry order numbers and ids, and a filter replaces anything shaped like an
email address that slips through with `<email>`.
"""

import logging
import logging.config
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from pythonjsonlogger.json import JsonFormatter

from shophub.platform import production

JSON, TEXT = "json", "text"
LOG_FORMATS = (JSON, TEXT)
DEFAULT_LEVEL = "INFO"
HANDLER_NAME = "shophub"

# What a line is about, besides its message. JSON lines carry these fields and no others, so
# a record's `extra` (RQ puts a failed job's arguments there) never reaches the output.
CONTEXT_FIELDS = ("request_id", "order")
ACCESS_FIELDS = ("method", "path", "status", "bytes", "duration_ms", "remote_addr")
JOB_FIELDS = ("job_id", "queue")
EXTRA_FIELDS = CONTEXT_FIELDS + ACCESS_FIELDS + JOB_FIELDS

# gunicorn's access line: client address, method, path (the query string is left out: it may
# hold what a person typed), status, bytes sent, milliseconds and the response's request id.
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'

# Loggers that gunicorn, RQ and Flask give handlers of their own; configuring them without
# handlers sends their lines up to the root's handler, so that each is written once, as ours.
LOGGERS_WITH_OWN_HANDLERS = ("gunicorn.error", "gunicorn.access", "rq.worker", "rq.job",
                             "rq.scheduler", "rq.cron", "shophub")

EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
REDACTED_EMAIL = "<email>"

_request_id: ContextVar[str | None] = ContextVar("shophub_request_id", default=None)
_order: ContextVar[str | None] = ContextVar("shophub_order", default=None)
_applied: tuple[str, str] | None = None


# --- what a line is about ------------------------------------------------------------------

def current_request_id() -> str | None:
    """The id of the request (or of the request that queued the job) being served."""
    return _request_id.get()


def current_order() -> str | None:
    """The number of the order the current lines are about."""
    return _order.get()


@contextmanager
def for_request(request_id: str | None) -> Iterator[None]:
    """Lines logged inside carry `request_id`."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


@contextmanager
def about_order(number: str | None) -> Iterator[None]:
    """Lines logged inside carry the order's number (an order not numbered yet has none)."""
    token = _order.set(number)
    try:
        yield
    finally:
        _order.reset(token)


def job_context() -> dict[str, str]:
    """What a job queued now logs under: the current request id and order, those that are set."""
    context = {"request_id": _request_id.get(), "order": _order.get()}
    return {name: value for name, value in context.items() if value}


@contextmanager
def in_job_context(context: Mapping[str, Any] | None) -> Iterator[None]:
    """Lines logged inside carry the request id and order of `context` (from `job_context`).

    An empty or missing context (a job queued before request ids existed) changes nothing.
    """
    context = context or {}
    tokens = [(variable, variable.set(str(context[name])))
              for name, variable in (("request_id", _request_id), ("order", _order))
              if context.get(name)]
    try:
        yield
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


def redact(text: str) -> str:
    """`text` with every email address replaced by <email>."""
    return EMAIL_ADDRESS.sub(REDACTED_EMAIL, text)


# --- filters and formatters ----------------------------------------------------------------

class ContextFields(logging.Filter):
    """Give every record `request_id` and `order` from the context (None when there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the fields; never drops a record."""
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get()
        if getattr(record, "order", None) is None:
            record.order = _order.get()
        return True


class GunicornAccessFields(logging.Filter):
    """Lift gunicorn's access atoms (the record's args) into fields of their own, for JSON."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Turn a `gunicorn.access` record into fields and a short message; others pass as is."""
        atoms = record.args
        if record.name != "gunicorn.access" or not isinstance(atoms, Mapping):
            return True
        method = atoms.get("m")
        path = redact(str(atoms.get("U") or ""))
        status = _whole(atoms.get("s"))
        record.method, record.path, record.status = method, path, status
        record.bytes = atoms.get("B")
        record.duration_ms = _milliseconds(atoms.get("D"))
        record.remote_addr = atoms.get("h")
        record.request_id = atoms.get("{x-request-id}o") or getattr(record, "request_id", None)
        record.msg, record.args = f"{method} {path} {status}", ()
        return True


def _whole(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _milliseconds(microseconds: object) -> float | None:
    return round(microseconds / 1000, 1) if isinstance(microseconds, int) else None


class RedactEmails(logging.Filter):
    """Replace anything shaped like an email address in the final message with <email>."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the message; never drops a record."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken log call: the handler reports it as such
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class TextFormatter(logging.Formatter):
    """Readable lines: time, level, logger, [request id and order], message; tracebacks redacted."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(about)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The line, with what it is about in brackets when it is about something."""
        about = [f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS
                 if getattr(record, name, None)]
        record.about = f" [{' '.join(about)}]" if about else ""
        return super().format(record)

    def formatException(self, ei) -> str:
        """The traceback, redacted."""
        return redact(super().formatException(ei))


class JsonLineFormatter(JsonFormatter):
    """One JSON object a line: time, level, logger, message, the known fields, exc_info."""

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        """Only the named fields, so that nothing a caller put in `extra` is written."""
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds")
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                log_data[name] = value
        for name in ("exc_info", "stack_info"):
            if message_dict.get(name):
                log_data[name] = message_dict[name]

    def formatException(self, ei) -> str:
        """The traceback as one string, redacted."""
        return redact(logging.Formatter.formatException(self, ei))


# --- configuration -------------------------------------------------------------------------

def chosen_format(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """LOG_FORMAT when given, else json in production (SHOPHUB_ENV) and text elsewhere."""
    value = (explicit or "").strip().lower()
    if not value:
        return JSON if production.is_production(env) else TEXT
    if value not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be json or text, not {explicit!r}")
    return value


def chosen_level(explicit: str | None = None) -> str:
    """LOG_LEVEL's name in capitals (DEBUG, INFO, WARNING, ERROR, CRITICAL); INFO when unset."""
    value = (explicit or DEFAULT_LEVEL).strip().upper()
    if not isinstance(logging.getLevelName(value), int):
        raise ValueError(f"LOG_LEVEL must be a level name such as INFO, not {explicit!r}")
    return value


def logging_config(log_format: str = TEXT, level: str = DEFAULT_LEVEL) -> dict:
    """The dictConfig of a ShopHub process: one handler on the root, to stderr, in `log_format`."""
    json_lines = log_format == JSON
    filters = ["context", "gunicorn_access", "redact"] if json_lines else ["context", "redact"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": ContextFields},
            "gunicorn_access": {"()": GunicornAccessFields},
            "redact": {"()": RedactEmails},
        },
        "formatters": {HANDLER_NAME: {"()": JsonLineFormatter if json_lines else TextFormatter}},
        "handlers": {HANDLER_NAME: {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                    "formatter": HANDLER_NAME, "filters": filters}},
        "root": {"level": level, "handlers": [HANDLER_NAME]},
        "loggers": {name: {"handlers": [], "propagate": True}
                    for name in LOGGERS_WITH_OWN_HANDLERS},
    }


def gunicorn_logconfig_dict(env: Mapping[str, str] | None = None) -> dict:
    """gunicorn's `logconfig_dict`: its error and access lines in the app's format and level."""
    env = os.environ if env is None else env
    return logging_config(chosen_format(env.get("LOG_FORMAT"), env),
                          chosen_level(env.get("LOG_LEVEL")))


def configure(log_format: str, level: str) -> None:
    """Log in `log_format` from `level` up; a second call with the same settings does nothing."""
    global _applied
    installed = any(handler.name == HANDLER_NAME for handler in logging.getLogger().handlers)
    if _applied == (log_format, level) and installed:
        return
    logging.config.dictConfig(logging_config(log_format, level))
    _applied = (log_format, level)


def configure_logging(app: Flask) -> None:
    """Set up the process's logging from the app's LOG_FORMAT and LOG_LEVEL.

    Unless LOG_FORMAT is set, logging is left as it is for a testing app and where the root
    logger already has handlers of someone else's (pytest's capture, a host application's).
    """
    explicit = app.config.get("LOG_FORMAT")
    if not explicit and (app.testing or _configured_elsewhere()):
        return
    configure(chosen_format(explicit), chosen_level(app.config.get("LOG_LEVEL")))


def _configured_elsewhere() -> bool:
    return any(handler.name != HANDLER_NAME for handler in logging.getLogger().handlers)
