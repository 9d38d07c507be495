"""Serving the metrics: one exporter per server, whatever its number of workers.

Uvicorn's workers are separate processes, and Prometheus scrapes one port per
container. So every process of a server counts into files of one folder (the
multiprocess mode of prometheus_client) and one of them, whichever holds the folder's
lock, serves the sum of all on METRICS_PORT in a thread of its own. Should it stop,
another worker takes the lock within a second and serves in its place.

- The folder is the server's: named after the server process (uvicorn's supervisor
  when there are workers, else the process itself) and its start time, so a server
  started again under the same pid (PID 1 in a container) starts from empty files.
  Folders of servers that are gone are removed.
- Gauges count only processes still running: files of a worker that died are left out
  (`mark_process_dead`) before each scrape.
- `process_*` describes every worker, read from /proc at scrape time, with a `pid`
  label; `python_gc_*` is counted by each worker (`AppMetrics.sample`).
- The port serves `/metrics` and nothing else (404).
"""

import fcntl
import logging
import multiprocessing
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

FOLDER_PREFIX = "app-metrics-"
LOCK_FILE = "exporter.lock"
# How often a worker that does not serve checks whether it should.
ELECTION_SECONDS = 1.0
_DB_FILE = re.compile(r"_(\d+)\.db$")

# Collectors read at scrape time, in whichever process serves (see `register_collector`).
_extra_collectors: list[Collector] = []


def register_collector(collector: Collector) -> None:
    """Add a collector whose `collect()` runs at each scrape, in the serving process.

    For values read rather than counted (the jobs waiting in a table, say). Register it
    in every process of the server before `Exporter.start` (at startup), since any of
    them may be the one serving.
    """
    _extra_collectors.append(collector)


def _start_time(pid: int) -> str | None:
    """The process's start time since boot, in clock ticks (/proc), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: count fields after its ")".
    return stat.rpartition(")")[2].split()[19]


def _identity(pid: int) -> str:
    start = _start_time(pid)
    return f"{pid}-{start}" if start is not None else str(pid)


def _remove_folders_of_gone_servers(parent: Path, own: Path) -> None:
    for folder in parent.glob(f"{FOLDER_PREFIX}*"):
        pid, _, start = folder.name.removeprefix(FOLDER_PREFIX).partition("-")
        if folder == own or not pid.isdigit() or not start:
            continue
        if _start_time(int(pid)) != start:
            shutil.rmtree(folder, ignore_errors=True)


def server_folder() -> Path:
    """Where every process of this server writes its metrics (made on first call)."""
    parent = multiprocessing.parent_process()
    server_pid = parent.pid if parent is not None and parent.pid else os.getpid()
    root = Path(tempfile.gettempdir())
    folder = root / f"{FOLDER_PREFIX}{_identity(server_pid)}"
    if not folder.is_dir():
        folder.mkdir(mode=0o700, exist_ok=True)
        _remove_folders_of_gone_servers(root, folder)
    return folder


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pids(folder: Path) -> set[int]:
    return {
        int(match[1])
        for name in os.listdir(folder)
        if (match := _DB_FILE.search(name)) is not None
    }


class _LiveProcesses(Collector):
    """The folder's values, without the gauges of processes that are gone."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files = MultiProcessCollector(None, path=str(folder))  # type: ignore[no-untyped-call]

    def collect(self) -> Iterable[Metric]:
        for pid in _pids(self.folder):
            if not _running(pid):
                mark_process_dead(pid, str(self.folder))  # type: ignore[no-untyped-call]
        metrics: Iterable[Metric] = self.files.collect()  # type: ignore[no-untyped-call]
        return metrics


def _constant(pid: int) -> Callable[[], int]:
    return lambda: pid


class _WorkerProcesses(Collector):
    """CPU, memory, open files and start time of each running process of the server,
    read from /proc, labelled with its pid."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def collect(self) -> Iterator[Metric]:
        families: dict[str, Metric] = {}
        # This process too, though it may count nothing (a jobs worker).
        for pid in sorted(_pids(self.folder) | {os.getpid()}):
            if not _running(pid):
                continue
            reader = ProcessCollector(pid=_constant(pid), registry=None)
            for metric in reader.collect():
                family = families.setdefault(
                    metric.name, Metric(metric.name, metric.documentation, metric.type)
                )
                for sample in metric.samples:
                    labels = {**sample.labels, "pid": str(pid)}
                    family.add_sample(sample.name, labels, sample.value)
        yield from families.values()


def registry_for(folder: Path) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    for collector in (
        _LiveProcesses(folder),
        _WorkerProcesses(folder),
        PlatformCollector(registry=None),
        *_extra_collectors,
    ):
        registry.register(collector)
    return registry


class _MetricsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, registry: CollectorRegistry) -> None:
        super().__init__(("", port), _MetricsHandler)
        self.registry = registry


class _MetricsHandler(BaseHTTPRequestHandler):
    server: _MetricsServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if urlsplit(self.path).path != "/metrics":
            self._answer(404, "text/plain; charset=utf-8", b"Not Found\n")
            return
        encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
        self._answer(200, content_type, encoder(self.server.registry))

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Scrapes are not logged: one every 15 s would drown the app's own lines."""


class Exporter:
    """Serves the server's metrics on `port` while this process holds the folder's lock."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self._stopping = threading.Event()
        self._guard = threading.Lock()  # between `stop` and the server being set
        self._server: _MetricsServer | None = None
        self._thread = threading.Thread(
            target=self._run, name="metrics-exporter", daemon=True
        )

    @property
    def serving(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._guard:
            self._stopping.set()
            server = self._server
        if server is not None:
            server.shutdown()
        if self._thread.ident is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        with (self.folder / LOCK_FILE).open("ab") as lock_file:
            # Closing the file (when this ends) releases the lock: another worker serves.
            if self._elected(lock_file):
                self._serve()

    def _elected(self, lock_file: IO[bytes]) -> bool:
        while not self._stopping.is_set():
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._stopping.wait(ELECTION_SECONDS)
                continue
            return True
        return False

    def _serve(self) -> None:
        try:
            server = _MetricsServer(self.port, registry_for(self.folder))
        except OSError as exc:
            logger.error(
                "Metrics are not served: port %s is not available (%s)", self.port, exc
            )
            # Hold the lock until stopped: no other worker could bind the port either.
            self._stopping.wait()
            return
        with self._guard:
            if self._stopping.is_set():
                server.server_close()
                return
            self._server = server
        logger.info("Serving metrics on port %s", self.port)
        try:
            server.serve_forever(poll_interval=0.5)
        finally:
            server.server_close()
