"""The HTTP edge: everything between a request arriving and the API's routes, and
between their answer (or failure) and the client.

- `middleware`: request id, security headers, access line, metrics, body size cap;
- `errors`: how domain outcomes, invalid input, a database outage and bugs answer;
- `drain`: on SIGTERM, readiness fails before the server stops;
- `frontend`: the built admin UI, served from the API's own port.
"""

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.core.config import Settings
from app.edge.drain import Drain
from app.edge.errors import add_error_handlers
from app.edge.middleware import (
    REQUEST_ID_HEADER,
    BodySizeLimitMiddleware,
    EdgeMiddleware,
)
from app.observability.metrics import AppMetrics


def install_edge(
    app: FastAPI,
    settings: Settings,
    *,
    metrics: AppMetrics | None = None,
    drain: Drain | None = None,
) -> None:
    """Error handlers and middleware; call before the routes are added."""
    add_error_handlers(app)
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.MAX_REQUEST_BODY_BYTES
    )
    if settings.all_cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.all_cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[REQUEST_ID_HEADER, "Retry-After"],
        )
    app.add_middleware(EdgeMiddleware, metrics=metrics, drain=drain)
    if settings.TRUSTED_PROXIES:
        # Outermost: everything inside sees the real client address and scheme.
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=settings.TRUSTED_PROXIES
        )
