"""App instances as real uvicorn processes behind Debian's nginx, and a client of it.

Nginx runs a single worker, so its round robin alternates strictly between the
instances. `BalancedClient.send` sends a request when the instance it names is next
(after a `/health` request to pass the turn, if need be), then reads nginx's access
log to check that this instance served it.
"""

import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from app.core.config import Settings
from tests.utils.factories import API, random_email, random_password
from tests.utils.smtp import free_port

NGINX = Path("/usr/sbin/nginx")
BACKEND_DIR = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
STARTUP_SECONDS = 60
LOG_WAIT_SECONDS = 5
# Space-separated; the upstream goes last, since a retried request lists several.
LOG_FORMAT = "$http_x_request_id $status $request_method $request_uri $upstream_addr"


@dataclass(frozen=True)
class Instance:
    name: str
    port: int

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"


@dataclass(frozen=True)
class LogLine:
    request_id: str
    status: int
    method: str
    uri: str
    upstream: str


@dataclass(frozen=True)
class Balancer:
    url: str
    access_log: Path
    one: Instance
    two: Instance

    def log_lines(self) -> list[LogLine]:
        text = self.access_log.read_text()
        complete = text[: text.rfind("\n") + 1]
        lines = []
        for row in complete.splitlines():
            request_id, status, method, uri, upstream = row.split(" ", 4)
            lines.append(LogLine(request_id, int(status), method, uri, upstream))
        return lines

    def log_line(self, request_id: str) -> LogLine:
        """Nginx's line for a request; it is written just after the answer is sent."""
        deadline = time.monotonic() + LOG_WAIT_SECONDS
        while time.monotonic() < deadline:
            for line in self.log_lines():
                if line.request_id == request_id:
                    return line
            time.sleep(0.02)
        raise AssertionError(f"no access log line for request {request_id}")

    def next_instance(self) -> Instance:
        last = self.log_lines()[-1]
        return self.two if last.upstream == self.one.address else self.one


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass
class Account:
    email: str = field(default_factory=random_email)
    password: str = field(default_factory=random_password)
    id: str = ""


def random_loopback_address() -> str:
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


class BalancedClient:
    """A client of the balancer from a loopback address of its own: the instances see
    that address (nginx passes it on), so per-IP rate-limit counts are its own."""

    def __init__(self, balancer: Balancer) -> None:
        self.balancer = balancer
        self.http = httpx.Client(
            base_url=balancer.url,
            transport=httpx.HTTPTransport(local_address=random_loopback_address()),
            timeout=30,
        )
        self.served: list[str] = []  # the instance behind each `send`, in order

    def __enter__(self) -> "BalancedClient":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.http.close()

    def send(
        self, instance: Instance, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        """Send a request through nginx when `instance` is next; check it served it."""
        if self.balancer.next_instance() != instance:
            self._request("GET", "/health")
        response, line = self._request(method, path, **kwargs)
        assert (line.upstream, line.method, line.uri, line.status) == (
            instance.address,
            method,
            path,
            response.status_code,
        )
        self.served.append(instance.name)
        return response

    def _request(
        self, method: str, path: str, **kwargs: Any
    ) -> tuple[httpx.Response, LogLine]:
        request_id = uuid.uuid4().hex
        headers = {**kwargs.pop("headers", {}), "X-Request-ID": request_id}
        response = self.http.request(method, path, headers=headers, **kwargs)
        return response, self.balancer.log_line(request_id)

    def attempt_login(
        self, instance: Instance, email: str, password: str
    ) -> httpx.Response:
        form = {"username": email, "password": password}
        return self.send(instance, "POST", f"{API}/login/access-token", data=form)

    def login(self, instance: Instance, email: str, password: str) -> Tokens:
        response = self.attempt_login(instance, email, password)
        assert response.status_code == 200, response.text
        body = response.json()
        return Tokens(body["access_token"], body["refresh_token"])

    def create_user(self, instance: Instance, superuser: Tokens) -> Account:
        account = Account()
        body = {"email": account.email, "password": account.password}
        response = self.send(
            instance, "POST", f"{API}/users/", headers=superuser.headers, json=body
        )
        assert response.status_code == 201, response.text
        account.id = response.json()["id"]
        return account

    def sign_up(self, instance: Instance) -> httpx.Response:
        account = Account()
        body = {"email": account.email, "password": account.password}
        return self.send(instance, "POST", f"{API}/users/signup", json=body)


def as_environment(settings: Settings) -> dict[str, str]:
    """Every setting that has a value, as the environment variable the app reads."""
    env = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, bool):
            env[name] = "true" if value else "false"
        elif isinstance(value, list):
            env[name] = json.dumps(
                [
                    entry.model_dump(mode="json", exclude_none=True)
                    if isinstance(entry, BaseModel)
                    else str(entry)
                    for entry in value
                ]
            )
        else:
            env[name] = str(value)
    return env


