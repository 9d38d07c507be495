"""Sample one worker with py-spy while wrk loads it, and summarise where time goes."""

import shutil
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.load import run_wrk, slug

SAMPLE_RATE = 200


@dataclass(frozen=True)
class Profile:
    name: str
    samples: int
    seconds: int
    self_top: list[tuple[str, int]]
    inclusive_top: list[tuple[str, int]]
    app_inclusive: list[tuple[str, int]]
    packages: list[tuple[str, int]]
    raw_path: Path


def py_spy() -> str | None:
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def profile_worker(
    *,
    name: str,
    pid: int,
    base_url: str,
    plan_file: Path,
    seconds: int,
    out_dir: Path,
) -> Profile | None:
    """Record `pid` for `seconds` under c=32 load from `plan_file`."""
    executable = py_spy()
    if executable is None:
        return None
    raw_path = out_dir / f"profile-{slug(name)}.collapsed.txt"
    load = threading.Thread(
        target=run_wrk,
        args=(base_url, plan_file),
        kwargs={"connections": 32, "duration_s": seconds + 3, "timeout_s": 10},
    )
    load.start()
    try:
        recorded = subprocess.run(
            [
                executable,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(seconds),
                "--rate",
                str(SAMPLE_RATE),
                "--format",
                "raw",
                "--output",
                str(raw_path),
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        load.join()
    if recorded.returncode != 0 or not raw_path.exists():
        raise RuntimeError(f"py-spy failed: {recorded.stderr.strip()}")
    return summarise(name, raw_path, seconds)


def _function(frame: str) -> str:
    """`handler (app/api/deps.py:42)` -> `handler (app/api/deps.py)`."""
    head, _, location = frame.rpartition(" (")
    path = location.rstrip(")").rsplit(":", 1)[0]
    return f"{head} ({path})" if head else frame


def _package(frame: str) -> str:
    location = frame.rpartition(" (")[2].rstrip(")").rsplit(":", 1)[0]
    first = location.split("/", 1)[0]
    return first.removesuffix(".py") or "?"


def summarise(name: str, raw_path: Path, seconds: int, top: int = 20) -> Profile:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in raw_path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if frames[0].startswith("Thread._bootstrap"):
            continue  # other threads: the thread pool and uvicorn's, mostly waiting
        total += count
        leaf = frames[-1]
        self_time[_function(leaf)] += count
        packages[_package(leaf)] += count
        # Process start-up down to the event loop is on every stack: no information.
        loop = next(
            (i for i, frame in enumerate(frames) if frame.startswith("Runner.run ")), -1
        )
        for function in {_function(frame) for frame in frames[loop + 1 :]}:
            inclusive[function] += count
    app = Counter(
        {
            function: count
            for function, count in inclusive.items()
            if "(app/" in function
        }
    )
    return Profile(
        name=name,
        samples=total,
        seconds=seconds,
        self_top=self_time.most_common(top),
        inclusive_top=inclusive.most_common(top + 10),
        app_inclusive=app.most_common(15),
        packages=packages.most_common(12),
        raw_path=raw_path,
    )


def render(profile: Profile) -> str:
    """Plain-text summary: self time by function and package, inclusive time."""

    def share(count: int) -> str:
        return f"{100 * count / profile.samples:5.1f}%" if profile.samples else "  n/a"

    busy = profile.samples / (profile.seconds * SAMPLE_RATE) if profile.seconds else 0
    lines = [
        f"## {profile.name}: one worker's event-loop thread under c=32, "
        f"{profile.seconds} s at {SAMPLE_RATE} Hz (raw stacks: {profile.raw_path.name})",
        f"Busy in {profile.samples} samples ({busy:.0%} of the time; py-spy drops idle "
        "ones); shares below are of the busy samples. `Runner.run (asyncio/runners.py)` "
        "as a leaf is time in uvloop's C code.",
        "",
        "Self time by package (leaf frame):",
        *(f"  {share(count)}  {package}" for package, count in profile.packages),
        "",
        "Self time by function:",
        *(f"  {share(count)}  {function}" for function, count in profile.self_top),
        "",
        "Inclusive time of the app's own functions (app/...):",
        *(f"  {share(count)}  {function}" for function, count in profile.app_inclusive),
        "",
        "Inclusive time by function (below the event loop; SQLAlchemy's greenlet "
        "stacks start at the greenlet's function):",
        *(f"  {share(count)}  {function}" for function, count in profile.inclusive_top),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Summarise saved stacks again: `python -m bench.profiling FILE SECONDS`."""
    raw_path, seconds = Path(sys.argv[1]), int(sys.argv[2])
    print(render(summarise(raw_path.stem, raw_path, seconds)))


if __name__ == "__main__":
    main()
