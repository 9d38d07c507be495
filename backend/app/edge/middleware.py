"""What every request meets at the edge: its id (`X-Request-ID`), the security
headers on its answer, one access log line, its metrics, and a cap on the body's size.

One middleware for the first three rather than one per concern: each layer of ASGI
middleware costs a coroutine and a wrapped `send` on every request, a real share of
a fast request.
"""

import logging
import re
import time
import uuid
from collections.abc import Mapping

import sentry_sdk
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logging import request_id_var
from app.edge.drain import Drain
from app.observability.metrics import AppMetrics

access_logger = logging.getLogger("app.access")
ACCESS_LINE = "%(method)s %(path)s %(status)d %(duration_ms).2fms"
REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

# The built UI loads its scripts, styles, fonts and images from its own origin and
# calls the API there. Inline styles stay allowed: UI libraries set them at run time.
APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc come from a CDN and start with an inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net "
    "https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "font-src 'self' https://fonts.gstatic.com; worker-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
HSTS = {"Strict-Transport-Security": "max-age=63072000; includeSubDomains"}
# One set per variant, (docs page, HTTPS), built once.
_SECURITY_HEADERS = {
    (docs, https): {
        "Content-Security-Policy": DOCS_CSP if docs else APP_CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        **(HSTS if https else {}),
    }
    for docs in (False, True)
    for https in (False, True)
}


def security_headers(scope: Scope) -> Mapping[str, str]:
    """The headers every answer to this request should carry."""
    return _SECURITY_HEADERS[
        scope["path"].startswith(DOCS_PATHS), scope.get("scheme") == "https"
    ]


class BodySizeLimitMiddleware:
    """Answer 413 to a body over `max_bytes`: declared up front, or found while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.detail = f"Request body too large: at most {max_bytes} bytes"
        self.refusal = JSONResponse(
            {"detail": self.detail}, 413, headers={"Connection": "close"}
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self.refusal(scope, receive, send)
            return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # The route's exception handling answers 413, as for any
                    # HTTPException (the route is what reads the body).
                    raise HTTPException(413, self.detail)
            return message

        await self.app(scope, receive_limited, send)


class EdgeMiddleware:
    """`metrics` (when on) counts each request; while `drain` drains, answers close
    their connection."""

    def __init__(
        self, app: ASGIApp, metrics: AppMetrics | None, drain: Drain | None
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The client's id when sane, a new one otherwise.
        given = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = given if _VALID_REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        if sentry_sdk.get_client().is_active():
            sentry_sdk.set_tag("request_id", request_id)
        defaults = security_headers(scope)
        metrics, drain = self.metrics, self.drain
        started = time.perf_counter()
        if metrics is not None:
            metrics.request_started()
        # An exception that escapes here becomes the server error handler's 500.
        status_code = 500

        async def send_at_edge(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                # An answer that sets a header of its own (a CSP, say) keeps it.
                for name, value in defaults.items():
                    headers.setdefault(name, value)
                if drain is not None and drain.draining:
                    headers["Connection"] = "close"
            await send(message)

        try:
            await self.app(scope, receive, send_at_edge)
        finally:
            seconds = time.perf_counter() - started
            if metrics is not None:
                metrics.request_finished(scope, status_code, seconds)
            duration_ms = round(seconds * 1000, 2)
            line = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status_code,
                "duration_ms": duration_ms,
            }
            access_logger.info(ACCESS_LINE, line, extra=line)
        # Reset only on success: an exception goes on to the server error handler,
        # which runs outside this middleware and still needs the id. The request's
        # task, and with it this context, ends right after.
        request_id_var.reset(token)
