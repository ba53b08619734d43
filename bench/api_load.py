"""Load benchmark of the API on 127.0.0.1, against like-for-like reference apps.

Starts each app with uvicorn on a free port, every one with the same command line (one worker, access log off,
the image's options when the served code has them: `--http api.server:HeaderTimeoutProtocol` and its
keep-alive timeout), all of them at once, and drives them with wrk for a bounded time. Compared runs are
interleaved (`--rounds`, default 3: one run of each app per round, so what is compared is measured seconds
apart on a machine whose load changes over minutes); each figure is the round of median requests/s, and the
goals' ratios are the median of the round-by-round ratios:

* `GET /predictions/{date}` at 1 and 32 connections, next to a bare ASGI app (the ceiling), a one-route
  FastAPI app with an async handler (like the API's) and the same with a sync handler;
* `POST /credit/score` of the documented example at 32 connections (goal: ≥ 100 req/s, p99 < 500 ms), next
  to a FastAPI app with the same route, request and response models but no model (`fastapi_score_shape`);
  and of the example's required fields only (a `review`: ~3,000 withholding variants scored per request);
* the server's CPU time per scoring request (from /proc, user + system): unlike requests/s, it does not depend
  on what else the machine runs; and the scorer's own CPU time per call, in-process (`scorer_cpu_ms`);
* mixed: the GET load and the scoring load at once, 32 connections each (goal: GET p99 < 50 ms);
* hostile: the latency of `GET /version` while one client posts 700,000 unknown fields (9.7 MB).

Requests/s and p50/p95/p99 go to reports/bench_api.json (`--output`), with the load averages (`uptime`)
before and after (`conditions`). Run after `make pipeline` (the API serves data/db/weather.sqlite and
models/credit; scoring events go to a temporary SQLite file):

    .venv/bin/python bench/api_load.py --seconds 10
    .venv/bin/python bench/api_load.py --code /path/to/older/checkout --output /tmp/before.json   # before → after
    .venv/bin/python bench/api_load.py --seconds 10 --before /tmp/before.json                    # kept as `before`

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
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.common.io import write_json  # noqa: E402
from pipelines.common.provenance import git_commit, utc_now  # noqa: E402

OUTPUT = ROOT / "reports" / "bench_api.json"
DATABASE = ROOT / "data" / "db" / "weather.sqlite"
CREDIT_MODEL_DIR = ROOT / "models" / "credit"
IMAGE_OPTIONS = ["--http", "api.server:HeaderTimeoutProtocol", "--timeout-keep-alive", "5"]
POST_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = {body}
"""
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.status + summary.errors.timeout
  io.write(string.format('{"requests": %d, "duration_us": %d, "errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, errors, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


SCORER_CPU = """
import json, sys, time
from pipelines.credit.scoring import EXAMPLE, CreditScorer
from pipelines.credit.schema import REQUIRED
scorer = CreditScorer(sys.argv[1])
out = {}
for name, body, calls in (("example", EXAMPLE, 200), ("required_only", {k: EXAMPLE[k] for k in REQUIRED}, 20)):
    scorer.score(body)
    start = time.process_time()
    for _ in range(calls):
        scorer.score(body)
    out[name] = round((time.process_time() - start) / calls * 1000, 2)
print(json.dumps(out))
"""
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def scorer_cpu_ms(code: Path, model_dir: Path) -> dict:
    """CPU ms per `CreditScorer.score` call of the checkout `code`, in-process (no HTTP, no concurrency)."""
    environment = os.environ | {"PYTHONPATH": str(code), "LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [sys.executable, "-c", SCORER_CPU, str(model_dir)],
        cwd=code,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_options(code: Path) -> list[str]:
    """The image's uvicorn options when the served checkout has them: given to the API and every reference app."""
    return IMAGE_OPTIONS if (code / "api" / "server.py").is_file() else []


def start(
    app: str, port: int, options: list[str], code: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.Popen:
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
    command += options
    environment = os.environ | {"PYTHONPATH": f"{code}{os.pathsep}{ROOT / 'bench'}", "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(command, cwd=code, env=environment | (env or {}))
    deadline = time.monotonic() + 180
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


def wrk_command(url: str, connections: int, seconds: int, script: Path) -> list[str]:
    threads = min(connections, 2)
    return ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url]


def wrk(url: str, connections: int, seconds: int, script: Path) -> dict:
    result = subprocess.run(
        wrk_command(url, connections, seconds, script), capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    return summary(result.stdout, connections)


def summary(stdout: str, connections: int) -> dict:
    raw = json.loads(stdout.strip().splitlines()[-1])
    return {
        "connections": connections,
        "requests": raw["requests"],
        "errors": raw["errors"],
        "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
    }


def with_cpu(server: subprocess.Popen, run) -> dict:
    """`run()`'s figures and the server's CPU ms per request during it."""
    before = cpu_seconds(server.pid)
    figures = run()
    spent = cpu_seconds(server.pid) - before
    figures["server_cpu_ms_per_request"] = round(1000 * spent / figures["requests"], 4) if figures["requests"] else None
    return figures


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else round((ordered[middle - 1] + ordered[middle]) / 2, 3)


def interleaved(runs: dict[str, Callable[[], dict]], rounds: int) -> dict[str, dict]:
    """Each run `rounds` times, one of each per round (the load of the shared machine changes over minutes, so
    what is compared is measured seconds apart). Per name: the round of median requests/s, with every round's
    requests/s and server CPU ms per request (`rounds`)."""
    measured: dict[str, list[dict]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            measured[name].append(run())
    out = {}
    for name, figures in measured.items():
        middle = sorted(figures, key=lambda f: f["requests_per_s"])[len(figures) // 2]
        out[name] = middle | {
            "rounds": [
                {"requests_per_s": f["requests_per_s"], "server_cpu_ms_per_request": f["server_cpu_ms_per_request"]}
                for f in figures
            ]
        }
    return out


def round_ratios(figures: dict[str, dict], numerator: str, denominator: str, key: str) -> list[float]:
    """`key` of `numerator` over `denominator`, round by round (measured seconds apart)."""
    pairs = zip(figures[numerator]["rounds"], figures[denominator]["rounds"])
    return [round(a[key] / b[key], 3) for a, b in pairs if a[key] and b[key]]


def credit_model(model_dir: Path) -> dict:
    """Which credit model was served: its folder (relative to the project when inside it) and its card's version."""
    card = json.loads((model_dir / "model_card.json").read_text(encoding="utf-8"))
    shown = model_dir.resolve()
    return {
        "dir": str(shown.relative_to(ROOT)) if shown.is_relative_to(ROOT) else str(model_dir),
        "version": card.get("version"),
        "threshold": card.get("decision", {}).get("threshold"),
    }


def first_prediction_date(database: Path) -> str:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        (value,) = connection.execute("select min(target_time) from predictions").fetchone()
    return str(value)[:10]


def mixed(get_url: str, post_url: str, connections: int, seconds: int, get_script: Path, post_script: Path) -> dict:
    """The GET and the scoring load at the same time; each side's figures."""
    runs = [
        subprocess.Popen(wrk_command(url, connections, seconds, script), stdout=subprocess.PIPE, text=True)
        for url, script in ((get_url, get_script), (post_url, post_script))
    ]
    outputs = [run.communicate(timeout=seconds + 60)[0] for run in runs]
    return {"get": summary(outputs[0], connections), "score": summary(outputs[1], connections)}


def hostile(base: str, seconds: float = 3.0) -> dict:
    """GET /version latencies while one client posts 700,000 unknown fields (9.7 MB)."""
    body = json.dumps({f"k{index}": 0 for index in range(700_000)}).encode()
    outcome: dict = {}

    def post() -> None:
        request = urllib.request.Request(
            f"{base}/credit/score", data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        start = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                outcome.update(status=answer.status, size=len(answer.read()))
        except urllib.error.HTTPError as error:
            outcome.update(status=error.code, size=len(error.read()))
        except OSError as error:  # the server answered and closed before the body was sent
            outcome.update(status=f"connection closed ({type(error).__name__})", size=0)
        outcome["seconds"] = round(time.monotonic() - start, 3)

    thread = threading.Thread(target=post)
    thread.start()
    latencies, until, timed_out = [], time.monotonic() + seconds, 0
    while thread.is_alive() or time.monotonic() < until:
        start = time.monotonic()
        try:
            urllib.request.urlopen(f"{base}/version", timeout=120).read()
        except OSError:  # no answer within 120 s: counted, and its wait recorded as a lower bound
            timed_out += 1
        latencies.append(time.monotonic() - start)
        time.sleep(0.01)
    thread.join()
    latencies.sort()
    return {
        "body_bytes": len(body),
        "answer_status": outcome.get("status"),
        "answer_bytes": outcome.get("size"),
        "answer_seconds": outcome.get("seconds"),
        "version_requests": len(latencies),
        "version_p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "version_max_ms": round(1000 * latencies[-1], 1),
        "version_timed_out_after_120s": timed_out,
    }


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def fixture_database(folder: Path) -> Path:
    """The API tests' database (two models, three days), for a checkout without the pipeline's."""
    from tests.api.conftest import build_database

    path = folder / "weather.sqlite"
    build_database(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose api/ is served (before → after)")
    parser.add_argument("--database", type=Path, default=DATABASE, help="the SQLite file served")
    parser.add_argument("--credit-model-dir", type=Path, default=CREDIT_MODEL_DIR)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each compared run (median kept)")
    parser.add_argument("--before", type=Path, help="an earlier run's output, kept in this one as `before`")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("error: wrk not found (apt-get install wrk)")
    if not (args.credit_model_dir / "model.joblib").is_file():
        sys.exit(f"error: {args.credit_model_dir}/model.joblib missing: run `dvc repro credit_register` first")
    from pipelines.credit.schema import REQUIRED
    from pipelines.credit.scoring import EXAMPLE

    most = max(args.connections)
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        database, database_kind = args.database, "the pipeline's (weather_batch)"
        if not database.exists():
            database, database_kind = fixture_database(Path(tmp)), "the API tests' fixture (tests/api/conftest.py)"
        day = first_prediction_date(database)
        api_env = {
            "WEATHER_DATABASE_URL": f"sqlite:///{database}",
            "CREDIT_MODEL_DIR": str(args.credit_model_dir),
            "CREDIT_EVENTS_URL": f"sqlite:///{Path(tmp) / 'credit_events.sqlite'}",
        }
        load_at_start = load_average()
        script = Path(tmp) / "report.lua"
        script.write_text(WRK_REPORT)
        post_script = Path(tmp) / "post.lua"
        post_script.write_text(POST_SCRIPT.format(body=json.dumps(json.dumps(EXAMPLE))) + WRK_REPORT)
        review_script = Path(tmp) / "post_required.lua"
        required_only = json.dumps({name: EXAMPLE[name] for name in REQUIRED})
        review_script.write_text(POST_SCRIPT.format(body=json.dumps(required_only)) + WRK_REPORT)
        options = server_options(args.code)
        targets = {
            "bare_asgi_hello": "hello_app:asgi_app",
            "fastapi_hello_async": "hello_app:fastapi_app",
            "fastapi_hello_sync": "hello_app:fastapi_sync_app",
            "fastapi_score_shape": "hello_app:fastapi_score_shape_app",
        }
        servers: dict[str, tuple[subprocess.Popen, str]] = {}
        try:
            for name, app in targets.items():  # all up at once (idle, they cost nothing): runs interleave
                port = free_port()
                servers[name] = start(app, port, options), f"http://127.0.0.1:{port}"
            port = free_port()
            servers["api"] = start("api.main:app", port, options, args.code, api_env), f"http://127.0.0.1:{port}"
            base = servers["api"][1]
            get_url, score_url = f"{base}/predictions/{day}", f"{base}/credit/score"
            urllib.request.urlopen(get_url, timeout=5).read()  # warm the cache

            def run(name: str, url: str, connections: int, lua: Path) -> Callable[[], dict]:
                return lambda: with_cpu(servers[name][0], lambda: wrk(url, connections, args.seconds, lua))

            gets = {"api_predictions_for_date": ("api", get_url)} | {
                name: (name, f"{servers[name][1]}/") for name in targets if name != "fastapi_score_shape"
            }
            for connections in args.connections:
                figures = interleaved(
                    {name: run(server, url, connections, script) for name, (server, url) in gets.items()}, args.rounds
                )
                for name, value in figures.items():
                    results.setdefault(name, []).append(value)
            scoring = interleaved(
                {
                    "api_credit_score": run("api", score_url, most, post_script),
                    "fastapi_score_shape": run(
                        "fastapi_score_shape", f"{servers['fastapi_score_shape'][1]}/credit/score", most, post_script
                    ),
                },
                args.rounds,
            )
            results |= {name: [value] for name, value in scoring.items()}
            results["api_credit_score_required_only"] = [run("api", score_url, most, review_script)()]
            results["api_mixed_get_and_score"] = mixed(get_url, score_url, most, args.seconds, script, post_script)
            results["api_hostile_700k_unknown_fields"] = hostile(base)
        finally:
            for server, _ in servers.values():
                stop(server)
        load_at_end = load_average()
    results["scorer_cpu_ms"] = scorer_cpu_ms(args.code, args.credit_model_dir)
    for name, runs in results.items():
        print(name, json.dumps(runs))
    at_most = {
        name: next(r for r in results[name] if r["connections"] == most)
        for name in ("api_predictions_for_date", "bare_asgi_hello", "fastapi_hello_async")
    }
    api, hello = at_most["api_predictions_for_date"], at_most["fastapi_hello_async"]
    vs_bare = round_ratios(at_most, "api_predictions_for_date", "bare_asgi_hello", "requests_per_s")
    bare_cpu_share = round_ratios(at_most, "bare_asgi_hello", "api_predictions_for_date", "server_cpu_ms_per_request")
    score = results["api_credit_score"][0]
    shape = results["fastapi_score_shape"][0]
    mixed_get = results["api_mixed_get_and_score"]["get"]
    before = json.loads(args.before.read_text(encoding="utf-8")) if args.before else None
    write_json(
        args.output,
        {
            "command": f"python bench/api_load.py --seconds {args.seconds} --rounds {args.rounds}",
            "measured_at": utc_now(),
            "commit": git_commit(),
            "code_served": "this checkout" if args.code == ROOT else str(args.code),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_generator": "wrk, 127.0.0.1, on the same cores as the server",
            },
            "database": database_kind,
            "credit_model": credit_model(args.credit_model_dir),
            "endpoint": f"GET /predictions/{day}",
            "results": results,
            "goals": {
                f"p99_ms_at_{most}_connections": api["p99_ms"],
                "p99_under_50ms": api["p99_ms"] < 50,
                "throughput_vs_bare_asgi": median(vs_bare),
                "throughput_vs_bare_asgi_by_round": vs_bare,
                "at_least_half_of_bare_asgi": median(vs_bare) >= 0.5,
                "server_cpu_per_request_bare_asgi_over_api": median(bare_cpu_share),
                "server_cpu_per_request_bare_asgi_over_api_by_round": bare_cpu_share,
                "throughput_vs_fastapi_hello_async": round(api["requests_per_s"] / hello["requests_per_s"], 3),
                "credit_score_requests_per_s": score["requests_per_s"],
                "credit_score_p99_ms": score["p99_ms"],
                "credit_score_vs_fastapi_score_shape": round(score["requests_per_s"] / shape["requests_per_s"], 3),
                "credit_score_server_cpu_ms_per_request": score["server_cpu_ms_per_request"],
                "scorer_cpu_ms_example": results["scorer_cpu_ms"]["example"],
                "credit_score_at_least_100_per_s": score["requests_per_s"] >= 100,
                "credit_score_p99_under_500ms": score["p99_ms"] < 500,
                "mixed_get_p99_ms": mixed_get["p99_ms"],
                "mixed_get_p99_under_50ms": mixed_get["p99_ms"] < 50,
            },
            "conditions": {
                "load_average_1_5_15_min_at_start": load_at_start,
                "load_average_1_5_15_min_at_end": load_at_end,
                "note": f"{os.cpu_count()} cores shared with other jobs: compare each figure with the reference "
                "apps of the same run, and CPU ms per request across runs",
            },
        }
        | ({"before": before} if before else {}),
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
