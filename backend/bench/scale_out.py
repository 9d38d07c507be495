"""Scale-out benchmark: `python -m bench.scale_out`. See `--help`.

Measures GET /users/me and GET /items/{id} at c=32 through Debian's nginx in front of
one instance with two workers, two instances with one worker each, and two instances
with two workers each; also the one instance without nginx and the bare ceiling, all
in one run. Besides req/s and latency it reports the CPU that the app processes,
nginx and the whole machine used, which is what limits every row on one machine.
"""

import argparse
import os
import secrets
import shlex
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psutil

from bench.cli import (
    add_source_arguments,
    machine,
    rate_limit_switch,
    server_env,
    wrk_version,
)
from bench.database import BACKEND_DIR, app_source, fresh_database, prestart
from bench.load import (
    Endpoint,
    LoadResult,
    Request,
    ensure_wrk,
    run_wrk,
    slug,
    write_plan,
)
from bench.nginx import ensure_nginx, nginx_in_front, nginx_version
from bench.plans import endpoints
from bench.report import markdown_table
from bench.seed import Account, Api, seed_through_api
from bench.servers import Server
from bench.stages import CONNECTIONS, SUPERUSER_EMAIL

RESULTS_DIR = Path(__file__).resolve().parent / "results"
APP_FACTORY = "app.main:create_app"
CEILING = "ceiling: bare `async def`, 1 instance x 2 workers, direct"
MEASURED = ("GET /users/me", "GET /items/{id}")
WARMUP_SECONDS = 2


@dataclass(frozen=True)
class Layout:
    instances: int
    workers: int
    balanced: bool = True  # behind nginx, or wrk straight at the one instance

    @property
    def name(self) -> str:
        instances = (
            "1 instance" if self.instances == 1 else f"{self.instances} instances"
        )
        workers = "1 worker" if self.workers == 1 else f"{self.workers} workers"
        where = "through nginx" if self.balanced else "direct, no nginx"
        return f"{instances} x {workers}, {where}"


LAYOUTS = (
    Layout(instances=1, workers=2, balanced=False),
    Layout(instances=1, workers=2),
    Layout(instances=2, workers=1),
    Layout(instances=2, workers=2),
)


