"""Server logs: one JSON object per line outside `local`, readable lines locally.

Every record logged while a request is handled carries that request's id (and, when
tracing is on, the trace and span ids it belongs to), and each request ends with one
access line (`app.access`, written by `app.edge.middleware`):
method, path, status, duration_ms. Uvicorn's own access log is silenced in favour of
that line, so that it is not doubled.
"""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from app.core.config import Settings

HANDLER_NAME = "app"

# Attributes every LogRecord has; anything else on a record came in through `extra=`
# and goes into the JSON, but for uvicorn's copy of its message with terminal colours.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__
) | {"message", "asctime", "taskName", "color_message"}

# The id of the request being handled (`X-Request-ID`), None outside one.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    """Stamp each record logged while a request is handled with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and (request_id := request_id_var.get()):
            record.request_id = request_id
        return True


class TraceContextFilter(logging.Filter):
    """Stamp each record logged inside a traced span with its trace and span ids, as
    the tracing backend shows them (32 and 16 hex digits). Installed only when tracing
    is on."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid and not hasattr(record, "trace_id"):
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        time = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, Any] = {
            "time": time.isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES:
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def configure_logging(settings: Settings) -> None:
    """Send every logger's records through one stderr handler, in the environment's format.

    Safe to call again (each app the factory makes calls it): it replaces only its own
    handler, so handlers that others installed (pytest's, say) stay.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    if settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        handler.addFilter(TraceContextFilter())
    if settings.ENVIRONMENT == "local":
        # `2026-01-31 12:00:00 INFO app.access [<request id>] GET / 200 1.2ms`
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
                datefmt="%Y-%m-%d %H:%M:%S",
                defaults={"request_id": "-"},
            )
        )
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == HANDLER_NAME:
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # Uvicorn's startup and error lines go through the same handler, in the same format.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
