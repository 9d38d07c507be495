"""Server logs: what one request prints, in production (JSON) and locally (readable).

Each test builds its own app (the factory installs the log handler on stderr, which
pytest captures), and puts the previous logging setup back afterwards.
"""

import gzip
import json
import logging
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.conftest import make_settings
from tests.utils.smtp import Mailbox

JSON_ACCESS_KEYS = {
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "method",
    "path",
    "status",
    "duration_ms",
}


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def app_for(
    database_url: str,
    smtp: tuple[int, Mailbox],
    tmp_path: Path,
    **overrides: object,
) -> FastAPI:
    # An empty FRONTEND_DIST: no UI catch-all route, so the test's own route is reached.
    settings: Settings = make_settings(
        database_url, smtp[0], FRONTEND_DIST=tmp_path, **overrides
    )
    app = create_app(settings)

    async def fail() -> None:
        raise RuntimeError("boom from the test route")

    app.add_api_route("/test-failure", fail, tags=["test"])
    return app


def json_lines(stderr: str) -> list[dict[str, Any]]:
    """Every line must be one JSON object."""
    return [json.loads(line) for line in stderr.splitlines()]


def from_logger(entries: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [entry for entry in entries if entry["logger"] == name]


def test_production_prints_one_json_access_line_per_request(
    database_url: str,
    smtp: tuple[int, Mailbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = app_for(database_url, smtp, tmp_path, ENVIRONMENT="production")
    with TestClient(app) as client:
        capsys.readouterr()
        response = client.get("/health", headers={"X-Request-ID": "probe-1"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "probe-1"

    access = from_logger(json_lines(capsys.readouterr().err), "app.access")
    assert len(access) == 1
    entry = access[0]
    assert set(entry) == JSON_ACCESS_KEYS
    assert entry["level"] == "INFO"
    assert entry["method"] == "GET"
    assert entry["path"] == "/health"
    assert entry["status"] == 200
    assert entry["request_id"] == "probe-1"
    assert isinstance(entry["duration_ms"], float)
    assert entry["duration_ms"] >= 0
    assert entry["message"] == f"GET /health 200 {entry['duration_ms']:.2f}ms"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])


def test_a_generated_request_id_is_echoed_and_logged(
    database_url: str,
    smtp: tuple[int, Mailbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = app_for(database_url, smtp, tmp_path, ENVIRONMENT="staging")
    with TestClient(app) as client:
        capsys.readouterr()
        response = client.get("/api/v1/utils/ready/", params={"token": "secret"})
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)

    access = from_logger(json_lines(capsys.readouterr().err), "app.access")
    assert len(access) == 1
    assert access[0]["request_id"] == request_id
    # The path only: query strings can carry secrets.
    assert access[0]["path"] == "/api/v1/utils/ready/"
    assert "secret" not in access[0]["message"]


def test_an_unhandled_error_is_logged_with_the_request_id(
    database_url: str,
    smtp: tuple[int, Mailbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = app_for(database_url, smtp, tmp_path, ENVIRONMENT="production")
    with TestClient(app, raise_server_exceptions=False) as client:
        capsys.readouterr()
        response = client.get("/test-failure", headers={"X-Request-ID": "fail-7"})
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Internal server error",
        "request_id": "fail-7",
    }

    entries = json_lines(capsys.readouterr().err)
    errors = [entry for entry in entries if entry["level"] == "ERROR"]
    assert len(errors) == 1
    error = errors[0]
    assert error["logger"] == "app.edge.errors"
    assert error["request_id"] == "fail-7"
    assert (
        error["message"] == "Unhandled error in GET /test-failure (request id fail-7)"
    )
    assert error["exc_info"].endswith("RuntimeError: boom from the test route")
    access = from_logger(entries, "app.access")
    assert [(a["status"], a["request_id"]) for a in access] == [(500, "fail-7")]


def test_local_prints_readable_lines(
    database_url: str,
    smtp: tuple[int, Mailbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = app_for(database_url, smtp, tmp_path, ENVIRONMENT="local")
    with TestClient(app) as client:
        capsys.readouterr()
        response = client.post("/health", headers={"X-Request-ID": "local-1"})
    assert response.status_code == 405

    lines = [
        line for line in capsys.readouterr().err.splitlines() if " app.access " in line
    ]
    assert len(lines) == 1
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO app\.access \[local-1\] "
        r"POST /health 405 \d+\.\d\dms",
        lines[0],
    )


class SentrySink:
    """An HTTP server that keeps the events of the Sentry envelopes posted to it."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        events = self.events

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                lines = body.split(b"\n")
                # An envelope: a header line, then (item header, item payload) pairs.
                for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                    if json.loads(header).get("type") == "event":
                        events.append(json.loads(payload))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.server.server_address[1]}/1"


@pytest.fixture
def sentry_sink() -> Iterator[SentrySink]:
    sink = SentrySink()
    sink.thread.start()
    yield sink
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.get_global_scope().set_client(None)
    sink.server.shutdown()
    sink.server.server_close()


def test_errors_reach_sentry_tagged_with_the_request_id(
    database_url: str,
    smtp: tuple[int, Mailbox],
    tmp_path: Path,
    sentry_sink: SentrySink,
) -> None:
    app = app_for(
        database_url,
        smtp,
        tmp_path,
        ENVIRONMENT="production",
        SENTRY_DSN=sentry_sink.dsn,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/test-failure", headers={"X-Request-ID": "sentry-42"})
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)

    assert len(sentry_sink.events) == 1
    event = sentry_sink.events[0]
    assert event["tags"]["request_id"] == "sentry-42"
    assert event["environment"] == "production"
    assert event["exception"]["values"][-1]["value"] == "boom from the test route"
