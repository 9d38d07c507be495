"""What every answer gets on its way out: the request's id, the security headers, and
one access log line (with the id as a Sentry tag when Sentry is on).

One middleware rather than one per concern: each layer of ASGI middleware costs a
coroutine and a wrapped `send` on every request, a real share of a fast request.
"""

import time

import sentry_sdk
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logging import log_access
from app.request_id import HEADER, end_request, start_request
from app.security_headers import raw_security_headers

_REQUEST_ID_KEY = HEADER.lower().encode()


class EdgeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id, token = start_request(scope["headers"])
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
        end_request(token)
