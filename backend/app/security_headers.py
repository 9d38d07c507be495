"""Hardening at the HTTP edge: security headers on every answer (added by
`app.edge.EdgeMiddleware`), a cap on body size."""

import json

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
