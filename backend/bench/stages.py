"""The stages of a run: endpoint tables, growth probes, profiles and the soak."""

import os
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench import plans, report
from bench.database import Database
from bench.load import Endpoint, LoadResult, Request, run_wrk, slug, write_plan
from bench.profiling import profile_worker, render
from bench.seed import Account, Api, delete_posted_items
from bench.servers import RssSampler, Server

CONNECTIONS = 32
SUPERUSER_EMAIL = "admin@example.com"


@dataclass(frozen=True)
class Mode:
    name: str
    sizes: tuple[int, ...]
    seconds: int  # per endpoint at c=32
    warmup: int
    login_seconds: int
    growth_seconds: int
    soak_seconds: int
    profile_seconds: int


QUICK = Mode("quick", (10_000, 100_000), 5, 1, 15, 4, 30, 8)
FULL = Mode("full", (10_000, 100_000, 1_000_000), 15, 3, 30, 10, 300, 15)


class Run:
    """State shared by the stages of one benchmark run."""

    def __init__(
        self, mode: Mode, out_dir: Path, db: Database, app: Server, ceiling: Server
    ):
        self.mode, self.out_dir, self.db = mode, out_dir, db
        self.app, self.ceiling = app, ceiling
        self.cores = os.cpu_count() or 1
        self.started = time.monotonic()
        self.api = Api(app.base_url)
        self.superuser = Account(SUPERUSER_EMAIL, app.env["FIRST_SUPERUSER_PASSWORD"])
        self.owner = Account("", "")
        self.plan_dir = out_dir / "plans"
        self.plan_dir.mkdir(exist_ok=True)

    def log(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.0f}s] {message}", flush=True)

    def tokens(self) -> tuple[str, str]:
        """Fresh tokens for every stage: access tokens expire during a long run."""
        return self.api.login(self.owner), self.api.login(self.superuser)

    def load(
        self, endpoint: Endpoint, *, connections: int, seconds: int, warmup: int
    ) -> LoadResult:
        plan_file = write_plan(
            self.plan_dir / f"{slug(endpoint.name)}.txt", endpoint.plan
        )
        timeout = 60 if endpoint.slow else 10
        if warmup:
            run_wrk(
                self.app.base_url,
                plan_file,
                connections=connections,
                duration_s=warmup,
                timeout_s=timeout,
            )
        result = run_wrk(
            self.app.base_url,
            plan_file,
            connections=connections,
            duration_s=seconds,
            timeout_s=timeout,
            steady_state=endpoint.slow,
        )
        if endpoint.slow:
            # Requests wrk abandoned keep the workers busy for up to a wave's time.
            self.app.wait_idle()
        return result

    def ceiling_run(self) -> LoadResult:
        plan_file = write_plan(
            self.plan_dir / "ceiling.txt", [Request("GET", "/ceiling")]
        )
        run_wrk(
            self.ceiling.base_url,
            plan_file,
            connections=CONNECTIONS,
            duration_s=self.mode.warmup or 1,
            timeout_s=10,
        )
        return run_wrk(
            self.ceiling.base_url,
            plan_file,
            connections=CONNECTIONS,
            duration_s=self.mode.seconds,
            timeout_s=10,
        )

    def counts(self) -> tuple[int, int]:
        with psycopg.connect(self.db.url) as connection:
            row = connection.execute(
                'SELECT (SELECT count(*) FROM item), (SELECT count(*) FROM "user")'
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def endpoint_table(self, stage: str) -> report.StageTable:
        items, users = self.counts()
        table = report.StageTable(stage=stage, items=items, users=users)
        owner_token, superuser_token = self.tokens()
        for endpoint in plans.endpoints(self.owner, owner_token, superuser_token):
            seconds = self.mode.login_seconds if endpoint.slow else self.mode.seconds
            warmup = 0 if endpoint.slow else self.mode.warmup
            ceiling = self.ceiling_run()
            result = self.load(
                endpoint, connections=CONNECTIONS, seconds=seconds, warmup=warmup
            )
            table.ceilings[endpoint.name] = ceiling
            table.rows[endpoint.name] = result
            self.log(
                f"{stage}: {endpoint.name}: {result.rps:,.1f} req/s "
                f"(ceiling {ceiling.rps:,.0f}, share {table.share(endpoint.name):.4f}), "
                f"p50 {result.p50_ms:.2f} ms, errors {result.errors}"
            )
        removed = delete_posted_items(self.db.url, plans.POST_TITLE)
        self.log(f"{stage}: removed {removed:,} posted items")
        print(table.render(self.cores), flush=True)
        return table

    def growth(self, size: int) -> dict[str, LoadResult]:
        owner_token, superuser_token = self.tokens()
        team_id, owner_rows = self.api.personal_team(owner_token)
        deep_cursor = self.api.cursor_at(owner_token, plans.deep_skip(owner_rows))
        probes = plans.growth_probes(owner_token, superuser_token, team_id, deep_cursor)
        results = {}
        for probe in probes:
            results[probe.name] = self.load(
                probe, connections=1, seconds=self.mode.growth_seconds, warmup=1
            )
            self.log(
                f"{report.label(size)}: {probe.name} at c=1: p50 {results[probe.name].p50_ms:.2f} ms"
            )
        return results

    def profiles(self) -> str:
        owner_token, superuser_token = self.tokens()
        wanted = {"GET /users/me": "users-me", "GET /items/ (100 rows)": "items-list"}
        texts = []
        for endpoint in plans.endpoints(self.owner, owner_token, superuser_token):
            if endpoint.name not in wanted:
                continue
            plan_file = write_plan(
                self.plan_dir / f"profile-{wanted[endpoint.name]}.txt", endpoint.plan
            )
            try:
                profile = profile_worker(
                    name=endpoint.name,
                    pid=self.app.worker_pids()[0],
                    base_url=self.app.base_url,
                    plan_file=plan_file,
                    seconds=self.mode.profile_seconds,
                    out_dir=self.out_dir,
                )
            except (RuntimeError, OSError) as exc:
                self.log(f"profile of {endpoint.name} failed: {exc}")
                texts.append(f"{endpoint.name}: profile failed ({exc})\n")
                continue
            if profile is None:
                return "py-spy not found: `uv sync --group bench` installs it.\n"
            texts.append(render(profile))
            self.log(f"profiled {endpoint.name}: {profile.samples} samples")
        return "\n".join(texts)

    def soak(self) -> tuple[LoadResult, list[tuple[float, int, int]]]:
        owner_token, superuser_token = self.tokens()
        plan_file = write_plan(
            self.plan_dir / "soak.txt",
            plans.soak_mix(self.owner, owner_token, superuser_token),
        )
        seconds = self.mode.soak_seconds
        with RssSampler(self.app, interval=max(1.0, seconds / 120)) as sampler:
            result = run_wrk(
                self.app.base_url,
                plan_file,
                connections=CONNECTIONS,
                duration_s=seconds,
                timeout_s=10,
            )
        return result, sampler.samples
