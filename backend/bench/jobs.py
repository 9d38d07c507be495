"""What the job queue costs the write endpoints: `python -m bench.jobs`. See `--help`.

Three servers run side by side (the production command, two workers each), each on a
database of its own, with email verification required and a local SMTP sink, so that
every sign-up has an email to send:
- before: the app as committed before the queue (`--before-ref`), which sends email
  from the API process after the answer;
- after: the app now, its jobs worker inside the API processes (the default);
- after, API only: the app now with JOBS_WORKER_IN_PROCESS=false, a `python -m
  app.worker` beside it doing the sends (its CPU reported apart).

After each measurement the run waits until the variant's queue is empty, so that the
emails one variant still sends do not weigh on the next one's figures.

POST /items/ (queues nothing) and POST /users/signup (queues its verification email)
are measured at c=32 on each, in rounds whose order rotates. The figure that stays
steady on a shared machine is the CPU time the server's processes spend per request;
req/s is shown beside it.
"""

import argparse
import json
import os
import secrets
import shlex
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from psycopg import sql

from bench.cli import rate_limit_switch, server_env, wrk_version
from bench.database import app_source, prestart
from bench.load import Request, ensure_wrk, json_request, run_wrk, slug, write_plan
from bench.report import markdown_table
from bench.scale_out import APP_FACTORY, cpu_seconds, machine_note
from bench.seed import Account, Api
from bench.servers import Server, free_port
from bench.stages import CONNECTIONS
from devtools.embedded_postgres import create_database, start_embedded_postgres

RESULTS_DIR = Path(__file__).resolve().parent / "results"
API = "/api/v1"
WORKERS = 2
WARMUP_SECONDS = 2
BEFORE_REF = "689bd90"  # the last commit before the job queue


@dataclass
class Sink:
    """An SMTP server that counts what it accepts."""

    messages: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, _server: SMTP, _session: Session, _envelope: Envelope
    ) -> str:
        with self.lock:
            self.messages += 1
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@contextmanager
def database(server_url: str, name: str) -> Iterator[str]:
    url = create_database(server_url, name, recreate=True)
    try:
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


@dataclass
class Variant:
    name: str
    ref: str | None
    settings: dict[str, str]
    separate_worker: bool = False
    server: Server | None = None
    worker: subprocess.Popen[bytes] | None = None
    database_url: str | None = None
    items_plan: list[Request] = field(default_factory=list)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.jobs",
        description="CPU per request and req/s at c=32 of POST /items/ and POST "
        "/users/signup, before the job queue and after it, in one run.",
    )
    parser.add_argument("--seconds", type=int, default=10, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="per variant")
    parser.add_argument("--before-ref", default=BEFORE_REF, help="the app before")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or None,
        help="server for the run's databases (default: DATABASE_URL, else embedded)",
    )
    parser.add_argument(
        "--bcrypt-rounds",
        type=int,
        default=4,
        help="BCRYPT_ROUNDS (default 4: at the app's 12, one hash is most of a "
        "sign-up and hides everything else)",
    )
    return parser.parse_args()


def sign_up_plan(variant: str, number: int) -> list[Request]:
    """Sign-ups with a new address each: `{seq}` is filled in per request."""
    tag = f"{slug(variant)}-{number}-{secrets.token_hex(3)}"
    body = {"email": f"signup-{tag}-{{seq}}@example.com", "password": "bench-password"}
    return [
        Request(
            "POST", f"{API}/users/signup", None, "application/json", json.dumps(body)
        )
    ]


def items_plan(server: Server, env: dict[str, str]) -> list[Request]:
    """POST /items/ as one (verified) user, the benchmark's usual write."""
    api = Api(server.base_url)
    try:
        superuser = Account(env["FIRST_SUPERUSER"], env["FIRST_SUPERUSER_PASSWORD"])
        owner = Account("bench-owner@example.com", secrets.token_urlsafe(12))
        created = api.client.post(
            "/users/",
            headers={"Authorization": f"Bearer {api.login(superuser)}"},
            json={
                "email": owner.email,
                "password": owner.password,
                "is_verified": True,
            },
        )
        created.raise_for_status()
        token = api.login(owner)
    finally:
        api.close()
    body = {"title": "Load test item", "description": "load test"}
    return [json_request("POST", f"{API}/items/", token, body)]


