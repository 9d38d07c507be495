"""Traces, as a collector receives them: a real OTLP/HTTP receiver in this process,
the app under a real uvicorn sending to it, and the app's JSON log lines beside.
"""

import json
import logging
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from app.core.db import libpq_url
from app.main import create_app
from tests.conftest import FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD, make_settings
from tests.test_jobs import worker_process
from tests.utils.factories import API
from tests.utils.live_server import live_server
from tests.utils.otlp import ReceivedSpan, otlp_receiver
from tests.utils.smtp import Mailbox

# Span kinds (SPAN_KIND_SERVER, SPAN_KIND_CLIENT, SPAN_KIND_CONSUMER).
SERVER, CLIENT, CONSUMER = 2, 3, 5


def job_states(database_url: str, trace_id: str) -> list[str]:
    """The states of the jobs queued within this trace."""
    return [
        row["status"]
        for row in jobs_of(database_url)
        if trace_id in row["args"].get("traceparent", "")
    ]


def jobs_of(database_url: str) -> list[dict[str, Any]]:
    with psycopg.connect(libpq_url(database_url), row_factory=dict_row) as connection:
        return connection.execute(
            "SELECT id, args, status FROM procrastinate_jobs"
        ).fetchall()


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def access_line(stderr: str, request_id: str) -> dict[str, Any]:
    entries = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    [line] = [
        entry
        for entry in entries
        if entry["logger"] == "app.access" and entry.get("request_id") == request_id
    ]
    return line


def server_span(spans: list[ReceivedSpan]) -> ReceivedSpan:
    [span] = [span for span in spans if span.kind == SERVER]
    return span


def test_a_request_is_traced_from_its_route_to_the_database_and_smtp(
    database_url: str,
    smtp: tuple[int, Mailbox],
    capsys: pytest.CaptureFixture[str],
) -> None:
    mailbox = smtp[1]
    mailbox.clear()
    with otlp_receiver() as receiver:
        settings = make_settings(
            database_url,
            smtp[0],
            ENVIRONMENT="staging",  # JSON log lines, as in production
            EMAIL_VERIFICATION_REQUIRED=False,
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url,
            # The email goes out from a jobs worker in the server's process.
            JOBS_WORKER_IN_PROCESS=True,
        )
        with live_server(create_app(settings)) as base_url:
            with httpx.Client(base_url=base_url, timeout=30) as client:
                form = {
                    "username": FIRST_SUPERUSER,
                    "password": FIRST_SUPERUSER_PASSWORD,
                }
                token = client.post(f"{API}/login/access-token", data=form).json()
                auth = {"Authorization": f"Bearer {token['access_token']}"}
                item = client.post(
                    f"{API}/items/", headers=auth, json={"title": "traced"}
                )
                assert item.status_code == 201
                read = client.get(
                    f"{API}/items/{item.json()['id']}",
                    headers={**auth, "X-Request-ID": "read-the-item"},
                )
                assert read.status_code == 200
                recovery = client.post(
                    f"{API}/password-recovery",
                    json={"email": FIRST_SUPERUSER},
                    headers={"X-Request-ID": "recover-a-password"},
                )
                assert recovery.status_code == 200
                deadline = time.monotonic() + 30
                # `received`, not `messages`: reading those would run the job here.
                while not mailbox.received:
                    assert time.monotonic() < deadline, "no email was sent"
                    time.sleep(0.05)
        # The server has stopped: its last spans were sent as it did.
        stderr = capsys.readouterr().err

    assert mailbox.only()["To"] == FIRST_SUPERUSER
    assert receiver.paths and set(receiver.paths) == {"/v1/traces"}

    logged = access_line(stderr, "read-the-item")
    spans = receiver.trace(logged["trace_id"])
    request = server_span(spans)
    assert request.name == "GET /api/v1/items/{item_id}"
    assert request.attributes["http.route"] == "/api/v1/items/{item_id}"
    assert request.attributes["http.response.status_code"] == 200
    assert request.service == settings.PROJECT_NAME
    assert logged["span_id"] == request.span_id
    # The item, read with its caller's session check in one round trip.
    [query] = [span for span in spans if span is not request]
    assert query.name == "SELECT"
    assert query.parent_span_id == request.span_id
    assert query.kind == CLIENT
    assert query.attributes["db.system"] == "postgresql"
    statement = query.attributes["db.statement"]
    assert 'FROM "user" JOIN user_session' in statement
    assert "LEFT OUTER JOIN item ON item.id = %(row_id)s" in statement  # no values

    logged = access_line(stderr, "recover-a-password")
    spans = receiver.trace(logged["trace_id"])
    request = server_span(spans)
    assert request.name == "POST /api/v1/password-recovery"
    # The job the request queued ran later, in the worker, under the request's span:
    # its database round trips and the email's SMTP send are inside its own span.
    [job] = [span for span in spans if span.kind == CONSUMER]
    assert job.name == "process send_email"
    assert job.parent_span_id == request.span_id
    [job_id] = [
        row["id"]
        for row in jobs_of(database_url)
        if row["args"]["to"] == FIRST_SUPERUSER
    ]
    assert job.attributes == {
        "messaging.system": "procrastinate",
        "messaging.operation.type": "process",
        "messaging.destination.name": "email",
        "messaging.message.id": str(job_id),
    }
    [sent] = [span for span in receiver.spans if span.name == "smtp send"]
    assert sent.trace_id == logged["trace_id"]
    assert sent.parent_span_id == job.span_id
    assert sent.kind == CLIENT
    assert sent.attributes == {"server.address": "127.0.0.1", "server.port": smtp[0]}
    assert sent.service == settings.PROJECT_NAME
    # The user read, then the send claimed in a transaction around the SMTP send.
    in_job = [span for span in spans if span.parent_span_id == job.span_id]
    assert sorted(span.name for span in in_job) == sorted(
        ["SELECT", "BEGIN", "INSERT", "smtp send", "COMMIT"]
    )


