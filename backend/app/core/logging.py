"""Server logs: one JSON object per line outside `local`, readable lines locally.

Every record logged while a request is handled carries that request's id, and each
request ends with one access line (`app.access`): method, path, status, duration_ms.
Uvicorn's own access log is silenced in favour of that line, so that it is not doubled.
"""

import json
import logging
import sys
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

from app.core.config import Settings

ACCESS_LOGGER = "app.access"
HANDLER_NAME = "app"
READABLE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

# Attributes every LogRecord has; anything else on a record came in through `extra=`
# and goes into the JSON, but for uvicorn's copy of its message with terminal colours.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__
) | {"message", "asctime", "taskName", "request_id", "color_message"}

access_logger = logging.getLogger(ACCESS_LOGGER)

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled (`X-Request-ID`), None outside one."""
    return _request_id.get()


def bind_request_id(request_id: str) -> Token[str | None]:
    return _request_id.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being handled (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES:
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


class ReadableFormatter(logging.Formatter):
    """`2026-01-31 12:00:00 INFO app.access [<request id>] GET / 200 1.2ms`"""

    def __init__(self) -> None:
        super().__init__(READABLE_FORMAT, datefmt="%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        if not getattr(record, "request_id", None):
            record.request_id = "-"
        return super().format(record)


def configure_logging(settings: Settings) -> None:
    """Send every logger's records through one stderr handler, in the environment's format.

    Safe to call again (each app the factory makes calls it): it replaces only its own
    handler, so handlers that others installed (pytest's, say) stay.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        ReadableFormatter() if settings.ENVIRONMENT == "local" else JsonFormatter()
    )
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == HANDLER_NAME:
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # Uvicorn's startup and error lines go through the same handler, in the same format.
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def log_access(*, method: str, path: str, status: int, duration_ms: float) -> None:
    """The one access line a request ends with."""
    access_logger.info(
        "%s %s %d %.2fms",
        method,
        path,
        status,
        duration_ms,
        extra={
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
        },
    )