def instance_environment(settings: Settings) -> dict[str, str]:
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name.upper() not in Settings.model_fields
    }
    # Uvicorn believes X-Forwarded-For from the balancer's address only.
    return {**inherited, **as_environment(settings), "FORWARDED_ALLOW_IPS": HOST}


def assert_read_as_given(settings: Settings, env: dict[str, str]) -> None:
    """The instances read the repository's .env as well: it must change nothing."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        read = Settings()
    changed = [
        name
        for name in Settings.model_fields
        if getattr(read, name) != getattr(settings, name)
    ]
    assert not changed, f"the repository's .env would set {changed} for the instances"


def nginx_config(folder: Path, port: int, instances: tuple[Instance, ...]) -> str:
    servers = "".join(f"        server {instance.address};\n" for instance in instances)
    # As root, workers would switch to `nobody`, who cannot enter pytest's tmp folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""\
{user}# One worker, so one round-robin state: requests alternate strictly.
worker_processes 1;
pid {folder}/nginx.pid;
error_log stderr notice;
events {{
    worker_connections 64;
}}
http {{
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    log_format balancer '{LOG_FORMAT}';
    access_log {folder}/access.log balancer;
    upstream backend {{
{servers}    }}
    server {{
        listen {HOST}:{port};
        location / {{
            proxy_pass http://backend;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@dataclass
class Server:
    """A process started here, with the file its output goes to."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def wait_until_serving(self, url: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"{self.name} exited with {self.process.returncode}:\n"
                    + self.log_tail()
                )
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"{self.name} did not answer {url}:\n{self.log_tail()}")


def start(
    stack: ExitStack, name: str, command: list[str], log: Path, env: dict[str, str]
) -> Server:
    """Start a process that `stack` stops, whatever happens next."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=BACKEND_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(name, process, log)
    stack.callback(server.stop)
    return server


def uvicorn_command(port: int) -> list[str]:
    """The production command, with one worker."""
    return [
        *(sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app"),
        *("--workers", "1", "--host", HOST, "--port", str(port)),
    ]


@contextmanager
def run_balancer(settings: Settings, folder: Path) -> Iterator[Balancer]:
    """Two instances of the app with `settings`, behind nginx, until the block ends."""
    env = instance_environment(settings)
    assert_read_as_given(settings, env)
    one, two = Instance("one", free_port()), Instance("two", free_port())
    port = free_port()
    with ExitStack() as stack:
        servers = {
            instance: start(
                stack,
                f"instance {instance.name}",
                uvicorn_command(instance.port),
                folder / f"{instance.name}.log",
                env,
            )
            for instance in (one, two)
        }
        for instance, server in servers.items():
            server.wait_until_serving(f"http://{instance.address}/health")
        config = folder / "nginx.conf"
        config.write_text(nginx_config(folder, port, (one, two)))
        nginx = start(
            stack,
            "nginx",
            [str(NGINX), "-p", str(folder), "-c", str(config), "-e", "stderr"]
            + ["-g", "daemon off;"],
            folder / "nginx.log",
            dict(os.environ),
        )
        url = f"http://{HOST}:{port}"
        nginx.wait_until_serving(f"{url}/health")
        yield Balancer(url, folder / "access.log", one, two)
