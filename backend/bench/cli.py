"""The benchmark command: `python -m bench [--quick]`. See `--help`."""

import argparse
import json
import os
import platform
import secrets
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import bcrypt

from app.core.config import Settings
from bench import report
from bench.database import (
    BACKEND_DIR,
    app_source,
    explain_paging,
    fresh_database,
    prestart,
)
from bench.load import LoadResult, ensure_wrk
from bench.report import Results
from bench.seed import add_bulk_owners, grow_items, seed_through_api
from bench.servers import Server, server_command
from bench.stages import CONNECTIONS, FULL, QUICK, SUPERUSER_EMAIL, Mode, Run

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WORKERS = 2
USERS_PAGE = 100


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """Which app, which database server, which bcrypt cost: shared by every benchmark."""
    parser.add_argument(
        "--app-ref",
        help="benchmark the app as committed at this git ref (default: working tree)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or None,
        help="server for the run's database (default: DATABASE_URL, else embedded)",
    )
    parser.add_argument(
        "--bcrypt-rounds",
        type=int,
        default=int(os.environ.get("BCRYPT_ROUNDS", "12")),
        help="BCRYPT_ROUNDS for the server (default 12, the app's default)",
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Load benchmark: endpoints at c=32 against a bare-FastAPI ceiling, "
        "growth with table size, worker memory and a mixed-load soak.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="short runs, 10k/100k only, 30 s soak"
    )
    parser.add_argument("--sizes", help="item table sizes, comma-separated")
    parser.add_argument("--seconds", type=int, help="seconds per endpoint at c=32")
    parser.add_argument("--soak-seconds", type=int, help="length of the soak")
    parser.add_argument(
        "--no-profile", action="store_true", help="skip the py-spy profiles"
    )
    add_source_arguments(parser)
    return parser.parse_args()


def mode_from(args: argparse.Namespace) -> Mode:
    values = asdict(QUICK if args.quick else FULL)
    if args.sizes:
        values["sizes"] = tuple(sorted(int(size) for size in args.sizes.split(",")))
    if args.seconds:
        values["seconds"] = args.seconds
    if args.soak_seconds:
        values["soak_seconds"] = args.soak_seconds
    return Mode(**values)


def bcrypt_seconds(rounds: int, tries: int = 5) -> float:
    """Median time of one bcrypt hash at `rounds`, in this process."""
    times = []
    for _ in range(tries):
        started = time.perf_counter()
        bcrypt.hashpw(b"benchmark-password", bcrypt.gensalt(rounds=rounds))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def rate_limit_switch() -> tuple[str, dict[str, str]]:
    """Switch rate limits off by setting when the app has one; say what was done."""
    names = sorted(name for name in Settings.model_fields if "RATE_LIMIT" in name)
    if "RATE_LIMIT_ENABLED" in names:
        note = "switched off for the run (RATE_LIMIT_ENABLED=false)"
        return note, {"RATE_LIMIT_ENABLED": "false"}
    if names:
        note = (
            f"settings {', '.join(names)} exist but no RATE_LIMIT_ENABLED switch: "
            "left as configured, they may throttle the run"
        )
        return note, {}
    return "none configured (the app has no RATE_LIMIT_ENABLED setting)", {}


def server_env(database_url: str, rounds: int, extra: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "SENTRY_DSN"}
    env.update(
        DATABASE_URL=database_url,
        ENVIRONMENT="local",
        SECRET_KEY=secrets.token_urlsafe(48),
        FIRST_SUPERUSER=SUPERUSER_EMAIL,
        FIRST_SUPERUSER_PASSWORD=secrets.token_urlsafe(18),
        BCRYPT_ROUNDS=str(rounds),
        **extra,
    )
    return env


def machine() -> str:
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    averages = os.getloadavg()
    load = ", ".join(f"{value:.2f}" for value in averages)
    text = f"{os.cpu_count()} cores ({model}), {platform.system()}; load average at start {load}"
    if averages[0] > (os.cpu_count() or 1):
        text += (
            " (busy: other work shares the cores, so absolute figures are noisy; "
            "compare shares, each measured against a ceiling run seconds before it)"
        )
    return text


def wrk_version() -> str:
    finished = subprocess.run(
        ["wrk", "--version"], capture_output=True, text=True, check=False
    )
    first = (finished.stdout or finished.stderr).splitlines()[0]
    return first.split(" Copyright")[0]


