"""The Compose profile `observability`'s own files, checked without running them.

    python observability_policy.py OBSERVABILITY_JSON

OBSERVABILITY_JSON is `docker compose -f docker-compose.yml --profile observability
config --format json`; the files are those its services mount from deploy/observability.
Checks that the collector receives OTLP/HTTP on 4318 and every pipeline names defined
parts, that Prometheus scrapes the backend's metrics port, that Grafana's data source is
that Prometheus and its dashboard queries only the metrics the app exports (and shows
each of them). Prints one line per failed promise; exits 1 if there is any.
"""

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

METRICS_PORT = 9100
OTLP_HTTP_PORT = 4318
# What the backend exports on its metrics port (deployment.md, "Metrics and traces"):
# counters, gauges and histograms (whose series end in _bucket, _sum and _count).
APP_METRICS = {
    "http_requests_total": "counter",
    "http_request_duration_seconds": "histogram",
    "http_requests_in_flight": "gauge",
    "db_pool_connections": "gauge",
    "db_pool_wait_seconds": "histogram",
    "rate_limit_refusals_total": "counter",
    "login_failures_total": "counter",
    "jobs_queued": "gauge",
    "jobs_failed_total": "counter",
}
# prometheus_client's own collectors.
DEFAULT_METRIC_PREFIXES = ("process_", "python_")
PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "le",
    "inf",
}

failures: list[str] = []


def check(condition: bool, promise: str) -> None:
    if not condition:
        failures.append(promise)


def mounted(config: dict[str, Any], service: str, target: str) -> Path:
    """The repository file that Compose puts at `target` in `service`."""
    for item in config["services"][service].get("configs", []):
        if item["target"] == target:
            return Path(config["configs"][item["source"]]["file"])
    raise SystemExit(f"{service} has no config at {target}")


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression reads."""
    text = re.sub(r'"[^"]*"', "", expression)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?", text):
        name = match.group(0).rstrip("( \t")
        if match.group(1) or name.lower() in PROMQL_WORDS:
            continue  # a function, or a keyword
        names.add(name)
    return names


def family(name: str) -> str | None:
    """The app metric a series name belongs to, or None."""
    if name in APP_METRICS:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name.removesuffix(suffix)
        if base != name and APP_METRICS.get(base) == "histogram":
            return base
    return None


def check_collector(config: dict[str, Any]) -> None:
    service = config["services"]["otel-collector"]
    target = next(
        arg.split("=", 1)[1]
        for arg in service["command"]
        if arg.startswith("--config=")
    )
    collector = yaml.safe_load(mounted(config, "otel-collector", target).read_text())
    endpoint = collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    check(
        endpoint == f"0.0.0.0:{OTLP_HTTP_PORT}",
        f"the collector receives OTLP/HTTP on port {OTLP_HTTP_PORT} from the network",
    )
    pipelines = collector["service"]["pipelines"]
    check("traces" in pipelines, "the collector has a traces pipeline")
    for name, pipeline in pipelines.items():
        for part in ("receivers", "processors", "exporters"):
            for component in pipeline.get(part, []):
                check(
                    component in (collector.get(part) or {}),
                    f"the collector's {name} pipeline names a defined {component}",
                )


def check_prometheus(config: dict[str, Any]) -> None:
    prometheus = yaml.safe_load(
        mounted(config, "prometheus", "/etc/prometheus/prometheus.yml").read_text()
    )
    targets = set()
    for job in prometheus["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            targets |= {(name, sd.get("port")) for name in sd["names"]}
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, _, port = target.rpartition(":")
                targets.add((host, int(port)))
    check(
        ("backend", METRICS_PORT) in targets,
        f"Prometheus scrapes every backend container on port {METRICS_PORT}",
    )
    for host, _ in targets:
        check(
            host in config["services"] or host in {"localhost", "127.0.0.1"},
            f"Prometheus scrapes {host}, a service of the stack",
        )


def check_grafana(config: dict[str, Any]) -> None:
    datasources = yaml.safe_load(
        mounted(
            config, "grafana", "/etc/grafana/provisioning/datasources/prometheus.yaml"
        ).read_text()
    )["datasources"]
    check(len(datasources) == 1, "Grafana has one data source")
    source = datasources[0]
    check(
        source["type"] == "prometheus" and source["url"] == "http://prometheus:9090",
        "Grafana's data source is the profile's Prometheus",
    )
    providers = yaml.safe_load(
        mounted(
            config, "grafana", "/etc/grafana/provisioning/dashboards/dashboards.yaml"
        ).read_text()
    )["providers"]
    folder = providers[0]["options"]["path"]
    dashboard_target = f"{folder}/backend.json"
    dashboard = json.loads(mounted(config, "grafana", dashboard_target).read_text())
    check_dashboard(dashboard, source["uid"])


def check_dashboard(dashboard: dict[str, Any], datasource_uid: str) -> None:
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    check(len(ids) == len(set(ids)), "every dashboard panel has its own id")
    used: set[str] = set()
    for panel in panels:
        title = panel["title"]
        check(
            panel["datasource"]["uid"] == datasource_uid,
            f"panel {title!r} reads the provisioned data source",
        )
        check(bool(panel["targets"]), f"panel {title!r} has a query")
        for target in panel["targets"]:
            check(
                target["datasource"]["uid"] == datasource_uid,
                f"panel {title!r}'s queries read the provisioned data source",
            )
            for name in metric_names(target["expr"]):
                if name.startswith(DEFAULT_METRIC_PREFIXES):
                    continue
                metric = family(name)
                check(
                    metric is not None, f"panel {title!r} reads {name}, an app metric"
                )
                if metric:
                    used.add(metric)
    for metric in sorted(set(APP_METRICS) - used):
        failures.append(f"the dashboard shows {metric}")


def main() -> None:
    with open(sys.argv[1]) as observability:
        config = json.load(observability)
    check_collector(config)
    check_prometheus(config)
    check_grafana(config)
    for failure in failures:
        print(f"observability policy FAILED: {failure}")
    if failures:
        sys.exit(1)
    print("observability policy: every promise holds")


if __name__ == "__main__":
    main()
