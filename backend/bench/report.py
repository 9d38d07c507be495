"""Tables, targets and charts: the run's figures as Markdown and PNG."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import matplotlib

from bench.load import LoadResult

matplotlib.use("Agg")  # files only; imported up front so the run fails early without it
import matplotlib.pyplot as plt  # noqa: E402

LOGIN = "POST /login/access-token"
# Issue targets: req/s at c=32 as a share of the ceiling in the same run, zero errors.
SHARE_TARGETS = {
    "GET /users/me": 0.15,
    "GET /items/{id}": 0.10,
    "GET /items/ (100 rows)": 0.035,
    "GET /users/ (100 rows, superuser)": 0.03,
    "POST /items/": 0.06,
    "PUT /items/{id}": 0.05,
}
GROWTH_LIMIT = 1.5  # p50 at 1M items over p50 at 10k
SOAK_GROWTH_LIMIT = 0.10


def label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1_000 and size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass
class StageTable:
    """One results table: the endpoints at one table size, each against its ceiling.

    Every endpoint run is paired with a ceiling run just before it, so a share compares
    two runs seconds apart: other load on the machine drifts less between them.
    """

    stage: str  # "base" or a size label
    items: int
    users: int
    rows: dict[str, LoadResult] = field(default_factory=dict)
    ceilings: dict[str, LoadResult] = field(default_factory=dict)

    def share(self, name: str) -> float:
        return self.rows[name].rps / self.ceilings[name].rps

    def render(self, cores: int) -> str:
        header = [
            "endpoint",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "ceiling req/s",
            "share of ceiling",
            "wrk CPU",
        ]
        ceilings = list(self.ceilings.values())
        mean = sum(run.rps for run in ceilings) / len(ceilings)
        low, high = min(run.rps for run in ceilings), max(run.rps for run in ceilings)
        rows = [
            [
                "ceiling: bare `async def` (mean of the paired runs)",
                f"{mean:,.0f}",
                f"{sorted(run.p50_ms for run in ceilings)[len(ceilings) // 2]:.2f}",
                f"{sorted(run.p99_ms for run in ceilings)[len(ceilings) // 2]:.2f}",
                str(sum(run.errors for run in ceilings)),
                f"{low:,.0f} to {high:,.0f}",
                "1",
                f"{ceilings[0].wrk_cpu_share(cores):.0%}",
            ]
        ]
        for name, result in self.rows.items():
            rows.append(
                [
                    name,
                    f"{result.rps:,.1f}" + ("*" if result.steady_state else ""),
                    f"{result.p50_ms:.2f}",
                    f"{result.p99_ms:.2f}",
                    str(result.errors),
                    f"{self.ceilings[name].rps:,.0f}",
                    f"{self.share(name):.4f}",
                    f"{result.wrk_cpu_share(cores):.0%}",
                ]
            )
        title = (
            f"### Endpoints, {self.stage}: {self.items:,} items, {self.users:,} users "
            "(c=32)"
        )
        note = ""
        if any(result.steady_state for result in self.rows.values()):
            note = (
                "\n\\* bcrypt-bound: req/s = c / mean latency (Little's law), since a "
                "whole wave of seconds-long requests is still in flight when wrk stops.\n"
            )
        return f"{title}\n\n{markdown_table(header, rows)}\n{note}"


def targets_table(
    tables: Sequence[StageTable], *, login_target_rps: float, login_basis: str
) -> tuple[str, bool]:
    """Each target against each stage; True when every cell passes."""
    header = ["operation", "target", *(table.stage for table in tables)]
    rows: list[list[str]] = []
    all_pass = True
    for name, target in SHARE_TARGETS.items():
        cells = []
        for table in tables:
            ok = table.share(name) >= target and table.rows[name].errors == 0
            all_pass &= ok
            cells.append(f"{table.share(name):.4f} {verdict(ok)}")
        rows.append([f"`{name}`", f">= {target} of ceiling", *cells])
    cells = []
    for table in tables:
        result = table.rows[LOGIN]
        ok = result.rps >= login_target_rps and result.errors == 0
        all_pass &= ok
        cells.append(f"{result.rps:.2f} req/s {verdict(ok)}")
    rows.append(
        [f"`{LOGIN}`", f">= {login_target_rps:.2f} req/s ({login_basis})", *cells]
    )
    text = markdown_table(header, rows)
    return f"### Targets (c=32, zero errors)\n\n{text}\n", all_pass


def growth_table(growth: dict[str, dict[int, LoadResult]]) -> tuple[str, bool]:
    """p50 at c=1 per probe and size; the largest size over the 10k figure."""
    sizes = sorted({size for runs in growth.values() for size in runs})
    largest = sizes[-1]
    header = ["probe (c=1)", *(f"p50 ms @ {label(size)}" for size in sizes)]
    header += [f"{label(largest)} / 10k", "verdict"]
    rows = []
    all_pass = True
    for probe, runs in growth.items():
        ratio = runs[largest].p50_ms / runs[10_000].p50_ms
        errors = sum(run.errors for run in runs.values())
        ok = ratio <= GROWTH_LIMIT and errors == 0
        if largest < 1_000_000:
            judged = f"{verdict(ok)} at {label(largest)} (1M not run)"
        else:
            judged = verdict(ok)
        all_pass &= ok
        rows.append(
            [
                probe,
                *(f"{runs[size].p50_ms:.2f}" for size in sizes),
                f"{ratio:.2f}x",
                judged,
            ]
        )
    text = markdown_table(header, rows)
    title = f"### Growth: p50 at concurrency 1 (limit: 1M <= {GROWTH_LIMIT}x 10k)"
    return f"{title}\n\n{text}\n", all_pass


def memory_table(memory: dict[str, dict[int, tuple[int, int]]]) -> str:
    rows = [
        [server, str(pid), f"{rss / 1024:.1f}", f"{peak / 1024:.1f}"]
        for server, workers in memory.items()
        for pid, (rss, peak) in workers.items()
    ]
    header = ["server", "worker pid", "RSS at end MiB", "peak RSS (VmHWM) MiB"]
    return f"### Worker memory\n\n{markdown_table(header, rows)}\n"


def soak_table(
    result: LoadResult,
    samples: Sequence[tuple[float, int, int]],
    seconds: int,
) -> tuple[str, bool]:
    by_pid: dict[int, list[int]] = {}
    for _elapsed, pid, rss in samples:
        by_pid.setdefault(pid, []).append(rss)
    rows = []
    all_pass = result.errors == 0
    for pid, series in sorted(by_pid.items()):
        growth = (series[-1] - series[0]) / series[0]
        ok = growth <= SOAK_GROWTH_LIMIT
        all_pass &= ok
        rows.append(
            [
                str(pid),
                f"{series[0] / 1024:.1f}",
                f"{series[-1] / 1024:.1f}",
                f"{max(series) / 1024:.1f}",
                f"{growth:+.1%}",
                verdict(ok),
            ]
        )
    header = [
        "worker pid",
        "RSS start MiB",
        "RSS end MiB",
        "max MiB",
        "growth",
        "verdict",
    ]
    summary = (
        f"{seconds} s mixed load at c=32: {result.requests:,} requests, "
        f"{result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
        f"errors {result.errors} ({verdict(result.errors == 0)}); "
        f"limit: no worker grows more than {SOAK_GROWTH_LIMIT:.0%}."
    )
    text = markdown_table(header, rows)
    return f"### Soak\n\n{summary}\n\n{text}\n", all_pass


def latency_chart(
    tables: Sequence[StageTable],
    growth: dict[str, dict[int, LoadResult]],
    path: Path,
) -> None:
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2))
    for probe, runs in growth.items():
        sizes = sorted(runs)
        (line,) = left.plot(
            sizes, [runs[s].p50_ms for s in sizes], marker="o", label=probe
        )
        base = runs.get(10_000)
        if base:
            left.axhline(
                base.p50_ms * GROWTH_LIMIT,
                linestyle=":",
                linewidth=1,
                color=line.get_color(),
            )
    left.set_title(
        f"Paging p50 at concurrency 1 (dotted: {GROWTH_LIMIT}x the 10k figure)"
    )
    sized = [table for table in tables if table.stage != "base"]
    for name in tables[0].rows if tables else []:
        if name == LOGIN:
            continue
        right.plot(
            [t.items for t in sized],
            [t.rows[name].p50_ms for t in sized],
            marker="o",
            label=name,
        )
    right.set_title("Endpoint p50 at c=32")
    sizes = sorted({size for runs in growth.values() for size in runs})
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_xticks(sizes, [label(size) for size in sizes])
        axis.minorticks_off()
        axis.set_xlabel("items in the table")
        axis.set_ylabel("p50 latency (ms)")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def soak_chart(samples: Sequence[tuple[float, int, int]], path: Path) -> None:
    figure, axis = plt.subplots(figsize=(8, 4))
    for pid in sorted({pid for _t, pid, _rss in samples}):
        points = [(t, rss / 1024) for t, p, rss in samples if p == pid]
        axis.plot([t for t, _ in points], [m for _, m in points], label=f"worker {pid}")
    axis.set_title("Worker RSS during the soak")
    axis.set_xlabel("seconds")
    axis.set_ylabel("RSS (MiB)")
    axis.grid(True, alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


@dataclass
class Results:
    """Everything one run measured, in the order the report shows it."""

    cores: int
    login_target_rps: float
    login_basis: str
    setup: dict[str, str] = field(default_factory=dict)
    tables: list[StageTable] = field(default_factory=list)
    growth: dict[str, dict[int, LoadResult]] = field(default_factory=dict)
    memory: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)
    soak: LoadResult | None = None
    soak_samples: list[tuple[float, int, int]] = field(default_factory=list)
    soak_seconds: int = 0
    profile: str = ""
    query_plans: str = ""

    def raw(self) -> dict[str, object]:
        return {
            "setup": self.setup,
            "login_target_rps": self.login_target_rps,
            "tables": [
                {
                    "stage": table.stage,
                    "items": table.items,
                    "users": table.users,
                    "ceilings": {
                        name: asdict(run) for name, run in table.ceilings.items()
                    },
                    "rows": {name: asdict(run) for name, run in table.rows.items()},
                }
                for table in self.tables
            ],
            "growth": {
                probe: {str(size): asdict(run) for size, run in runs.items()}
                for probe, runs in self.growth.items()
            },
            "memory_kib": {
                server: {str(pid): list(values) for pid, values in workers.items()}
                for server, workers in self.memory.items()
            },
            "soak": asdict(self.soak) if self.soak else None,
            "soak_rss_samples": self.soak_samples,
        }


def failing_cells(results: Results) -> list[str]:
    failures = []
    for table in results.tables:
        for name, target in SHARE_TARGETS.items():
            share, errors = table.share(name), table.rows[name].errors
            if share < target or errors:
                failures.append(
                    f"{name} @ {table.stage}: share {share:.4f} (target {target}), "
                    f"{errors} errors"
                )
        login = table.rows[LOGIN]
        if login.rps < results.login_target_rps or login.errors:
            failures.append(
                f"{LOGIN} @ {table.stage}: {login.rps:.2f} req/s (target "
                f"{results.login_target_rps:.2f}), {login.errors} errors"
            )
    return failures


def render_markdown(results: Results) -> tuple[str, list[str]]:
    """The whole report; and one line per failing target."""
    targets, _ = targets_table(
        results.tables,
        login_target_rps=results.login_target_rps,
        login_basis=results.login_basis,
    )
    growth, growth_ok = growth_table(results.growth)
    failures = failing_cells(results)
    if not growth_ok:
        failures.append("growth: p50 at the largest size over 1.5x the 10k figure")
    sections = [
        f"# Benchmark results ({results.setup.get('date', '')})",
        "\n".join(f"- **{key}**: {value}" for key, value in results.setup.items()),
        "Each endpoint's share is its req/s over a ceiling run made just before it "
        "(same duration, same c), so drift from other load on the machine cancels as "
        "far as it can; the ceiling column shows those paired runs.",
        "## Endpoints",
        *(table.render(results.cores) for table in results.tables),
        "## Targets",
        targets,
        "## Growth",
        growth,
        "![p50 latency against table size](latency-vs-size.png)",
    ]
    if results.soak:
        soak, soak_ok = soak_table(
            results.soak, results.soak_samples, results.soak_seconds
        )
        if not soak_ok:
            failures.append("soak: worker memory growth or errors over the limit")
        sections += ["## Memory", memory_table(results.memory), soak]
        sections.append("![worker RSS during the soak](soak-memory.png)")
    if results.profile:
        sections += ["## Profile (py-spy, one worker)", f"```\n{results.profile}```"]
    if results.query_plans:
        sections += [
            "## Query plans at the largest size",
            f"```\n{results.query_plans}```",
        ]
    summary = "\n".join(f"- {line}" for line in failures) or "- none"
    sections += ["## Failing", summary]
    return "\n\n".join(sections) + "\n", failures
