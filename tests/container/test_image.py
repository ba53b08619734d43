"""The API image itself: built from the committed Dockerfile, run, and tested from outside (issue #20).

Marked `container` (minutes, not seconds): `make test` leaves it out, `make image-test` and `.ci/run` run it.
The HTTP tests are the ones CI's test-image job runs against the pushed image (tests/api/test_http.py,
tests/api/test_schema.py), here pointed at the container with API_BASE_URL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import httpx
import pytest

from tests.api.test_packaging import FORBIDDEN, _key, _pins
from tests.container import image
from tests.container.conftest import ServedImage

pytestmark = pytest.mark.container
HTTP_TESTS = ("tests/api/test_http.py", "tests/api/test_schema.py")


def test_version_is_the_build_argument(served_image: ServedImage) -> None:
    response = httpx.get(f"{served_image.url}/version", timeout=10)
    assert response.status_code == 200
    assert response.json() == served_image.version != "0.0.0"


def test_health_is_ok_and_the_healthcheck_passes(served_image: ServedImage) -> None:
    body = httpx.get(f"{served_image.url}/health", timeout=10).json()
    assert body["status"] == "ok", body
    assert body["credit"]["available"], body
    engine, name = served_image.engine, served_image.container
    # The image's own HEALTHCHECK command, run inside the container as the engine would run it.
    command = image.healthcheck_command(engine, served_image.first.tag)
    assert "/health" in " ".join(command)
    result = image.exec_in(engine, name, *command)
    assert result.returncode == 0, result.stdout + result.stderr
    if engine.name == "podman":
        result = engine.run("healthcheck", "run", name, timeout=60, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        state = engine.run("inspect", "--format", "{{json .State.Health}}", name, timeout=60).stdout
        assert json.loads(state)["Status"] == "healthy", state


def test_the_server_process_is_not_root(served_image: ServedImage) -> None:
    engine, name = served_image.engine, served_image.container
    command_line = image.exec_in(engine, name, "cat", "/proc/1/cmdline").stdout.replace("\0", " ")
    assert "uvicorn" in command_line and "api.main:app" in command_line, command_line
    status = image.exec_in(engine, name, "cat", "/proc/1/status").stdout
    uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
    assert "0" not in uids, status  # real, effective, saved and filesystem uid
    assert uids[0] == "10001"
    # The files it serves are not its own: it cannot change them.
    owner = image.exec_in(engine, name, "stat", "-c", "%u", "/app/data/db/weather.sqlite", "/opt/venv").stdout
    assert owner.split() == ["0", "0"], owner


def test_the_http_tests_pass_against_the_container(served_image: ServedImage, tmp_path: Path) -> None:
    """The suite CI runs against the pushed image, here against this container: every test must run."""
    junit = tmp_path / "http.xml"
    env = os.environ | {"API_BASE_URL": served_image.url, "EXPECTED_APP_VERSION": served_image.version}
    command = [sys.executable, "-m", "pytest", *HTTP_TESTS, "-p", "no:cacheprovider", f"--junitxml={junit}", "-q"]
    started = time.monotonic()
    result = subprocess.run(command, cwd=image.ROOT, env=env, capture_output=True, text=True, timeout=900)
    served_image.timings["http_tests_s"] = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    suite = ElementTree.parse(junit).getroot()
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    counts = {key: int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")}
    assert counts["tests"] >= 10 and counts["failures"] == counts["errors"] == counts["skipped"] == 0, counts
    names = {case.get("name") for case in suite.iter("testcase")}
    assert {"test_version_is_the_expected_string", "test_credit_scoring_answers_with_the_registered_model"} <= names


def test_a_code_only_change_reuses_the_dependency_layers(served_image: ServedImage) -> None:
    output = served_image.rebuild.output
    assert image.step_cached(output, r"pip install") is True, output[-4000:]
    assert image.step_cached(output, r"^COPY .*requirements-api\.lock") is True, output[-4000:]
    # …and the change was seen: the api/ layer was rebuilt.
    assert image.step_cached(output, r"^COPY api/") is False, output[-4000:]


def test_no_training_stack_in_the_image(served_image: ServedImage) -> None:
    code = (
        "import importlib.metadata as m, importlib.util as u, json\n"
        "print(json.dumps({'installed': {d.metadata['Name']: d.version for d in m.distributions()},\n"
        "  'importable': [n for n in ('tensorflow', 'keras', 'statsmodels', 'pmdarima', 'dvc', 'evidently',\n"
        "                             'matplotlib', 'torch', 'lime') if u.find_spec(n)]}))\n"
    )
    result = image.exec_in(served_image.engine, served_image.container, "/opt/venv/bin/python", "-c", code)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    installed = {_key(name): version for name, version in found["installed"].items()}
    assert found["importable"] == []
    assert FORBIDDEN.isdisjoint(installed), sorted(FORBIDDEN & set(installed))
    # Exactly requirements-api.txt, at its versions (plus the venv's own installers).
    pins = _pins(image.ROOT / "requirements-api.txt")
    assert {name: installed.get(name) for name in pins if installed.get(name) != pins[name]} == {}
    assert set(installed) - set(pins) <= {"pip", "setuptools", "wheel"}, sorted(set(installed) - set(pins))


def test_the_image_size_is_measured(served_image: ServedImage) -> None:
    """Recorded in the session summary and docs/api.md; a bound that catches a training stack sneaking in
    (TensorFlow alone is over 1 GB)."""
    assert 100e6 < served_image.size_bytes < 1.6e9, served_image.size_bytes