def wait_for_the_queue(variant: Variant, limit: float = 300) -> None:
    """Let the emails a run queued go out before the next measurement, so that no
    variant's sending weighs on another's figures."""
    if variant.ref is not None or variant.database_url is None:
        return  # the app before the queue sends within its requests
    deadline = time.monotonic() + limit
    with psycopg.connect(variant.database_url, autocommit=True) as connection:
        while time.monotonic() < deadline:
            row = connection.execute(
                "SELECT count(*) FROM procrastinate_jobs "
                "WHERE status IN ('todo', 'doing')"
            ).fetchone()
            if row is None or row[0] == 0:
                return
            time.sleep(0.5)


@dataclass(frozen=True)
class Measurement:
    rps: float
    errors: int
    cpu_ms: float  # the API's processes, per request
    worker_cpu_ms: float | None  # a separate worker's, per request


def measure(variant: Variant, warmup: Path, plan: Path, seconds: int) -> Measurement:
    assert variant.server is not None and variant.server.process is not None
    url = variant.server.base_url
    run_wrk(
        url, warmup, connections=CONNECTIONS, duration_s=WARMUP_SECONDS, timeout_s=10
    )
    api_pids = [variant.server.process.pid]
    worker_pids = [variant.worker.pid] if variant.worker else []
    api_before, worker_before = cpu_seconds(api_pids), cpu_seconds(worker_pids)
    load = run_wrk(url, plan, connections=CONNECTIONS, duration_s=seconds, timeout_s=10)
    requests = max(load.requests, 1)
    api_used = cpu_seconds(api_pids) - api_before
    worker_used = cpu_seconds(worker_pids) - worker_before
    return Measurement(
        rps=load.rps,
        errors=load.errors,
        cpu_ms=1000 * api_used / requests,
        worker_cpu_ms=1000 * worker_used / requests if variant.worker else None,
    )


