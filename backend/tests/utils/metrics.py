"""Reading the app's metrics port as Prometheus does: one GET, parsed."""

from collections.abc import Mapping

import httpx
from prometheus_client.parser import text_string_to_metric_families

# A sample's name and its labels, sorted: ("http_requests_total", (("method", "GET"), ...)).
SeriesKey = tuple[str, tuple[tuple[str, str], ...]]
Samples = dict[SeriesKey, float]


def scrape(port: int) -> Samples:
    """Every sample the metrics port serves now."""
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            samples[key] = sample.value
    return samples


def series(
    samples: Mapping[SeriesKey, float], name: str, *labels: str
) -> dict[tuple[str, ...], float]:
    """One metric's samples, keyed by the values of `labels` (in that order)."""
    found = {}
    for (sample_name, sample_labels), value in samples.items():
        if sample_name == name:
            given = dict(sample_labels)
            found[tuple(given.get(label, "") for label in labels)] = value
    return found


def pids(samples: Mapping[SeriesKey, float]) -> set[int]:
    """The processes the exporter describes (`process_start_time_seconds{pid}`)."""
    return {int(pid) for (pid,) in series(samples, "process_start_time_seconds", "pid")}
