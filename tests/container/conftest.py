"""The API image, built from the committed Dockerfile and running on 127.0.0.1, for the container tests.

`served_image` (module scope) does the expensive part once: engine, base image (pulled, or the cached
stand-in), a temporary build context with small artefacts, the build, a code-only rebuild (a file of
api/ touched in the context copy, never in the working tree), the container started with its port on
127.0.0.1 and /health awaited. Everything it starts is removed at the end, except the base image (and
the layer images while another run on the machine, which may share them, is still going: the last one out
removes them).
The measurements are printed at the end of the session (and written as JSON to IMAGE_TEST_REPORT if set).

Without an engine the tests are skipped on a developer's machine, and fail in CI (tests/services.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.container import image
from tests.services import free_port, unavailable

HEALTH_TIMEOUT_S = 90  # start-up is ~5 s on 2 busy cores (importing the credit libraries)
MEASURED: dict[str, object] = {}


@dataclass
class ServedImage:
    engine: image.Engine
    base: image.Base
    version: str
    first: image.Build
    rebuild: image.Build
    container: str
    url: str
    artefacts: str
    size_bytes: int
    timings: dict[str, float] = field(default_factory=dict)


def _commit() -> str:
    result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=image.ROOT, capture_output=True, text=True, timeout=30)
    return result.stdout.strip() if result.returncode == 0 else f"test-{uuid.uuid4().hex[:12]}"


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2.0).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def served_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedImage]:
    started = time.monotonic()
    try:
        engine = image.find_engine()
        base = image.ensure_base(engine, log=lambda message: print(f"[image] {message}"))
    except image.Unavailable as error:
        unavailable("the container test", str(error), "install podman, runc and debootstrap (root), or Docker")
    runs = open(image.cache_dir() / "runs.lock", "w")  # noqa: SIM115 (held for the whole run)
    fcntl.flock(runs, fcntl.LOCK_SH)  # other runs on this machine may share the dependency layers
    run_id = uuid.uuid4().hex[:10]
    tags = [f"localhost/mlops-api-test:{run_id}", f"localhost/mlops-api-test:{run_id}-rebuild"]
    container = f"mlops-api-test-{run_id}"
    context = tmp_path_factory.mktemp("image-context")
    version = _commit()
    builds: list[image.Build] = []
    try:
        prepare = time.monotonic()
        artefacts = image.make_context(context, os.environ.get("IMAGE_TEST_ARTEFACTS", "small"))
        prepared_s = time.monotonic() - prepare
        first = image.build(engine, context, tags[0], version)
        builds.append(first)
        # A code-only change: one line added to a file of api/ (in the context copy).
        touched = sorted((context / "api").rglob("*.py"))[0]
        touched.write_text(touched.read_text(encoding="utf-8") + f"# rebuilt {run_id}\n", encoding="utf-8")
        rebuild = image.build(engine, context, tags[1], version)
        builds.append(rebuild)
        url = image.start(engine, tags[0], container, free_port())
        up = time.monotonic()
        deadline = up + HEALTH_TIMEOUT_S
        while not _healthy(url):
            state = engine.run("inspect", "--format", "{{.State.Status}}", container, timeout=60, check=False)
            if state.stdout.strip() not in ("running", "created") or time.monotonic() > deadline:
                raise AssertionError(
                    f"the container did not answer /health within {HEALTH_TIMEOUT_S} s "
                    f"(state {state.stdout.strip()!r}):\n{image.logs(engine, container)}"
                )
            time.sleep(0.5)
        served = ServedImage(
            engine, base, version, first, rebuild, container, url, artefacts, image.image_size(engine, tags[0])
        )
        served.timings = {
            "context_s": prepared_s,
            "base_s": base.seconds,
            "build_s": first.seconds,
            "code_only_rebuild_s": rebuild.seconds,
            "start_to_healthy_s": time.monotonic() - up,
        }
        yield served
    finally:
        if "served" in locals():
            print(f"[image] container log (tail):\n{image.logs(engine, container)[-1500:]}")
        layers = [line for result in builds for line in image.intermediate_images(result.output)]
        try:  # the last run out removes the layers; while another one runs, they stay
            fcntl.flock(runs, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            layers = []
        image.remove(engine, containers=[container], images=tags, layers=layers)
        runs.close()
        if "served" in locals():
            MEASURED.update(
                engine=engine.name,
                base=f"{base.name} ({base.origin})",
                artefacts=served.artefacts,
                image_size_mb=round(served.size_bytes / 1e6),
                **{key: round(value, 1) for key, value in served.timings.items()},
                total_s=round(time.monotonic() - started, 1),
            )


def pytest_terminal_summary(terminalreporter) -> None:
    if not MEASURED:
        return
    terminalreporter.section("API image (tests/container)")
    for key, value in MEASURED.items():
        terminalreporter.write_line(f"{key:>22}: {value}")
    report = os.environ.get("IMAGE_TEST_REPORT")
    if report:
        Path(report).write_text(json.dumps(MEASURED, indent=2) + "\n", encoding="utf-8")
        terminalreporter.write_line(f"{'written to':>22}: {report}")