def main() -> None:
    args = parse_args()
    ensure_wrk()
    out_dir = RESULTS_DIR / f"{datetime.now():%Y%m%d-%H%M%S}-jobs"
    (out_dir / "plans").mkdir(parents=True)
    rate_note, rate_env = rate_limit_switch()
    server_url = args.database_url or start_embedded_postgres()
    variants = [
        Variant("before (no queue)", args.before_ref, {}),
        Variant("after (worker in the API)", None, {"JOBS_WORKER_IN_PROCESS": "true"}),
        Variant(
            "after (API only, worker apart)",
            None,
            {"JOBS_WORKER_IN_PROCESS": "false"},
            separate_worker=True,
        ),
    ]
    setup = {
        "command": "python -m bench.jobs " + shlex.join(sys.argv[1:]),
        "date": f"{datetime.now():%Y-%m-%d %H:%M}",
        "machine": machine_note(),
        "measurements": f"{args.rounds} rounds of {args.seconds} s per endpoint and "
        f"variant after a {WARMUP_SECONDS} s warm-up; the order rotates each round",
        "load generator": f"{wrk_version()}, 2 threads, c={CONNECTIONS}",
        "servers": f"`uvicorn --factory {APP_FACTORY} --workers {WORKERS}` per variant",
        "bcrypt": f"BCRYPT_ROUNDS={args.bcrypt_rounds}",
        "rate limits": rate_note,
    }
    results: dict[tuple[str, str], list[Measurement]] = {}
    with smtp_sink() as (sink, smtp_port), ExitStack() as stack:
        for number, variant in enumerate(variants):
            app_dir, code = stack.enter_context(app_source(variant.ref))
            setup[f"code, {variant.name}"] = code
            url = stack.enter_context(
                database(server_url, f"bench_jobs_{os.getpid()}_{number}")
            )
            env = server_env(
                url,
                args.bcrypt_rounds,
                {
                    **rate_env,
                    "EMAIL_VERIFICATION_REQUIRED": "true",
                    "SMTP_HOST": "127.0.0.1",
                    "SMTP_PORT": str(smtp_port),
                    "SMTP_TLS": "false",
                    "EMAILS_FROM_EMAIL": "bench@example.com",
                    "METRICS_PORT": "0",
                    **variant.settings,
                },
            )
            prestart(app_dir, env)
            variant.database_url = url
            log = out_dir / f"{slug(variant.name)}.log"
            server = Server(
                variant.name, APP_FACTORY, app_dir, env, log, workers=WORKERS
            )
            stack.callback(server.stop)
            server.start()
            variant.server = server
            variant.items_plan = items_plan(server, env)
            if variant.separate_worker:
                worker_log = (out_dir / f"{slug(variant.name)}-worker.log").open("wb")
                stack.callback(worker_log.close)
                variant.worker = subprocess.Popen(
                    [sys.executable, "-m", "app.worker"],
                    cwd=app_dir,
                    env=env,
                    stdout=worker_log,
                    stderr=subprocess.STDOUT,
                )
                stack.callback(variant.worker.kill)
        for key, value in setup.items():
            print(f"{key}: {value}", flush=True)
        for number in range(args.rounds):
            order = variants[number % 3 :] + variants[: number % 3]
            for endpoint in ("POST /items/", "POST /users/signup"):
                for variant in order:
                    files = []
                    for part in ("warm-up", "measured"):
                        plan = (
                            variant.items_plan
                            if endpoint == "POST /items/"
                            else sign_up_plan(f"{variant.name}-{part}", number)
                        )
                        name = f"{slug(variant.name)}-{slug(endpoint)}-{part}.txt"
                        files.append(write_plan(out_dir / "plans" / name, plan))
                    measured = measure(variant, files[0], files[1], args.seconds)
                    results.setdefault((endpoint, variant.name), []).append(measured)
                    wait_for_the_queue(variant)
                    print(
                        f"round {number + 1}: {endpoint}: {variant.name}: "
                        f"{measured.rps:,.0f} req/s, {measured.cpu_ms:.3f} CPU ms "
                        f"per request, errors {measured.errors}",
                        flush=True,
                    )
        sent = sink.messages
    rows = []
    for endpoint in ("POST /items/", "POST /users/signup"):
        base = statistics.median(
            m.cpu_ms for m in results[(endpoint, variants[0].name)]
        )
        for variant in variants:
            runs = results[(endpoint, variant.name)]
            cpu = statistics.median(m.cpu_ms for m in runs)
            worker = [m.worker_cpu_ms for m in runs if m.worker_cpu_ms is not None]
            rows.append(
                [
                    endpoint,
                    variant.name,
                    f"{cpu:.3f}",
                    "-" if variant is variants[0] else f"{cpu / base - 1:+.1%}",
                    f"{statistics.median(worker):.3f}" if worker else "-",
                    f"{statistics.median(m.rps for m in runs):,.0f}",
                    ", ".join(f"{m.rps:,.0f}" for m in runs),
                    str(sum(m.errors for m in runs)),
                ]
            )
    header = [
        "endpoint",
        "variant",
        "API CPU ms per request",
        "vs before",
        "worker CPU ms per request",
        "req/s",
        "req/s each round",
        "errors",
    ]
    markdown = "\n\n".join(
        [
            f"# Job queue cost ({setup['date']})",
            "\n".join(f"- **{key}**: {value}" for key, value in setup.items()),
            "Medians over the rounds. CPU per request: user and system time of the "
            "API server's processes (supervisor and workers) during a run, over the "
            "requests it served; a separate worker's CPU is reported apart.",
            markdown_table(header, rows),
            f"The SMTP sink accepted {sent:,} emails in all.",
        ]
    )
    (out_dir / "results.md").write_text(markdown + "\n")
    print("\n" + markdown)
    print(f"Results: {out_dir}/results.md")


if __name__ == "__main__":
    main()
