"""Whole-project benchmark on a fresh clone: full `dvc repro`, no-op `dvc repro`, the test suite.

Clones the repository's committed HEAD into a temporary folder (so nothing cached here helps), then
measures in the clone:
- the full default `dvc repro`: total wall time, and per stage (from the moment DVC announces the
  stage to the next announcement) with the peak resident memory of the stage's processes (sampled
  every 0.2 s with psutil);
- a no-op `dvc repro` right after (median of three runs);
- whether the run reproduced the committed numbers: `dvc metrics diff` (committed HEAD against the clone's
  fresh run: every metric that differs, printed) and `git status` (every tracked file the run changed);
- the test suite (`python -m pytest`, as `make test` runs it) unless --skip-tests.
Results go to reports/bench.json in THIS checkout (the reports index shows them), with the command,
commit, machine and load average. Uses the running interpreter's environment (run it with the
project's venv); pass --install to time `make setup` in the clone too and run everything in that
fresh venv instead.

    .venv/bin/python bench/pipeline.py                 # ~25 min on 2 cores
    .venv/bin/python bench/pipeline.py --skip-tests    # the pipeline only

A benchmark, not a test: it asserts nothing; it records the goals (full repro <= 12 min, no-op
<= 3 s) next to what it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.common.io import write_json  # noqa: E402
from pipelines.common.provenance import git_commit, utc_now  # noqa: E402

OUTPUT = ROOT / "reports" / "bench.json"
GOALS = {"full_repro_seconds": 12 * 60, "noop_repro_seconds": 3}  # issue 14: 12 min; issue 13: no-op 3 s
STAGE_LINE = re.compile(r"^Running stage '([^']+)'")


class MemoryWatch:
    """Peak RSS (MiB) of a process tree, attributed to whatever stage is running when sampled."""

    def __init__(self, root_pid: int, interval: float = 0.2):
        self.root = psutil.Process(root_pid)
        self.interval = interval
        self.stage: str | None = None
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            stage = self.stage
            if stage is None:
                continue
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            rss = 0
            for process in processes:
                try:
                    rss += process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.peaks[stage] = max(self.peaks.get(stage, 0.0), rss / 2**20)


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, result


def full_repro(clone: Path, env: dict[str, str]) -> dict:
    """`dvc repro` with per-stage wall time and peak memory; its log is kept beside the clone."""
    starts: list[tuple[str, float]] = []
    log_lines: list[str] = []
    begin = time.perf_counter()
    process = subprocess.Popen(
        ["dvc", "repro"], cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    with MemoryWatch(process.pid) as watch:
        for line in process.stdout:
            log_lines.append(line)
            match = STAGE_LINE.match(line)
            if match:
                starts.append((match.group(1), time.perf_counter()))
                watch.stage = match.group(1)
                print(f"  {time.perf_counter() - begin:7.1f} s  {match.group(1)}", flush=True)
        code = process.wait()
    end = time.perf_counter()
    if code != 0:
        sys.exit("error: dvc repro failed in the clone:\n" + "".join(log_lines[-40:]))
    stages = []
    for (name, start), following in zip(starts, [*starts[1:], ("end", end)], strict=True):
        stages.append(
            {"stage": name, "seconds": round(following[1] - start, 1), "peak_rss_mib": round(watch.peaks.get(name, 0))}
        )
    return {"seconds": round(end - begin, 1), "stages": stages}


def compare_with_committed(clone: Path, env: dict[str, str]) -> dict:
    """What the fresh run changed: metrics that differ from the committed ones, and tracked files it modified."""
    diff = subprocess.run(["dvc", "metrics", "diff", "--json"], cwd=clone, env=env, capture_output=True, text=True)
    if diff.returncode != 0:
        sys.exit(f"error: dvc metrics diff failed in the clone:\n{diff.stderr[-2000:]}")
    differing = [
        {"file": path, "metric": name, "committed": values.get("old"), "reproduced": values.get("new")}
        for path, metrics in sorted(json.loads(diff.stdout or "{}").items())
        for name, values in sorted(metrics.items())
    ]
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True)
    return {"metrics_differing": differing, "files_changed": status.stdout.splitlines()}


def run_test_suite(clone: Path, env: dict[str, str], python: str) -> dict:
    seconds, result = timed([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], clone, env)
    summary = next((line for line in reversed(result.stdout.splitlines()) if " in " in line), "")
    return {"seconds": round(seconds, 1), "exit_code": result.returncode, "summary": summary.strip("= ")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-tests", action="store_true", help="measure the pipeline only")
    parser.add_argument("--install", action="store_true", help="time `make setup` in the clone and use its venv")
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"where to write the results ({OUTPUT.name})")
    args = parser.parse_args()

    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    if dirty.stdout.strip():
        print("warning: uncommitted changes are NOT measured: the clone is the committed HEAD", file=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    clone = workdir / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    env = os.environ | {"DVC_NO_ANALYTICS": "1"}
    env.pop("WEATHER_DATABASE_URL", None)
    results: dict = {}
    if args.install:
        seconds, result = timed(["make", "setup"], clone, env)
        if result.returncode != 0:
            sys.exit(f"error: make setup failed in the clone:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        results["install_seconds"] = round(seconds, 1)
        bindir = clone / ".venv" / "bin"
    else:
        bindir = Path(sys.executable).parent
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
    python = str(bindir / "python")

    load_before = os.getloadavg()
    print(f"full dvc repro in {clone} (load average {load_before[0]:.2f})", flush=True)
    results["full_repro"] = full_repro(clone, env)
    results["reproduced"] = compare_with_committed(clone, env)
    for row in results["reproduced"]["metrics_differing"]:
        print(f"  differs: {row['file']} {row['metric']}: committed {row['committed']}, now {row['reproduced']}")
    for line in results["reproduced"]["files_changed"]:
        print(f"  changed by the run: {line}")
    noop = []
    for _ in range(3):
        seconds, result = timed(["dvc", "repro"], clone, env)
        noop.append(seconds)
    results["noop_repro"] = {"seconds": round(statistics.median(noop), 2), "runs": [round(s, 2) for s in noop]}
    if not args.skip_tests:
        print("test suite", flush=True)
        results["tests"] = run_test_suite(clone, env, python)
    load_after = os.getloadavg()

    stages = sorted(results["full_repro"]["stages"], key=lambda s: s["seconds"], reverse=True)
    heaviest = max(stages, key=lambda s: s["peak_rss_mib"])
    full, noop_median = results["full_repro"]["seconds"], results["noop_repro"]["seconds"]
    summary = [
        {
            "measure": "full default dvc repro",
            "value": f"{full / 60:.1f} min",
            "goal": f"≤ {GOALS['full_repro_seconds'] / 60:g} min",
            "met": full <= GOALS["full_repro_seconds"],
        },
        {
            "measure": "no-op dvc repro (median of 3)",
            "value": f"{noop_median:.1f} s",
            "goal": f"≤ {GOALS['noop_repro_seconds']:g} s",
            "met": noop_median <= GOALS["noop_repro_seconds"],
        },
        {
            "measure": "metrics identical to the committed ones (dvc metrics diff)",
            "value": f"{len(results['reproduced']['metrics_differing'])} differ",
            "goal": "0 differ",
            "met": not results["reproduced"]["metrics_differing"],
        },
        {
            "measure": "git status clean after the run",
            "value": f"{len(results['reproduced']['files_changed'])} files changed",
            "goal": "0 files changed",
            "met": not results["reproduced"]["files_changed"],
        },
        {
            "measure": f"peak memory of the heaviest stage ({heaviest['stage']})",
            "value": f"{heaviest['peak_rss_mib']:,} MiB",
            "goal": None,
            "met": None,
        },
    ]
    if "tests" in results:
        summary.append(
            {
                "measure": "test suite (pytest)",
                "value": f"{results['tests']['seconds'] / 60:.1f} min — {results['tests']['summary']}",
                "goal": None,
                "met": results["tests"]["exit_code"] == 0,
            }
        )
    if "install_seconds" in results:
        install = f"{results['install_seconds']:.0f} s"
        summary.insert(0, {"measure": "make setup (venv from the lock)", "value": install, "goal": None, "met": None})
    write_json(
        args.output,
        {
            "command": "python bench/pipeline.py " + shlex.join(sys.argv[1:]),
            "measured_at": utc_now(),
            "commit": git_commit(),
            "machine": {
                "cpus": os.cpu_count(),
                "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "load_average_before": [round(v, 2) for v in load_before],
                "load_average_after": [round(v, 2) for v in load_after],
            },
            "goals": GOALS,
            "summary": summary,
            **results,
            "stages": stages,  # slowest first (full_repro.stages is in run order)
        },
    )
    print(f"wrote {args.output}")
    for row in summary:
        print(f"  {row['measure']}: {row['value']}" + (f" (goal {row['goal']})" if row.get("goal") else ""))
    if args.keep:
        print(f"clone kept in {clone}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
