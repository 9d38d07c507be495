"""Unexpected errors: a bare 500 for the client, the details for the logs and Sentry.

Sentry is faked at the protocol level: a local HTTP server stands in for its ingest
endpoint and keeps every envelope the SDK posts.
"""

import gzip
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any

import pytest
import sentry_sdk
from fastapi import Body, FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.conftest import make_settings

ERROR_ROUTE = "/sentry-test-error"
SECRET_DETAIL = "database password is hunter2"
# An access token, a refresh cookie, and a password and a token in a JSON body.
CREDENTIALS = (
    "access-token-c0ffee",
    "refresh-cookie-c0ffee",
    "new-password-c0ffee",
    "refresh-body-c0ffee",
)


@dataclass
class SentrySink:
    """What a Sentry server would have received: one entry per POSTed envelope."""

    port: int
    envelopes: list[tuple[str, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def items(self) -> list[tuple[dict[str, Any], bytes]]:
        with self.lock:
            return [item for _, body in self.envelopes for item in parse_envelope(body)]

    def events(self) -> list[dict[str, Any]]:
        return [
            json.loads(payload)
            for header, payload in self.items()
            if header.get("type") == "event"
        ]


def parse_envelope(body: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """Split a Sentry envelope into (item header, payload) pairs."""
    _, _, rest = body.partition(b"\n")
    items = []
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        if "length" in header:
            payload, rest = rest[: header["length"]], rest[header["length"] :]
            rest = rest.removeprefix(b"\n")
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append((header, payload))
    return items


@pytest.fixture
def sentry_sink() -> Iterator[SentrySink]:
    sink = SentrySink(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            with sink.lock:
                sink.envelopes.append((self.path, body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def staging_app(
    database_url: str,
    settings: Settings,
    sentry_sink: SentrySink,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FastAPI]:
    """The app as deployed to staging, reporting to the sink, plus a route that fails."""
    for name in ("SENTRY_DSN", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    staging = make_settings(
        database_url,
        settings.SMTP_PORT,
        ENVIRONMENT="staging",
        SENTRY_DSN=f"http://publickey@127.0.0.1:{sentry_sink.port}/1",
    )
    app = create_app(staging)

    # POST, so a catch-all GET route of the bundled UI cannot shadow it; it reads a
    # JSON body, as the routes that handle passwords and tokens do.
    @app.post(ERROR_ROUTE, tags=["test"])
    async def fail(_body: Annotated[dict[str, str] | None, Body()] = None) -> None:
        raise RuntimeError(SECRET_DETAIL)

    try:
        yield app
    finally:
        # Leave no Sentry client behind for the tests that follow.
        sentry_sdk.flush(timeout=5)
        sentry_sdk.get_client().close(timeout=5)
        sentry_sdk.get_global_scope().set_client(None)
        assert not sentry_sdk.get_client().is_active()


def assert_bare_500(response: Any, request_id: str) -> None:
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == request_id
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "detail": "Internal server error",
        "request_id": request_id,
    }
    for internal in ("RuntimeError", SECRET_DETAIL, "Traceback", "fail"):
        assert internal not in response.text


def test_unhandled_error_is_a_bare_500_reported_to_sentry(
    staging_app: FastAPI, sentry_sink: SentrySink, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(staging_app, raise_server_exceptions=False) as client:
        response = client.post(
            ERROR_ROUTE,
            headers={
                "Authorization": f"Bearer {CREDENTIALS[0]}",
                "Cookie": f"refresh_token={CREDENTIALS[1]}",
            },
            json={"new_password": CREDENTIALS[2], "refresh_token": CREDENTIALS[3]},
        )

    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    assert_bare_500(response, request_id)

    logged = [
        record
        for record in caplog.records
        if record.name == "app.edge.errors" and record.levelno >= logging.ERROR
    ]
    assert len(logged) == 1
    assert request_id in logged[0].getMessage()
    assert logged[0].exc_info is not None
    assert isinstance(logged[0].exc_info[1], RuntimeError)

    assert sentry_sdk.flush(timeout=5) is None
    assert sentry_sink.envelopes, "Sentry received nothing"
    assert all(path == "/api/1/envelope/" for path, _ in sentry_sink.envelopes)
    assert any(b"RuntimeError" in body for _, body in sentry_sink.envelopes)
    events = [
        event
        for event in sentry_sink.events()
        if any(
            value["type"] == "RuntimeError"
            for value in event.get("exception", {}).get("values", [])
        )
    ]
    assert len(events) == 1, [event.get("logger") for event in sentry_sink.events()]
    event = events[0]
    assert event["environment"] == "staging"
    assert event["tags"]["request_id"] == request_id
    assert event["exception"]["values"][-1]["value"] == SECRET_DETAIL
    # Credentials, wherever the request carried them, never leave for Sentry.
    all_sent = b"".join(body for _, body in sentry_sink.envelopes)
    for credential in CREDENTIALS:
        assert credential.encode() not in all_sent


def test_client_supplied_request_id_is_kept_on_the_500(
    staging_app: FastAPI, sentry_sink: SentrySink
) -> None:
    with TestClient(staging_app, raise_server_exceptions=False) as client:
        response = client.post(ERROR_ROUTE, headers={"X-Request-ID": "trace-me.42"})

    assert_bare_500(response, "trace-me.42")
    sentry_sdk.flush(timeout=5)
    assert any(b"RuntimeError" in body for _, body in sentry_sink.envelopes)


def test_ordinary_errors_are_not_reported(
    staging_app: FastAPI, sentry_sink: SentrySink
) -> None:
    with TestClient(staging_app, raise_server_exceptions=False) as client:
        not_found = client.get("/api/v1/users/me")
        invalid = client.post("/api/v1/login/access-token", data={})

    assert not_found.status_code == 401
    assert invalid.status_code == 422
    sentry_sdk.flush(timeout=5)
    assert sentry_sink.events() == []
