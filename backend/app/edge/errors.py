"""How failures become answers: one handler per kind, each with one meaning.

- a domain outcome (`app.exceptions`): its status code from `STATUS_CODES`;
- a rate limit exceeded: 429 with `Retry-After` (counted by rule);
- invalid input: FastAPI's 422, quoting the input back without secrets, and able to
  render any input (non-finite numbers, bytes, deep nesting, huge integers);
- the database unreachable or saturated: 503 with `Retry-After`;
- anything else is a bug: 500, logged with the request id, saying nothing internal.
"""

import json
import logging
import math
from typing import Any

import psycopg
from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout

from app.core.logging import current_request_id
from app.core.rate_limit import RateLimitExceeded
from app.edge.middleware import REQUEST_ID_HEADER, security_headers
from app.exceptions import DomainError, UnauthorizedError, status_code_of
from app.observability.metrics import count_rate_limit_refusal

logger = logging.getLogger(__name__)


async def domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = dict(exc.headers)
    if isinstance(exc, UnauthorizedError):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        status_code=status_code_of(exc), content={"detail": str(exc)}, headers=headers
    )


async def rate_limited(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimitExceeded)
    count_rate_limit_refusal(exc.rule.name)
    return JSONResponse(
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        content={"detail": str(exc)},
        headers={"Retry-After": str(exc.retry_after)},
    )


SECRET_MARKERS = ("password", "token")
# Deeper than this, a quoted input is cut short: the answer stays small and renderable.
MAX_QUOTED_DEPTH = 8
MAX_QUOTED_ITEMS = 50


def _quotable(value: Any, depth: int = 0) -> Any:
    """The input as JSON can carry it: non-finite numbers and integers too long to
    print become text, undecodable bytes and lone surrogates become U+FFFD, and deep
    or long structures are cut short."""
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogatepass")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        # As the client wrote it: `NaN`, `Infinity` (JSON has no such number).
        return value if math.isfinite(value) else json.dumps(value)
    if isinstance(value, int):
        return value if value.bit_length() <= 64 else "<integer too large>"
    if depth >= MAX_QUOTED_DEPTH:
        return "..."
    if isinstance(value, dict):
        items = list(value.items())[:MAX_QUOTED_ITEMS]
        return {str(_quotable(k, depth + 1)): _quotable(v, depth + 1) for k, v in items}
    if isinstance(value, list | tuple):
        return [_quotable(item, depth + 1) for item in value[:MAX_QUOTED_ITEMS]]
    return _quotable(str(value), depth)


async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, whatever the input was. A rejected password or token is not
    echoed back (nor into logs that keep bodies)."""
    assert isinstance(exc, RequestValidationError)
    shown = []
    for error in exc.errors():
        location = error.get("loc", ())
        names = [str(part).lower() for part in location]
        secret = any(marker in name for name in names for marker in SECRET_MARKERS)
        entry: dict[str, Any] = {
            "type": error.get("type"),
            "loc": [_quotable(part) for part in location],
            "msg": _quotable(error.get("msg", "")),
        }
        if "input" in error and not secret:
            entry["input"] = _quotable(error["input"])
        if error.get("ctx"):
            entry["ctx"] = _quotable(error["ctx"])
        shown.append(entry)
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": shown}
    )


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning(
        "Database unavailable during %s %s: %s",
        request.method,
        request.url.path,
        exc.__class__.__name__,
    )
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": "Database unavailable, please try again shortly"},
        headers={"Retry-After": "5"},
    )


async def unhandled_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug: log it with the request id; the body reveals nothing internal."""
    request_id = current_request_id()
    logger.error(
        "Unhandled error in %s %s (request id %s)",
        request.method,
        request.url.path,
        request_id,
        exc_info=exc,
    )
    # Starlette sends this answer from outside every middleware, so the headers
    # they add to other answers (request id, security headers) are set here.
    headers = dict(security_headers(request.scope))
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    return JSONResponse(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        content={"detail": "Internal server error", "request_id": request_id},
        headers=headers,
    )


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RateLimitExceeded, rate_limited)
    app.add_exception_handler(RequestValidationError, invalid_request)
    # Connection trouble is the database being down (503); any other error is a bug.
    for unavailable in (PoolTimeout, psycopg.OperationalError, psycopg.InterfaceError):
        app.add_exception_handler(unavailable, database_unavailable)
    app.add_exception_handler(psycopg.Error, unhandled_error)
    app.add_exception_handler(Exception, unhandled_error)
