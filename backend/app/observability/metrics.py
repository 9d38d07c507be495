"""What the app counts, in Prometheus's terms, and the calls that count it.

Every metric is kept in prometheus_client's multiprocess mode: each process writes its
values to files of one folder per server (`app.observability.exporter.server_folder`),
and the exporter sums them across uvicorn's workers. So a metric must be made after
that mode is on: through `counter`, `gauge` and `histogram` here, never by calling
prometheus_client's classes at import time.

Adding a metric elsewhere (the job queue's, say), made once per process on first use
(two objects of one name in a process would overwrite each other's counts):

    @functools.cache
    def jobs_failed() -> Counter:
        return metrics.counter("jobs_failed_total", "Failed jobs", ["kind"])
    ...
    jobs_failed().labels(kind).inc()

A value read at scrape time (`jobs_queued` from a query) is a collector instead:
`exporter.register_collector(collector)`, in every process at startup. The jobs worker
(`python -m app.worker`) already serves its own METRICS_PORT.

Labels stay few and bounded: a route template, never a path; a method from a fixed
list; a status code; a rate-limit rule's name; a login failure's reason.
"""

import gc
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from prometheus_client import Counter, Gauge, Histogram, values
from starlette.types import Scope

from app.observability.exporter import server_folder

# Seconds. The API answers most requests in milliseconds; the top buckets catch the
# slow tail up to the statement and pool timeouts.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
POOL_WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The `route` of a request no route took: an unknown path, a slash redirect.
UNMATCHED = "unmatched"
# Any other method (the client chooses it, so it must not become a label value).
OTHER_METHOD = "other"
GaugeMode = Literal["livesum", "liveall", "livemax", "livemin", "sum", "all", "max"]


def multiprocess_mode() -> None:
    """Count in files of this server's folder from now on (idempotent)."""
    folder = server_folder()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    if not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]


def counter(name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
    multiprocess_mode()
    return Counter(name, documentation, labels, registry=None)


def gauge(
    name: str,
    documentation: str,
    labels: Sequence[str] = (),
    mode: GaugeMode = "livesum",
) -> Gauge:
    """`mode` says how workers' values combine: `livesum` adds those of the running
    ones (the default), `liveall` keeps one series per process (a `pid` label)."""
    multiprocess_mode()
    return Gauge(name, documentation, labels, registry=None, multiprocess_mode=mode)


def histogram(
    name: str, documentation: str, labels: Sequence[str], buckets: Sequence[float]
) -> Histogram:
    multiprocess_mode()
    return Histogram(name, documentation, labels, registry=None, buckets=buckets)


def route_template(scope: Scope) -> str:
    """The template of the route that took the request (`/api/v1/items/{item_id}`),
    or UNMATCHED. For a route of an included router, FastAPI keeps the whole template
    (prefix included) in its effective route context; the route itself knows only its
    own part."""
    context = scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(context, "path_format", None)
    if isinstance(template, str):
        return template
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


@dataclass
class _GcCounts:
    collections: Counter
    collected: Counter
    uncollectable: Counter
    seen: list[dict[str, int]] = field(default_factory=list)

    def sample(self) -> None:
        """Add what the collector did since the last sample (per generation)."""
        stats = gc.get_stats()
        if not self.seen:
            self.seen = [dict.fromkeys(stat, 0) for stat in stats]
        for generation, (now, before) in enumerate(zip(stats, self.seen, strict=True)):
            label = str(generation)
            for key, metric in (
                ("collections", self.collections),
                ("collected", self.collected),
                ("uncollectable", self.uncollectable),
            ):
                if now[key] > before[key]:
                    metric.labels(label).inc(now[key] - before[key])
            self.seen[generation] = dict(now)


class AppMetrics:
    """The backend's metrics (deployment.md, "Metrics and traces"), one set per process."""

    def __init__(self) -> None:
        self.requests = counter(
            "http_requests_total",
            "HTTP answers, by method, route template and status",
            ["method", "route", "status"],
        )
        self.duration = histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            LATENCY_BUCKETS,
        )
        self.in_flight = gauge(
            "http_requests_in_flight", "HTTP requests being handled now"
        )
        self.pool_connections = gauge(
            "db_pool_connections",
            "Database connections of the pool: in_use, idle, max",
            ["state"],
        )
        self.pool_wait = histogram(
            "db_pool_wait_seconds",
            "Time waited for a pooled database connection",
            [],
            POOL_WAIT_BUCKETS,
        )
        self.rate_limit_refusals = counter(
            "rate_limit_refusals_total", "Requests refused with 429, by rule", ["rule"]
        )
        self.login_failures = counter(
            "login_failures_total", "Failed logins, by reason", ["reason"]
        )
        self._gc = _GcCounts(
            counter(
                "python_gc_collections_total",
                "Times each generation was collected",
                ["generation"],
            ),
            counter(
                "python_gc_objects_collected_total",
                "Objects collected, by generation",
                ["generation"],
            ),
            counter(
                "python_gc_objects_uncollectable_total",
                "Uncollectable objects found, by generation",
                ["generation"],
            ),
        )
        # Each (method, route, status)'s counter and each (method, route)'s histogram,
        # looked up once: `labels()` validates and locks on every call.
        self._answered: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def request_started(self) -> None:
        self.in_flight.inc()

    def request_finished(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"]
        if method not in METHODS:
            method = OTHER_METHOD
        key = (method, route_template(scope), status)
        children = self._answered.get(key)
        if children is None:
            children = self._answered[key] = (
                self.requests.labels(key[0], key[1], str(status)),
                self.duration.labels(key[0], key[1]),
            )
        children[0].inc()
        children[1].observe(seconds)
        self.in_flight.dec()

    def sample(self, pool_stats: Mapping[str, int] | None) -> None:
        """Values read now rather than counted: the pool's connections, the GC's work."""
        if pool_stats is not None:
            size = pool_stats.get("pool_size", 0)
            idle = pool_stats.get("pool_available", 0)
            self.pool_connections.labels("in_use").set(size - idle)
            self.pool_connections.labels("idle").set(idle)
            self.pool_connections.labels("max").set(pool_stats.get("pool_max", 0))
        self._gc.sample()


_metrics: AppMetrics | None = None


def app_metrics() -> AppMetrics:
    """This process's metrics, made on first use."""
    global _metrics
    if _metrics is None:
        _metrics = AppMetrics()
    return _metrics


def count_rate_limit_refusal(rule: str) -> None:
    if _metrics is not None:
        _metrics.rate_limit_refusals.labels(rule).inc()


def count_login_failure(reason: str) -> None:
    if _metrics is not None:
        _metrics.login_failures.labels(reason).inc()
