"""Production traffic for the monitoring: applications sent one by one to a running scoring API over real
HTTP, a few at a time, as clients would (the fields they know, nothing for a missing value).

    python -m pipelines.credit.replay --serve --limit 0 --export data/external/credit/recorded_traffic.jsonl.gz

`--serve` starts the API itself (uvicorn on 127.0.0.1, a free port, storing its events in `--events-url`),
replays, stops it and, with `--export`, writes the stored events as JSON lines: the recorded traffic the
credit_monitor stage reads. Without `--serve`, `--api` names a service already running (its own event store
then receives the events).
"""

from __future__ import annotations

import argparse
import gzip
import logging
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from tqdm import tqdm

from pipelines.common.errors import DataError, ParamError
from pipelines.common.io import atomic_path
from pipelines.common.logs import get_logger
from pipelines.common.paths import ROOT
from pipelines.credit import events
from pipelines.credit.data import read_application
from pipelines.credit.monitoring import write_recorded
from pipelines.credit.schema import FEATURE_NAMES, ID
from pipelines.storage.sql import make_engine

log = get_logger("credit.replay")
DEFAULT_APPLICATIONS = ROOT / "data/external/credit/application_test_sample.csv.gz"
SCORE_PATH = "/credit/score"


def payloads(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One JSON object per application: its id and every field it has a value for (NaN left out)."""
    columns = [name for name in (ID, *FEATURE_NAMES) if name in frame.columns]
    out = []
    for record in frame[columns].to_dict(orient="records"):
        body = {}
        for name, value in record.items():
            if isinstance(value, float) and math.isnan(value):
                continue
            body[name] = value.item() if hasattr(value, "item") else value
        out.append(body)
    return out


def replay(base_url: str, bodies: list[dict[str, Any]], concurrency: int = 4, timeout_s: float = 30) -> Counter:
    """POST every body to `base_url`/credit/score, `concurrency` at a time; the count of each HTTP status
    (a connection failure counts as status 0)."""
    if concurrency < 1:
        raise ParamError("concurrency", f"must be at least 1, got {concurrency}")
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(base_url=base_url, timeout=timeout_s, limits=limits) as client:

        def send(body: dict[str, Any]) -> int:
            try:
                return client.post(SCORE_PATH, json=body).status_code
            except httpx.TransportError as error:
                log.warning("client %s: %s", body.get(ID), error)
                return 0

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            statuses = Counter(tqdm(pool.map(send, bodies), total=len(bodies), desc="replay", unit="request"))
    log.info("replayed %d applications to %s: %s", len(bodies), base_url, dict(sorted(statuses.items())))
    return statuses


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(events_url: str, timeout_s: float = 60) -> Iterator[str]:
    """The API (api.main:app under uvicorn) on 127.0.0.1 and a free port, storing events in `events_url`."""
    port = _free_port()
    env = os.environ | {events.ENV_VAR: events_url}
    command = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while not _answers(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    output.seek(0)
                    raise DataError(f"the API did not start: {output.read().decode(errors='replace')[-2000:]}")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)  # the lifespan's shutdown flushes the event queue
            except subprocess.TimeoutExpired:
                process.kill()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).json()["credit"]["available"]
    except (httpx.HTTPError, ValueError, KeyError):
        return False


def export(events_url: str, path: Path) -> int:
    """The stored events written to `path` as gzipped JSON lines (atomically); how many."""
    engine = make_engine(events_url)
    try:
        frame = events.read_events(engine)
    finally:
        engine.dispose()
    with atomic_path(path) as tmp, gzip.open(tmp, "wt", encoding="utf-8", compresslevel=9) as handle:
        write_recorded(frame.drop(columns="id"), handle)
    log.info("exported %d events to %s", len(frame), path)
    return len(frame)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.credit.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=Path, default=DEFAULT_APPLICATIONS, help="application_test layout")
    parser.add_argument("--limit", type=int, default=500, help="first N applications (0: all)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight at once")
    parser.add_argument("--api", default="http://127.0.0.1:8000", help="a running API (ignored with --serve)")
    parser.add_argument("--serve", action="store_true", help="start the API for the replay, then stop it")
    parser.add_argument("--events-url", default=None, help="with --serve: the event store (default: a new file)")
    parser.add_argument("--export", type=Path, default=None, help="with --serve: write the stored events here")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would drown the progress bar
    if args.limit < 0:
        parser.error(f"--limit: must be 0 (all) or more, got {args.limit}")
    if args.export and not args.serve:
        parser.error("--export needs --serve (the events of a running API are in its own store)")
    frame = read_application(args.applications, labelled=False)
    bodies = payloads(frame if args.limit == 0 else frame.head(args.limit))
    if not args.serve:
        statuses = replay(args.api, bodies, args.concurrency)
        return 0 if statuses.get(0, 0) == 0 else 1
    with tempfile.TemporaryDirectory() as scratch:
        url = args.events_url or f"sqlite:///{Path(scratch) / 'events.sqlite'}"
        with serving(url) as base_url:
            statuses = replay(base_url, bodies, args.concurrency)
        if args.export:
            export(url, args.export)
    return 0 if statuses.get(0, 0) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
