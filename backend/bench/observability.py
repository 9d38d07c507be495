"""What metrics and tracing cost: `python -m bench.observability`. See `--help`.

Three servers of the same app run side by side (the production command, two workers
each), differing only in their settings:
- metrics off (METRICS_PORT=0): the baseline;
- metrics on, as every deployment runs (METRICS_PORT set);
- metrics on and tracing on, every request traced (OTEL_EXPORTER_OTLP_ENDPOINT set),
  the spans sent over OTLP/HTTP to a sink in this process that decodes and counts them.

GET /users/me and GET /items/{id} are measured at c=32 on each, the three at the same
time (a wrk each), so that other load on the machine weighs on every variant alike.
Each measurement gives req/s and the CPU time the server's processes spent per
request (their user and system time over the run, divided by the requests served).
A variant's cost is what it adds to the baseline's CPU per request in the same round,
the median over the rounds: on a machine whose cores other work shares, req/s follows
that other work, while CPU per request stays closer to the app's own. Metrics pass at a cost of 5% or less; the
share of req/s lost is shown beside it. At the end, the metrics port and the sink
show that the variants did count and trace what was sent.
"""

import argparse
import shlex
import statistics
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from bench.cli import add_source_arguments, rate_limit_switch, server_env, wrk_version
from bench.database import app_source, fresh_database, prestart
from bench.load import LoadResult, ensure_wrk, run_wrk, slug, write_plan
from bench.report import markdown_table
from bench.scale_out import APP_FACTORY, MEASURED, cpu_seconds, machine_note, seed
from bench.servers import Server, free_port
from bench.stages import CONNECTIONS

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WORKERS = 2
WARMUP_SECONDS = 2
METRICS_BUDGET = 0.05  # the most req/s that metrics may cost


@dataclass
class Sink:
    """An OTLP/HTTP trace receiver that only counts what it gets."""

    url: str = ""
    exports: int = 0
    spans: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        count = sum(
            len(scope.spans)
            for resource in request.resource_spans
            for scope in resource.scope_spans
        )
        with self.lock:
            self.exports += 1
            self.spans += count


@contextmanager
def otlp_sink() -> Iterator[Sink]:
    sink = Sink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            sink.add(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Variant:
    name: str
    settings: dict[str, str]

    @property
    def metrics_port(self) -> int | None:
        port = int(self.settings["METRICS_PORT"])
        return port or None


def variants(sink: Sink) -> list[Variant]:
    traced = {"METRICS_PORT": str(free_port()), "OTEL_EXPORTER_OTLP_ENDPOINT": sink.url}
    return [
        Variant("metrics off", {"METRICS_PORT": "0"}),
        Variant("metrics on", {"METRICS_PORT": str(free_port())}),
        Variant("metrics on + tracing (every request)", traced),
    ]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.observability",
        description="Req/s and latency at c=32 of GET /users/me and GET /items/{id} "
        "with metrics off, metrics on, and metrics and tracing on, in one run.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="5 s per measurement (default 10 s)"
    )
    parser.add_argument("--seconds", type=int, help="seconds per measurement")
    parser.add_argument(
        "--rounds", type=int, default=3, help="measurements per variant (default 3)"
    )
    add_source_arguments(parser)
    return parser.parse_args()


