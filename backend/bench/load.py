"""Drive load with wrk: request plans, one run, and its figures."""

import json
import os
import resource
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).resolve().parent / "lua" / "plan.lua"
WRK_INSTALL_HINT = (
    "wrk is missing: install it with `apt-get install -y wrk` (Debian/Ubuntu); "
    "run as root, the benchmark installs it itself."
)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    token: str | None = None
    content_type: str | None = None
    body: str | None = None

    def line(self) -> str:
        for value in (self.path, self.token, self.content_type, self.body):
            if value and ("\t" in value or "\n" in value):
                raise ValueError("plan fields cannot hold tabs or newlines")
        fields = [self.method, self.path, self.token, self.content_type, self.body]
        return "\t".join(value or "-" for value in fields)


def json_request(method: str, path: str, token: str, body: object) -> Request:
    return Request(method, path, token, "application/json", json.dumps(body))


@dataclass(frozen=True)
class Endpoint:
    """A named request plan: what one row of a results table measures."""

    name: str
    plan: Sequence[Request]
    slow: bool = False  # bcrypt-bound: longer runs, longer timeout


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    non2xx: int
    socket_errors: int
    wrk_cpu_s: float
    connections: int
    # Slow endpoints (seconds per request) are read by Little's law, see `rps`.
    steady_state: bool = False

    @property
    def rps(self) -> float:
        """Completed requests per second.

        For a slow endpoint, completions over the run undercount badly: at c=32 and
        seconds per request, a whole wave of requests is still in flight when wrk
        stops. wrk keeps every connection busy (a closed loop), so the steady rate
        is c / mean latency (Little's law) instead.
        """
        if self.steady_state and self.mean_ms:
            return self.connections / (self.mean_ms / 1000)
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors

    def wrk_cpu_share(self, cores: int) -> float:
        """wrk's own CPU time as a share of the machine during the run."""
        return self.wrk_cpu_s / (self.duration_s * cores) if self.duration_s else 0.0


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing it with apt-get (we are root)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
        path = shutil.which("wrk")
    if not path:
        raise SystemExit(WRK_INSTALL_HINT)
    return path


def slug(name: str) -> str:
    """A file-name form of an endpoint's name: `GET /users/me` -> `get-users-me`."""
    return "-".join("".join(c if c.isalnum() else " " for c in name).split()).lower()


def write_plan(path: Path, plan: Sequence[Request]) -> Path:
    path.write_text("".join(request.line() + "\n" for request in plan))
    return path


def run_wrk(
    base_url: str,
    plan_file: Path,
    *,
    connections: int,
    duration_s: float,
    timeout_s: float,
    steady_state: bool = False,
) -> LoadResult:
    """One bounded wrk run against 127.0.0.1; wrk's CPU time is measured too."""
    threads = min(2, connections)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{int(duration_s)}s",
        f"--timeout={int(timeout_s)}s",
        "-s",
        str(LUA_SCRIPT),
        base_url,
        "--",
        str(plan_file),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    finished = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=duration_s + timeout_s + 30,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(
        (row for row in finished.stdout.splitlines() if row.startswith("BENCH_RESULT")),
        None,
    )
    if finished.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {finished.stdout}\n{finished.stderr}")
    figures = json.loads(line.removeprefix("BENCH_RESULT "))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return LoadResult(
        requests=figures["requests"],
        duration_s=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1e3,
        p90_ms=figures["p90_us"] / 1e3,
        p99_ms=figures["p99_us"] / 1e3,
        max_ms=figures["max_us"] / 1e3,
        mean_ms=figures["mean_us"] / 1e3,
        non2xx=figures["non2xx"],
        socket_errors=sum(
            figures[kind] for kind in ("connect", "read", "write", "timeout")
        ),
        wrk_cpu_s=cpu,
        connections=connections,
        steady_state=steady_state,
    )