def main() -> None:
    args = parse_args()
    mode = mode_from(args)
    ensure_wrk()
    out_dir = RESULTS_DIR / f"{datetime.now():%Y%m%d-%H%M%S}-{mode.name}"
    out_dir.mkdir(parents=True)
    cores = os.cpu_count() or 1
    hash_seconds = bcrypt_seconds(args.bcrypt_rounds)
    rate_note, rate_env = rate_limit_switch()
    results = Results(
        cores=cores,
        login_target_rps=0.9 * cores / hash_seconds,
        login_basis=f"0.9 x {cores} cores / {hash_seconds * 1000:.0f} ms per hash",
    )
    results.setup.update(
        {
            "command": "python -m bench " + shlex.join(sys.argv[1:]),
            "date": f"{datetime.now():%Y-%m-%d %H:%M}",
            "mode": f"{mode.name}: sizes {', '.join(map(report.label, mode.sizes))}; "
            f"{mode.seconds} s per endpoint after {mode.warmup} s warm-up, login "
            f"{mode.login_seconds} s, growth {mode.growth_seconds} s per probe, "
            f"soak {mode.soak_seconds} s",
            "machine": machine(),
            "bcrypt": f"BCRYPT_ROUNDS={args.bcrypt_rounds}, one hash "
            f"{hash_seconds * 1000:.0f} ms (median of 5)",
            "rate limits": rate_note,
            "load generator": f"{wrk_version()}, 2 threads, c={CONNECTIONS} (c=1 for "
            "growth); errors = non-2xx answers + socket errors and timeouts",
        }
    )
    for key, value in results.setup.items():
        print(f"{key}: {value}", flush=True)
    with (
        app_source(args.app_ref) as (app_dir, code),
        fresh_database(args.database_url) as db,
    ):
        env = server_env(db.url, args.bcrypt_rounds, rate_env)
        prestart(app_dir, env)
        app = Server("app", "app.main:create_app", app_dir, env, out_dir / "app.log")
        ceiling = Server(
            "ceiling",
            "bench.ceiling:create_app",
            BACKEND_DIR,
            dict(os.environ),
            out_dir / "ceiling.log",
            health_path="/ceiling",
        )
        command = server_command("app.main:create_app", workers=WORKERS, port=0)
        results.setup["code"] = code
        results.setup["database"] = f"{db.server}; fresh database, dropped afterwards"
        results.setup["server"] = (
            f"`uvicorn {shlex.join(command[3:-1])} <free port>`, ENVIRONMENT=local, "
            "random SECRET_KEY; ceiling: the same with `bench.ceiling:create_app`"
        )
        print(f"code: {code}\ndatabase: {results.setup['database']}", flush=True)
        try:
            app.start()
            ceiling.start()
            benchmark(Run(mode, out_dir, db, app, ceiling), args, results)
        finally:
            app.stop()
            ceiling.stop()
    markdown, failures = report.render_markdown(results)
    (out_dir / "results.md").write_text(markdown)
    (out_dir / "raw.json").write_text(json.dumps(results.raw(), indent=1))
    print("\n" + markdown.split("## Targets", 1)[-1].split("## Growth")[0])
    print(f"Results: {out_dir}/results.md (chart: latency-vs-size.png)")
    print("Failing: " + ("; ".join(failures) if failures else "none"))


def benchmark(run: Run, args: argparse.Namespace, results: Results) -> None:
    """Every stage, in order; figures land in `results`."""
    owner, others = seed_through_api(run.api, run.superuser, secrets.token_urlsafe(12))
    run.owner = owner
    assert owner.id is not None
    added = add_bulk_owners(run.db.url, USERS_PAGE)
    api_items = sum(len(account.item_ids) for account in [owner, *others])
    results.setup["seeding"] = (
        f"through the API: {len(others) + 1} users (POST /users/ by the prestart "
        f"superuser) and {api_items} items (POST /items/); bulk SQL: {added} users "
        "for a full users page, then items by INSERT ... SELECT generate_series up to "
        "each size (a tenth owned by the benchmark owner, the rest over size/100 bulk "
        "owners), VACUUM ANALYZE and a CHECKPOINT after each size (the bulk load is "
        "on disk before the next measurement, not flushed during it)"
    )
    run.log(f"seeded {results.setup['seeding']}")
    results.tables.append(run.endpoint_table("base"))
    if not args.no_profile:
        results.profile = run.profiles()
    for size in run.mode.sizes:
        seeded = grow_items(run.db.url, total=size, owner_id=owner.id)
        run.log(
            f"{report.label(size)}: {seeded['inserted']:,} items inserted by SQL in "
            f"{seeded['seconds']} s; the owner holds {seeded['owner_items']:,}"
        )
        results.tables.append(run.endpoint_table(report.label(size)))
        for probe, result in run.growth(size).items():
            results.growth.setdefault(probe, {})[size] = result
    results.query_plans = explain_paging(run.db.url, owner.id, run.mode.sizes[-1])
    (run.out_dir / "query-plans.txt").write_text(results.query_plans)
    run.log(f"soak: {run.mode.soak_seconds} s of mixed load at c={CONNECTIONS}")
    soak: tuple[LoadResult, list[tuple[float, int, int]]] = run.soak()
    results.soak, results.soak_samples = soak
    results.soak_seconds = run.mode.soak_seconds
    results.memory = {"app": run.app.memory_kib(), "ceiling": run.ceiling.memory_kib()}
    report.latency_chart(
        results.tables, results.growth, run.out_dir / "latency-vs-size.png"
    )
    report.soak_chart(results.soak_samples, run.out_dir / "soak-memory.png")
