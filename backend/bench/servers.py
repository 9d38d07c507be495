"""Start the production server command, find its workers, and read their memory."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def server_command(factory: str, *, workers: int, port: int) -> list[str]:
    """The production command: uvicorn, an app factory, N workers, no access log."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--workers",
        str(workers),
        "--no-access-log",
        "--host",
        HOST,
        "--port",
        str(port),
    ]


def read_memory_kib(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process from /proc, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


@dataclass
class Server:
    """One uvicorn master with its worker processes, started from `cwd`."""

    name: str
    factory: str
    cwd: Path
    env: dict[str, str]
    log_path: Path
    workers: int = 2
    health_path: str = "/health"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def command(self) -> list[str]:
        return server_command(self.factory, workers=self.workers, port=self.port)

    def start(self) -> None:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} server exited; see its log {self.log_path}"
                )
            started = self.log_path.read_text(errors="replace").count(
                "Application startup complete"
            )
            if started >= self.workers and self._healthy():
                return
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} server did not start; see {self.log_path}")

    def _healthy(self) -> bool:
        try:
            answer = httpx.get(self.base_url + self.health_path, timeout=2)
        except httpx.HTTPError:
            return False
        return answer.status_code == 200

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = psutil.Process(self.process.pid).children()
        return sorted(
            child.pid for child in children if "spawn_main" in " ".join(child.cmdline())
        )

    def memory_kib(self) -> dict[int, tuple[int, int]]:
        """Each worker's (current RSS, peak RSS) in KiB."""
        return {pid: read_memory_kib(pid) for pid in self.worker_pids()}

    def wait_idle(self, limit_s: float = 90, busy_percent: float = 10) -> None:
        """Wait until the workers are idle (below `busy_percent` CPU each)."""
        workers = [psutil.Process(pid) for pid in self.worker_pids()]
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            for worker in workers:
                worker.cpu_percent()
            time.sleep(0.5)
            if all(worker.cpu_percent() < busy_percent for worker in workers):
                return

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class RssSampler:
    """Samples the workers' RSS every `interval` seconds in a background thread."""

    def __init__(self, server: Server, interval: float = 2.0) -> None:
        self.server = server
        self.interval = interval
        self.samples: list[tuple[float, int, int]] = []  # (seconds, pid, rss KiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = 0.0

    def __enter__(self) -> "RssSampler":
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            elapsed = time.monotonic() - self._started
            for pid, (rss, _peak) in self.server.memory_kib().items():
                self.samples.append((elapsed, pid, rss))
            self._stop.wait(self.interval)