@dataclass(frozen=True)
class Row:
    config: str
    endpoint: str
    result: LoadResult
    cores: dict[str, float]  # CPU seconds per second of the run, per side
    machine_busy: float  # share of all cores busy, whoever used them

    def cells(self) -> list[str]:
        result = self.result
        wrk = result.wrk_cpu_s / result.duration_s if result.duration_s else 0.0
        return [
            self.config,
            self.endpoint,
            f"{result.rps:,.0f}",
            f"{result.p50_ms:.2f}",
            f"{result.p99_ms:.2f}",
            str(result.errors),
            f"{self.cores['app']:.2f}",
            f"{self.cores['nginx']:.2f}" if "nginx" in self.cores else "-",
            f"{wrk:.2f}",
            f"{self.machine_busy:.0%}",
        ]

    def summary(self) -> str:
        config, endpoint, rps, p50, p99, errors, *_ = self.cells()
        return (
            f"{config}: {endpoint}: {rps} req/s, p50 {p50} ms, p99 {p99} ms, "
            f"errors {errors}"
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale_out",
        description="Req/s and latency at c=32 for one and two app instances behind "
        "nginx, against the bare ceiling, in one run.",
    )
    parser.add_argument(
        "--seconds", type=int, default=10, help="seconds per measurement"
    )
    add_source_arguments(parser)
    return parser.parse_args()


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of the processes and all their children."""
    total = 0.0
    for pid in pids:
        process = psutil.Process(pid)
        for member in [process, *process.children(recursive=True)]:
            times = member.cpu_times()
            total += times.user + times.system
    return total


def measure(
    layout: str,
    url: str,
    endpoint: Endpoint,
    plan_dir: Path,
    seconds: int,
    pids: dict[str, list[int]],
) -> Row:
    """A warm-up, then one measured wrk run, and the CPU each side used meanwhile."""
    plan_file = write_plan(
        plan_dir / f"{slug(layout)}-{slug(endpoint.name)}.txt", endpoint.plan
    )
    run_wrk(
        url,
        plan_file,
        connections=CONNECTIONS,
        duration_s=WARMUP_SECONDS,
        timeout_s=10,
    )
    before = {side: cpu_seconds(side_pids) for side, side_pids in pids.items()}
    psutil.cpu_percent()  # starts the machine-wide count
    started = time.monotonic()
    result = run_wrk(
        url, plan_file, connections=CONNECTIONS, duration_s=seconds, timeout_s=10
    )
    elapsed = time.monotonic() - started
    machine_busy = psutil.cpu_percent() / 100
    cores = {
        side: (cpu_seconds(side_pids) - before[side]) / elapsed
        for side, side_pids in pids.items()
    }
    row = Row(layout, endpoint.name, result, cores, machine_busy)
    print(row.summary(), flush=True)
    return row


def running_pid(server: Server) -> int:
    assert server.process is not None
    return server.process.pid


def seed(app_dir: Path, env: dict[str, str], out_dir: Path) -> list[Endpoint]:
    """Users and items through the API of a one-worker server; the measured plans."""
    server = Server("seed", APP_FACTORY, app_dir, env, out_dir / "seed.log", workers=1)
    try:
        server.start()
        api = Api(server.base_url)
        superuser = Account(SUPERUSER_EMAIL, env["FIRST_SUPERUSER_PASSWORD"])
        owner, _others = seed_through_api(api, superuser, secrets.token_urlsafe(12))
        plans = endpoints(owner, api.login(owner), api.login(superuser))
        api.close()
    finally:
        server.stop()
    return [plan for plan in plans if plan.name in MEASURED]


def run_ceiling(out_dir: Path, seconds: int) -> Row:
    ceiling = Server(
        "ceiling",
        "bench.ceiling:create_app",
        BACKEND_DIR,
        dict(os.environ),
        out_dir / "ceiling.log",
        workers=2,
        health_path="/ceiling",
    )
    try:
        ceiling.start()
        endpoint = Endpoint("GET /ceiling", [Request("GET", "/ceiling")])
        pids = {"app": [running_pid(ceiling)]}
        return measure(
            CEILING, ceiling.base_url, endpoint, out_dir / "plans", seconds, pids
        )
    finally:
        ceiling.stop()


def run_layout(
    layout: Layout,
    app_dir: Path,
    env: dict[str, str],
    plans: list[Endpoint],
    out_dir: Path,
    seconds: int,
) -> list[Row]:
    with ExitStack() as stack:
        servers = []
        for number in range(1, layout.instances + 1):
            log = out_dir / f"{slug(layout.name)}-app-{number}.log"
            server = Server(
                f"app {number}", APP_FACTORY, app_dir, env, log, workers=layout.workers
            )
            stack.callback(server.stop)
            server.start()
            servers.append(server)
        pids = {"app": [running_pid(server) for server in servers]}
        url = servers[0].base_url
        if layout.balanced:
            nginx_log = out_dir / f"{slug(layout.name)}-nginx.log"
            url, nginx_pid = stack.enter_context(nginx_in_front(servers, nginx_log))
            pids["nginx"] = [nginx_pid]
        return [
            measure(layout.name, url, plan, out_dir / "plans", seconds, pids)
            for plan in plans
        ]


def machine_note() -> str:
    # bench.cli's note on a busy machine speaks of ceiling runs paired with each
    # endpoint, which this run does not make: say it in this run's terms.
    text = machine().split(" (busy:")[0]
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        text += " (busy: other work shares the cores, so every row is noisy)"
    return text


def render(setup: dict[str, str], rows: list[Row]) -> str:
    header = [
        "config",
        "endpoint",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "app CPU",
        "nginx CPU",
        "wrk CPU",
        "machine busy",
    ]
    table = markdown_table(header, [row.cells() for row in rows])
    return (
        "\n\n".join(
            [
                f"# Scale-out results ({setup['date']})",
                "\n".join(f"- **{key}**: {value}" for key, value in setup.items()),
                f"c={CONNECTIONS}; CPU columns are cores (CPU seconds per second of the "
                "run) used by the app's processes, by nginx and by wrk; machine busy is the "
                "share of all cores busy, whoever used them.",
                table,
            ]
        )
        + "\n"
    )


def main() -> None:
    args = parse_args()
    ensure_wrk()
    ensure_nginx()
    out_dir = RESULTS_DIR / f"{datetime.now():%Y%m%d-%H%M%S}-scale-out"
    (out_dir / "plans").mkdir(parents=True)
    rate_note, rate_env = rate_limit_switch()
    setup = {
        "command": "python -m bench.scale_out " + shlex.join(sys.argv[1:]),
        "date": f"{datetime.now():%Y-%m-%d %H:%M}",
        "machine": machine_note(),
        "measurements": f"{args.seconds} s each after a {WARMUP_SECONDS} s warm-up",
        "load generator": f"{wrk_version()}, 2 threads, c={CONNECTIONS}; errors = "
        "non-2xx answers + socket errors and timeouts",
        "balancer": f"{nginx_version()}: a worker per core, round robin, "
        "kept-alive upstream connections, no access log",
        "rate limits": rate_note,
        "bcrypt": f"BCRYPT_ROUNDS={args.bcrypt_rounds} (seeding only)",
    }
    rows = []
    with (
        app_source(args.app_ref) as (app_dir, code),
        fresh_database(args.database_url) as db,
    ):
        setup["code"] = code
        setup["database"] = f"{db.server}; fresh database, dropped afterwards"
        for key, value in setup.items():
            print(f"{key}: {value}", flush=True)
        env = server_env(db.url, args.bcrypt_rounds, rate_env)
        prestart(app_dir, env)
        plans = seed(app_dir, env, out_dir)
        rows.append(run_ceiling(out_dir, args.seconds))
        for layout in LAYOUTS:
            rows += run_layout(layout, app_dir, env, plans, out_dir, args.seconds)
    markdown = render(setup, rows)
    (out_dir / "results.md").write_text(markdown)
    print("\n" + markdown)
    print(f"Results: {out_dir}/results.md")


if __name__ == "__main__":
    main()