def test_a_job_run_by_a_worker_of_its_own_joins_the_trace_that_queued_it(
    database_url: str, smtp: tuple[int, Mailbox]
) -> None:
    mailbox = smtp[1]
    mailbox.clear()
    trace_id, caller_span = "ab" * 16, "cd" * 8
    with otlp_receiver() as receiver:
        settings = make_settings(
            database_url,
            smtp[0],
            EMAIL_VERIFICATION_REQUIRED=False,
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url,
        )
        # The API only queues the email: no worker runs in its process.
        with live_server(create_app(settings)) as base_url:
            recovery = httpx.post(
                f"{base_url}{API}/password-recovery",
                json={"email": FIRST_SUPERUSER},
                headers={"traceparent": f"00-{trace_id}-{caller_span}-01"},
                timeout=30,
            )
            assert recovery.status_code == 200
        # The job waits for a worker (`received`: reading `messages` would run it).
        assert job_states(database_url, trace_id) == ["todo"]
        with worker_process(settings) as worker:
            deadline = time.monotonic() + 60
            while not mailbox.received:
                assert time.monotonic() < deadline, "the worker sent no email"
                time.sleep(0.05)
            # Stopped gracefully, the worker sends its last spans on its way out.
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=30) == 0

    [sent_email] = mailbox.received
    assert sent_email["To"] == FIRST_SUPERUSER
    assert job_states(database_url, trace_id) == ["succeeded"]
    spans = receiver.trace(trace_id)
    request = server_span(spans)
    assert request.name == "POST /api/v1/password-recovery"
    assert request.parent_span_id == caller_span
    [job] = [span for span in spans if span.kind == CONSUMER]
    assert job.name == "process send_email"
    assert job.parent_span_id == request.span_id
    [sent] = [span for span in spans if span.name == "smtp send"]
    assert sent.parent_span_id == job.span_id
    assert {span.service for span in spans} == {settings.PROJECT_NAME}
