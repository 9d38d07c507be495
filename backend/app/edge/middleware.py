"""What every request meets at the edge: its id (`X-Request-ID`), the security
headers on its answer, one access log line, and a cap on the body's size.

One middleware for the first three rather than one per concern: each layer of ASGI
middleware costs a coroutine and a wrapped `send` on every request, a real share of
a fast request.
"""

import json
import re
import time
import uuid

import sentry_sdk
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logging import bind_request_id, log_access, unbind_request_id

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode()
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

# The built UI loads its scripts, styles, fonts and images from its own origin and
# calls the API there. Inline styles stay allowed: UI libraries set them at run time.
APP_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# Swagger UI and ReDoc come from a CDN and start with an inline script.
DOCS_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "font-src 'self' https://fonts.gstatic.com",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    )
)
DOCS_PATHS = ("/docs", "/redoc")
HSTS = "max-age=63072000; includeSubDomains"


def security_headers(scope: Scope) -> dict[str, str]:
    """The headers every answer to this request should carry."""
    path: str = scope["path"]
    headers = {
        "Content-Security-Policy": DOCS_CSP if path.startswith(DOCS_PATHS) else APP_CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if scope.get("scheme") == "https":
        headers["Strict-Transport-Security"] = HSTS
    return headers


RawHeaders = tuple[tuple[bytes, bytes], ...]


def _raw(headers: dict[str, str]) -> RawHeaders:
    return tuple(
        (name.lower().encode(), value.encode()) for name, value in headers.items()
    )


# The four variants (docs or not, HTTPS or not), encoded once.
_RAW_VARIANTS = {
    (path, scheme): _raw(security_headers({"path": path, "scheme": scheme}))
    for path in ("/", DOCS_PATHS[0])
    for scheme in ("http", "https")
}


def raw_security_headers(scope: Scope) -> RawHeaders:
    """`security_headers`, as the (name, value) bytes an ASGI answer carries."""
    path = DOCS_PATHS[0] if scope["path"].startswith(DOCS_PATHS) else "/"
    scheme = "https" if scope.get("scheme") == "https" else "http"
    return _RAW_VARIANTS[path, scheme]


class RequestBodyTooLarge(HTTPException):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            status_code=413,
            detail=f"Request body too large: at most {max_bytes} bytes",
        )


class BodySizeLimitMiddleware:
    """Answer 413 to a body over `max_bytes`: declared up front, or found while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if (
            declared is not None
            and declared.isdigit()
            and int(declared) > self.max_bytes
        ):
            await self._refuse(send)
            return

        received = 0
        started = False

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI turns this into the 413 answer, like any HTTPException.
                    raise RequestBodyTooLarge(self.max_bytes)
            return message

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive_limited, send_tracked)
        except RequestBodyTooLarge:
            if started:
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": RequestBodyTooLarge(self.max_bytes).detail})
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})


def request_id_of(scope: Scope) -> str:
    """The client's `X-Request-ID` when sane, a new one otherwise."""
    given = next(
        (value for name, value in scope["headers"] if name == _REQUEST_ID_KEY), b""
    )
    text = given.decode("latin-1")
    return text if _VALID_REQUEST_ID.match(text) else uuid.uuid4().hex


class EdgeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        token = bind_request_id(request_id)
        if sentry_sdk.get_client().is_active():
            sentry_sdk.set_tag("request_id", request_id)
        defaults = raw_security_headers(scope)
        started = time.perf_counter()
        # An exception that escapes here becomes the server error handler's 500.
        status_code = 500

        async def send_at_edge(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                headers = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() != _REQUEST_ID_KEY
                ]
                present = {name.lower() for name, _ in headers}
                headers.append((_REQUEST_ID_KEY, request_id.encode()))
                # An answer that sets a header of its own (a CSP, say) keeps it.
                headers.extend(pair for pair in defaults if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_at_edge)
        finally:
            log_access(
                method=scope["method"],
                path=scope["path"],
                status=status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
        # Reset only on success: an exception goes on to the server error handler,
        # which runs outside this middleware and still needs the id. The request's
        # task, and with it this context, ends right after.
        unbind_request_id(token)
