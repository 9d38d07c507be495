"""A rolling restart under load, without a failed request.

Two app instances (uvicorn processes) behind Debian's nginx, with what Kubernetes does
for a Service played by the test: a watcher asks each instance's readiness every
100 ms and gives nginx only the ready ones (a new upstream list and a reload), as the
endpoints controller and the ingress controller do. Clients send reads and writes
through nginx all along, while each instance in turn gets SIGTERM, stops and is started
again. The drain (app/edge/drain.py) is what makes it work: readiness fails the moment
SIGTERM comes, the instance serves for SHUTDOWN_DRAIN_SECONDS more, long enough for the
watcher to take it out, and only then stops accepting connections.
"""

import os
import signal
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from app.core.config import Settings
from tests.conftest import FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD, make_settings
from tests.test_balancer import NGINX_MISSING
from tests.utils.balancer import (
    HOST,
    NGINX,
    Instance,
    Server,
    instance_environment,
    nginx_config,
    start,
    uvicorn_command,
)
from tests.utils.factories import API
from tests.utils.smtp import Mailbox, free_port

DRAIN_SECONDS = 2.0
WATCH_SECONDS = 0.1
PROBE_SECONDS = 0.02
CLIENTS = 4
PACE_SECONDS = 0.02  # between one client's requests
READY = f"{API}/utils/ready/"


def ready(instance: Instance) -> bool:
    try:
        answer = httpx.get(f"http://{instance.address}{READY}", timeout=1)
    except httpx.TransportError:
        return False
    return answer.status_code == 200


@dataclass
class Balancer:
    """nginx in front of the instances the watcher finds ready."""

    folder: Path
    port: int
    nginx: Server
    upstreams: list[tuple[float, tuple[str, ...]]] = field(default_factory=list)

    def route_to(self, instances: list[Instance]) -> None:
        config = self.folder / "nginx.conf"
        config.write_text(nginx_config(self.folder, self.port, tuple(instances)))
        self.nginx.process.send_signal(signal.SIGHUP)  # reload, gracefully
        names = tuple(instance.name for instance in instances)
        self.upstreams.append((time.monotonic(), names))


