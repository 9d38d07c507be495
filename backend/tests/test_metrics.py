"""Metrics, read from the metrics port as Prometheus reads them.

The first test runs the production command (uvicorn, two workers) as a real server:
after a known series of requests, with each worker killed once on the way, the port
shows exactly that many answers per route template and status, summed over every
worker that ever served. The public port has no metrics. The others run the app in
this process, for what two workers would make uncertain (in-memory rate limits).
"""

import os
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.core import rate_limit
from app.main import create_app
from tests.conftest import FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD, make_settings
from tests.utils.balancer import HOST, instance_environment, start
from tests.utils.factories import API, login, random_email, random_password
from tests.utils.metrics import Samples, pids, scrape, series
from tests.utils.smtp import Mailbox, free_port

STARTUP_SECONDS = 60
ITEMS = f"{API}/items/"
ME = f"{API}/users/me"
LOGIN = f"{API}/login/access-token"
PASSWORD = "the-right-password"


def wait_for(
    condition: Callable[[], object], what: str, seconds: float = STARTUP_SECONDS
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


class TwoWorkers:
    """The production server command with two workers, and its metrics port."""

    def __init__(self, stack: ExitStack, env: dict[str, str], log: Path) -> None:
        self.port, self.metrics_port = free_port(), int(env["METRICS_PORT"])
        command = [
            *(sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app"),
            *("--workers", "2", "--host", HOST, "--port", str(self.port)),
        ]
        self.server = start(stack, "two workers", command, log, env)
        self.url = f"http://{HOST}:{self.port}"

    def workers(self) -> set[int]:
        return pids(scrape(self.metrics_port))

    def wait_for_workers(self, without: int | None = None) -> set[int]:
        """Both workers running and described, none of them `without`."""
        found: set[int] = set()

        def described() -> bool:
            nonlocal found
            found = self.workers()
            return len(found) == 2 and without not in found

        wait_for(described, "two workers on the metrics port")
        return found

    def send(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        """One request on a connection of its own, so that either worker may take it."""
        with httpx.Client(base_url=self.url, timeout=30) as client:
            return client.request(method, path, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def two_workers(
    database_url: str, smtp: tuple[int, Mailbox], tmp_path: Path
) -> Iterator[TwoWorkers]:
    settings = make_settings(database_url, smtp[0], METRICS_PORT=free_port())
    with ExitStack() as stack:
        server = TwoWorkers(stack, instance_environment(settings), tmp_path / "log")
        yield server


def test_each_answer_is_counted_once_by_route_template_and_status(
    two_workers: TwoWorkers,
) -> None:
    server = two_workers
    first = server.wait_for_workers()

    token = server.send(
        "POST",
        LOGIN,
        data={"username": FIRST_SUPERUSER, "password": FIRST_SUPERUSER_PASSWORD},
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    wrong = {"username": FIRST_SUPERUSER, "password": random_password()}
    assert [server.send("POST", LOGIN, data=wrong).status_code for _ in range(2)] == [
        401,
        401,
    ]
    assert [server.send("GET", ME, headers=auth).status_code for _ in range(4)] == [
        200
    ] * 4
    assert server.send("GET", ME).status_code == 401
    created = [
        server.send("POST", ITEMS, headers=auth, json={"title": "t"}) for _ in range(2)
    ]
    assert [response.status_code for response in created] == [201, 201]

    # Each worker dies once, the one serving the metrics among them: the counts of
    # a dead worker stay, and another worker serves the metrics in its place.
    for victim in sorted(first):
        os.kill(victim, signal.SIGKILL)
        server.wait_for_workers(without=victim)

    item = f"{ITEMS}{created[0].json()['id']}"
    assert [server.send("GET", item, headers=auth).status_code for _ in range(3)] == [
        200
    ] * 3
    for _ in range(2):
        assert (
            server.send("GET", f"{ITEMS}{uuid.uuid4()}", headers=auth).status_code
            == 404
        )
    assert server.send("GET", f"{ITEMS}not-an-id", headers=auth).status_code == 422
    # Unknown paths, each different: one series, not one per path.
    for _ in range(3):
        assert server.send("GET", f"{API}/no-such/{uuid.uuid4()}").status_code == 404
    # No metrics on the public port, to anyone.
    public = server.send("GET", "/metrics")
    assert public.status_code == 404
    assert "http_requests_total" not in public.text
    assert server.send("DELETE", "/health").status_code == 405
    assert server.send("GET", "/health").status_code == 200

    samples = scrape(server.metrics_port)
    answers = series(samples, "http_requests_total", "method", "route", "status")
    assert answers == {
        ("POST", LOGIN, "200"): 1,
        ("POST", LOGIN, "401"): 2,
        ("GET", ME, "200"): 4,
        ("GET", ME, "401"): 1,
        ("POST", ITEMS, "201"): 2,
        ("GET", f"{ITEMS}{{item_id}}", "200"): 3,
        ("GET", f"{ITEMS}{{item_id}}", "404"): 2,
        ("GET", f"{ITEMS}{{item_id}}", "422"): 1,
        ("GET", "unmatched", "404"): 4,
        ("DELETE", "/health", "405"): 1,
        ("GET", "/health", "200"): 1,
    }
    timed = series(samples, "http_request_duration_seconds_count", "method", "route")
    assert timed == {
        ("POST", LOGIN): 3,
        ("GET", ME): 5,
        ("POST", ITEMS): 2,
        ("GET", f"{ITEMS}{{item_id}}"): 6,
        ("GET", "unmatched"): 4,
        ("DELETE", "/health"): 1,
        ("GET", "/health"): 1,
    }
    assert series(samples, "login_failures_total", "reason") == {
        ("invalid_credentials",): 2
    }
    assert series(samples, "http_requests_in_flight") == {(): 0}
    # Two workers are described now, neither of them the first two.
    described = pids(samples)
    assert len(described) == 2 and not described & first
    cpu = series(samples, "process_cpu_seconds_total", "pid")
    assert set(cpu) == {(str(pid),) for pid in described}


def delta(before: Samples, after: Samples, name: str, label: str) -> dict[str, float]:
    """What a counter gained between two scrapes, by one label's value."""
    old = series(before, name, label)
    return {
        key[0]: value - old.get(key, 0)
        for key, value in series(after, name, label).items()
        if value != old.get(key, 0)
    }


def test_failed_logins_by_reason_refusals_by_rule_pool_and_process(
    database_url: str, smtp: tuple[int, Mailbox]
) -> None:
    port = free_port()
    settings = make_settings(
        database_url,
        smtp[0],
        METRICS_PORT=port,
        RATE_LIMIT_ENABLED=True,
        EMAIL_VERIFICATION_REQUIRED=True,
    )
    allowed = rate_limit.LOGIN_PER_ACCOUNT.limit.amount
    with TestClient(create_app(settings)) as client:
        wait_for(lambda: scrape(port), "the metrics port")
        admin = login(client, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
        accounts = {
            "inactive": {"is_active": False, "is_verified": True},
            "unverified": {"is_verified": False},
            "locked": {"is_verified": True},
        }
        emails = {}
        for name, fields in accounts.items():
            emails[name] = random_email()
            body = {"email": emails[name], "password": PASSWORD, **fields}
            created = client.post(f"{API}/users/", headers=admin.headers, json=body)
            assert created.status_code == 201, created.text
        before = scrape(port)

        attempts = [(emails["inactive"], PASSWORD), (emails["unverified"], PASSWORD)]
        attempts += [(emails["locked"], random_password())] * (allowed + 1)
        answers = [
            client.post(
                LOGIN, data={"username": email, "password": password}
            ).status_code
            for email, password in attempts
        ]
        middle = scrape(port)
        for _ in range(5):
            assert client.get(ME, headers=admin.headers).status_code == 200

        def pool_at_rest() -> bool:
            pool = series(scrape(port), "db_pool_connections", "state")
            size = settings.DATABASE_POOL_SIZE
            return pool.get(("in_use",)) == 0 and pool.get(("max",)) == size

        wait_for(pool_at_rest, "the pool's connections sampled", 5)
        after = scrape(port)

    assert answers == [403, 403, *[401] * allowed, 429]
    assert delta(before, after, "login_failures_total", "reason") == {
        "inactive": 1,
        "unverified": 1,
        "invalid_credentials": allowed,
    }
    assert delta(before, after, "rate_limit_refusals_total", "rule") == {
        rate_limit.LOGIN_PER_ACCOUNT.name: 1
    }
    # GET /users/me reads its caller in one statement: one pooled connection each.
    waits = series(after, "db_pool_wait_seconds_count")[()]
    assert waits - series(middle, "db_pool_wait_seconds_count")[()] == 5
    assert os.getpid() in pids(after)
    assert series(after, "python_gc_collections_total", "generation").keys() == {
        ("0",),
        ("1",),
        ("2",),
    }


def test_a_jobs_worker_serves_its_process_on_its_own_metrics_port(
    database_url: str, smtp: tuple[int, Mailbox], tmp_path: Path
) -> None:
    port = free_port()
    settings = make_settings(database_url, smtp[0], METRICS_PORT=port)
    with ExitStack() as stack:
        command = [sys.executable, "-m", "app.worker"]
        env = instance_environment(settings)
        worker = start(stack, "worker", command, tmp_path / "worker.log", env)
        pid = worker.process.pid
        wait_for(lambda: pids(scrape(port)) == {pid}, "the worker's metrics")
        samples = scrape(port)
        elsewhere = httpx.get(f"http://127.0.0.1:{port}/api/v1/users/me", timeout=10)

    memory = series(samples, "process_resident_memory_bytes", "pid")
    assert list(memory) == [(str(pid),)] and memory[(str(pid),)] > 0
    assert series(samples, "http_requests_total", "route") == {}
    assert elsewhere.status_code == 404  # the port serves /metrics and nothing else
