"""Load benchmark of GET /predictions/{date} against bare "hello" apps, on 127.0.0.1.

Starts each app with uvicorn (one worker, access log off) on a free port, drives it with wrk at
1 and 32 connections for a bounded time, and records requests/s and p50/p95/p99 latencies in
reports/bench_api.json. Run after `make pipeline` (the API serves data/db/weather.sqlite):

    .venv/bin/python bench/api_load.py --seconds 10

Needs `wrk` (Debian package). A benchmark, not a test: it asserts nothing, it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.common.io import write_json  # noqa: E402
from pipelines.common.provenance import git_commit, utc_now  # noqa: E402

OUTPUT = ROOT / "reports" / "bench_api.json"
DATABASE = ROOT / "data" / "db" / "weather.sqlite"
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.status + summary.errors.timeout
  io.write(string.format('{"requests": %d, "duration_us": %d, "errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, errors, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(app: str, port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    env = os.environ | {"PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}", "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except urllib.error.HTTPError:  # 404 on "/" still means the server is up
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{app} did not start on port {port}")


def wrk(url: str, connections: int, seconds: int, script: Path) -> dict:
    threads = min(connections, 2)
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    raw = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "connections": connections,
        "requests": raw["requests"],
        "errors": raw["errors"],
        "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
    }


def first_prediction_date() -> str:
    with sqlite3.connect(f"file:{DATABASE}?mode=ro", uri=True) as connection:
        (value,) = connection.execute("select min(target_time) from predictions").fetchone()
    return str(value)[:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 32])
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("error: wrk not found (apt-get install wrk)")
    if not DATABASE.exists():
        sys.exit(f"error: {DATABASE} missing: run `make pipeline` (or dvc pull) first")
    day = first_prediction_date()
    targets = {
        "api_predictions_for_date": ("api.main:app", f"/predictions/{day}"),
        "bare_asgi_hello": ("hello_app:asgi_app", "/"),
        "fastapi_hello": ("hello_app:fastapi_app", "/"),
    }
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "report.lua"
        script.write_text(WRK_REPORT)
        for name, (app, path) in targets.items():
            port = free_port()
            server = start(app, port)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read()  # warm the cache
                results[name] = [
                    wrk(f"http://127.0.0.1:{port}{path}", c, args.seconds, script) for c in args.connections
                ]
            finally:
                server.terminate()
                server.wait(timeout=10)
            for run in results[name]:
                print(
                    f"{name:28s} c={run['connections']:<3d} {run['requests_per_s']:>9.1f} req/s  "
                    f"p50 {run['p50_ms']:.2f} ms  p95 {run['p95_ms']:.2f} ms  p99 {run['p99_ms']:.2f} ms  "
                    f"errors {run['errors']}"
                )
    most = max(args.connections)
    api = next(r for r in results["api_predictions_for_date"] if r["connections"] == most)
    ceiling = next(r for r in results["bare_asgi_hello"] if r["connections"] == most)
    write_json(
        OUTPUT,
        {
            "command": f"python bench/api_load.py --seconds {args.seconds}",
            "measured_at": utc_now(),
            "commit": git_commit(),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_generator": "wrk, 127.0.0.1",
            },
            "endpoint": f"GET /predictions/{day}",
            "results": results,
            "goals": {
                f"p99_ms_at_{most}_connections": api["p99_ms"],
                "p99_under_50ms": api["p99_ms"] < 50,
                "throughput_vs_bare_asgi": round(api["requests_per_s"] / ceiling["requests_per_s"], 3),
                "at_least_half_of_bare_asgi": api["requests_per_s"] >= 0.5 * ceiling["requests_per_s"],
            },
        },
    )
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