class Watcher(threading.Thread):
    """The endpoints controller: only ready instances receive requests."""

    def __init__(self, balancer: Balancer, instances: list[Instance]) -> None:
        super().__init__(daemon=True)
        self.balancer, self.instances = balancer, instances
        self.routed = list(instances)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(WATCH_SECONDS):
            found = [instance for instance in self.instances if ready(instance)]
            if found and found != self.routed:
                self.balancer.route_to(found)
                self.routed = found

    def wait_routed(self, instances: list[Instance], seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while self.routed != instances:
            assert time.monotonic() < deadline, f"still routed to {self.routed}"
            time.sleep(0.05)


@dataclass
class Load:
    """Clients reading and writing through the balancer, every answer kept."""

    url: str
    headers: dict[str, str]
    answers: list[int | str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def client(self, number: int) -> None:
        # A connection per request: the stand-in balancer changes its upstreams by
        # reloading nginx, and a reload closes idle kept-alive client connections, a
        # race with the client's next request that any nginx reload has and that
        # says nothing of the app (ingress controllers change upstreams without one).
        no_keepalive = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(
            base_url=self.url, headers=self.headers, timeout=30, limits=no_keepalive
        ) as http:
            sent = 0
            # Steady, not saturating: the instances must start again meanwhile.
            while not self.stopping.wait(PACE_SECONDS) and sent < 20_000:
                sent += 1
                try:
                    if sent % 2:
                        answer = http.get(f"{API}/users/me")
                    else:
                        body = {"title": f"client {number}, request {sent}"}
                        answer = http.post(f"{API}/items/", json=body)
                except httpx.TransportError as exc:
                    self.answers.append(type(exc).__name__)
                    continue
                self.answers.append(answer.status_code)
                if answer.status_code == 201:
                    self.confirmed.append(answer.json()["id"])


@dataclass
class Stop:
    """What one instance did after its SIGTERM (sent at `sent`, a monotonic time),
    seen from outside, in seconds after it."""

    sent: float
    not_ready: float  # its readiness first answered 503
    refused: float  # it first refused a connection
    exited: float
    returncode: int


def stop_and_watch(server: Server, instance: Instance) -> Stop:
    """SIGTERM, then ask the instance directly what it does, until it has exited."""
    url = f"http://{instance.address}{READY}"
    not_ready = refused = None
    sent = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    while server.process.poll() is None or refused is None:
        now = time.monotonic() - sent
        try:
            status = httpx.get(url, timeout=10).status_code
        except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError):
            # Refused, or reset: accepted by the kernel as the server closed its socket.
            refused = now if refused is None else refused
        else:
            if status == 503 and not_ready is None:
                not_ready = now
        assert now < 30, "the instance did not stop"
        time.sleep(PROBE_SECONDS)
    exited = time.monotonic() - sent
    assert not_ready is not None and refused is not None
    return Stop(sent, not_ready, refused, exited, server.process.returncode)


@pytest.fixture
def settings(database_url: str, smtp: tuple[int, Mailbox]) -> Settings:
    return make_settings(database_url, smtp[0], SHUTDOWN_DRAIN_SECONDS=DRAIN_SECONDS)


def test_restarting_each_instance_in_turn_fails_no_request(
    settings: Settings, tmp_path: Path, db_connection: psycopg.Connection
) -> None:
    if not os.access(NGINX, os.X_OK):
        pytest.fail(NGINX_MISSING, pytrace=False)
    env = instance_environment(settings)
    instances = [Instance("one", free_port()), Instance("two", free_port())]
    with ExitStack() as stack:

        def launch(instance: Instance, run: int, wait: bool = True) -> Server:
            log = tmp_path / f"{instance.name}-{run}.log"
            server = start(
                stack, instance.name, uvicorn_command(instance.port), log, env
            )
            if wait:
                server.wait_until_serving(f"http://{instance.address}{READY}")
            return server

        # Both at once, then both ready.
        servers = {i.name: launch(i, 1, wait=False) for i in instances}
        for instance in instances:
            servers[instance.name].wait_until_serving(
                f"http://{instance.address}{READY}"
            )
        port = free_port()
        (tmp_path / "nginx.conf").write_text(
            nginx_config(tmp_path, port, tuple(instances))
        )
        nginx = start(
            stack,
            "nginx",
            [str(NGINX), "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
            + ["-e", "stderr", "-g", "daemon off;"],
            tmp_path / "nginx.log",
            dict(os.environ),
        )
        url = f"http://{HOST}:{port}"
        nginx.wait_until_serving(f"{url}/health")
        watcher = Watcher(Balancer(tmp_path, port, nginx), instances)
        watcher.start()
        stack.callback(watcher.stopping.set)

        form = {"username": FIRST_SUPERUSER, "password": FIRST_SUPERUSER_PASSWORD}
        token = httpx.post(f"{url}{API}/login/access-token", data=form).json()
        load = Load(url, {"Authorization": f"Bearer {token['access_token']}"})
        clients = [
            threading.Thread(target=load.client, args=(n,)) for n in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        stops = {}
        try:
            time.sleep(0.5)
            for instance in instances:
                before = len(load.answers)
                stops[instance.name] = stop_and_watch(servers[instance.name], instance)
                servers[instance.name] = launch(instance, 2)
                watcher.wait_routed(instances)
                assert len(load.answers) > before  # served meanwhile, by the other
            time.sleep(0.5)
            upstreams = list(watcher.balancer.upstreams)
        finally:
            load.stopping.set()
            for client in clients:
                client.join(timeout=60)

    failed = [answer for answer in load.answers if answer not in (200, 201)]
    assert failed == []
    assert len(load.answers) > 100
    for name, stop in stops.items():
        # Not ready at once; still accepting for the drain; then gone.
        assert stop.not_ready < 0.5, (name, stop)
        assert stop.refused - stop.not_ready >= DRAIN_SECONDS - 0.2, (name, stop)
        assert stop.returncode == -signal.SIGTERM, (name, stop)
    # The watcher took each instance out while it still accepted, and back after.
    assert [names for _, names in upstreams] == [
        ("two",),
        ("one", "two"),
        ("one",),
        ("one", "two"),
    ]
    for (name, stop), (taken_out, _) in zip(stops.items(), upstreams[::2], strict=True):
        assert stop.sent < taken_out < stop.sent + stop.refused, (name, stop)
    stored = {str(row[0]) for row in db_connection.execute("SELECT id FROM item")}
    assert set(load.confirmed) <= stored