def requests_counted(port: int) -> float:
    """http_requests_total summed over every series, from the metrics port."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("http_requests_total{")
    )


@dataclass(frozen=True)
class Measurement:
    load: LoadResult
    cpu_ms_per_request: float  # the server's processes, user + system


def measure(server: Server, plan: Path, seconds: int) -> Measurement:
    url = server.base_url
    run_wrk(url, plan, connections=CONNECTIONS, duration_s=WARMUP_SECONDS, timeout_s=10)
    assert server.process is not None
    before = cpu_seconds([server.process.pid])
    load = run_wrk(url, plan, connections=CONNECTIONS, duration_s=seconds, timeout_s=10)
    used = cpu_seconds([server.process.pid]) - before
    return Measurement(load, 1000 * used / max(load.requests, 1))


def render(
    setup: dict[str, str],
    results: dict[tuple[str, str], list[Measurement]],
    names: list[str],
    checks: list[str],
) -> tuple[str, bool]:
    rows, passed = [], True
    for endpoint in MEASURED:
        base = results[(endpoint, names[0])]
        base_rps = statistics.median(m.load.rps for m in base)
        for name in names:
            runs = results[(endpoint, name)]
            cpu = statistics.median(m.cpu_ms_per_request for m in runs)
            rps = statistics.median(m.load.rps for m in runs)
            # Each round against the baseline of the same round (measured at the
            # same time), then the median of those.
            cost = statistics.median(
                m.cpu_ms_per_request / b.cpu_ms_per_request - 1
                for m, b in zip(runs, base, strict=True)
            )
            verdict = "-"
            if name == names[1]:
                verdict = "PASS" if cost <= METRICS_BUDGET else "FAIL"
                passed = passed and cost <= METRICS_BUDGET
            rows.append(
                [
                    endpoint,
                    name,
                    f"{cpu:.3f}",
                    "-" if name == names[0] else f"{cost:+.1%}",
                    f"{rps:,.0f}",
                    "-" if name == names[0] else f"{1 - rps / base_rps:+.1%}",
                    ", ".join(f"{m.load.rps:,.0f}" for m in runs),
                    f"{statistics.median(m.load.p50_ms for m in runs):.2f}",
                    f"{statistics.median(m.load.p99_ms for m in runs):.2f}",
                    str(sum(m.load.errors for m in runs)),
                    verdict,
                ]
            )
    header = [
        "endpoint",
        "variant",
        "CPU ms per request",
        "cost (CPU)",
        "req/s",
        "req/s lost",
        "req/s each round",
        "p50 ms",
        "p99 ms",
        "errors",
        f"metrics <= {METRICS_BUDGET:.0%}",
    ]
    text = "\n\n".join(
        [
            f"# Observability cost ({setup['date']})",
            "\n".join(f"- **{key}**: {value}" for key, value in setup.items()),
            "Medians over the rounds. CPU per request: user and system time of the "
            "server's processes (supervisor and workers) during a run, over the "
            "requests it served. Cost: what a variant adds to the CPU per request of "
            "the baseline (metrics off) measured at the same time, the median over "
            "the rounds; req/s lost: the share of the baseline's req/s it did not "
            "serve (negative: it served more, within the run's noise).",
            markdown_table(header, rows),
            "What the variants did meanwhile:\n\n"
            + "\n".join(f"- {check}" for check in checks),
        ]
    )
    return text + "\n", passed


def main() -> None:
    args = parse_args()
    seconds = args.seconds or (5 if args.quick else 10)
    ensure_wrk()
    out_dir = RESULTS_DIR / f"{datetime.now():%Y%m%d-%H%M%S}-observability"
    (out_dir / "plans").mkdir(parents=True)
    rate_note, rate_env = rate_limit_switch()
    setup = {
        "command": "python -m bench.observability " + shlex.join(sys.argv[1:]),
        "date": f"{datetime.now():%Y-%m-%d %H:%M}",
        "machine": machine_note(),
        "measurements": f"{args.rounds} rounds of {seconds} s per endpoint, each after "
        f"a {WARMUP_SECONDS} s warm-up, the three variants loaded at the same time",
        "load generator": f"{wrk_version()}, 2 threads, c={CONNECTIONS}",
        "servers": f"`uvicorn --factory {APP_FACTORY} --workers {WORKERS}`, one per "
        "variant, all running throughout",
        "rate limits": rate_note,
    }
    results: dict[tuple[str, str], list[Measurement]] = {}
    with (
        app_source(args.app_ref) as (app_dir, code),
        fresh_database(args.database_url) as db,
        otlp_sink() as sink,
        ExitStack() as stack,
    ):
        setup["code"] = code
        setup["database"] = f"{db.server}; fresh database, dropped afterwards"
        for key, value in setup.items():
            print(f"{key}: {value}", flush=True)
        env = server_env(db.url, args.bcrypt_rounds, {**rate_env, "METRICS_PORT": "0"})
        prestart(app_dir, env)
        plans = seed(app_dir, env, out_dir)
        chosen = variants(sink)
        servers = {}
        for variant in chosen:
            log = out_dir / f"{slug(variant.name)}.log"
            server = Server(
                variant.name,
                APP_FACTORY,
                app_dir,
                {**env, **variant.settings},
                log,
                workers=WORKERS,
            )
            stack.callback(server.stop)
            server.start()
            servers[variant.name] = server
        plan_files = {
            plan.name: write_plan(
                out_dir / "plans" / f"{slug(plan.name)}.txt", plan.plan
            )
            for plan in plans
        }
        sent = dict.fromkeys(servers, 0)
        for number in range(args.rounds):
            for plan in plans:
                # Every variant under load at the same time: whatever else the
                # machine does meanwhile weighs on all of them alike.
                with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
                    running = {
                        variant.name: pool.submit(
                            measure,
                            servers[variant.name],
                            plan_files[plan.name],
                            seconds,
                        )
                        for variant in chosen
                    }
                for name, future in running.items():
                    measured = future.result()
                    results.setdefault((plan.name, name), []).append(measured)
                    result = measured.load
                    sent[name] += result.requests
                    print(
                        f"round {number + 1}: {plan.name}: {name}: "
                        f"{result.rps:,.0f} req/s, "
                        f"{measured.cpu_ms_per_request:.3f} CPU ms per request, "
                        f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
                        f"errors {result.errors}",
                        flush=True,
                    )
        checks = []
        for variant in chosen:
            if variant.metrics_port is not None:
                counted = requests_counted(variant.metrics_port)
                checks.append(
                    f"{variant.name}: its metrics port counted {counted:,.0f} answers "
                    f"(the measured runs completed {sent[variant.name]:,}; warm-ups and "
                    "requests in flight when a run ended make the rest)"
                )
        for server in servers.values():
            server.stop()  # the last spans are sent as the servers stop
        checks.append(
            f"the trace sink received {sink.spans:,} spans in {sink.exports:,} exports "
            "(a server span and a database span per request)"
        )
    markdown, passed = render(setup, results, [v.name for v in chosen], checks)
    (out_dir / "results.md").write_text(markdown)
    print("\n" + markdown)
    print(f"Results: {out_dir}/results.md")
    print("Metrics cost: " + ("within budget" if passed else "OVER BUDGET"))


if __name__ == "__main__":
    main()
