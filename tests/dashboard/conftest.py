"""Fixtures for the dashboard tests: the real API over HTTP on 127.0.0.1 (tests/api's `live_server`, which
serves the registered credit model and a monitoring summary with one alert), one without a credit model (its
credit endpoints answer 503), the Streamlit page itself for AppTest, and the reports' headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.api.conftest import (  # noqa: F401  (the API tests' models and server, shared)
    ROOT,
    cars_model_dir,
    credit_model_dir,
    freelance_model_dir,
    live_server,
)
from tests.reports.test_browser import browser  # noqa: F401  (headless Chromium, skipped or failed as there)
from tests.services import answers_ok, free_port, stop, wait_until_up

APP = ROOT / "dashboard" / "app.py"


@contextmanager
def serving(
    module: list[str], env: dict[str, str], health: str, log_file: Path, port_option: str = "--port"
) -> Iterator[str]:
    """`python -m <module…> <port_option> <free port>` run from the project root, until `health` answers 200 (within
    a minute): its URL."""
    port = free_port()
    with open(log_file, "w") as log:
        command = [sys.executable, "-m", *module, port_option, str(port)]
        process = subprocess.Popen(command, cwd=ROOT, env=os.environ | env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_up(lambda: answers_ok(f"{url}{health}"), process, timeout_s=60):
            raise RuntimeError(f"{module[0]} did not start:\n{log_file.read_text()}")
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="session")
def api_without_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API started with no registered credit model: /credit/* answer 503 saying which files are missing."""
    directory = tmp_path_factory.mktemp("no-model")
    env = {"CREDIT_MODEL_DIR": str(directory / "nowhere"), "CREDIT_EVENTS_URL": "off"}
    module = ["uvicorn", "api.main:app", "--host", "127.0.0.1"]
    with serving(module, env, "/health", directory / "uvicorn.log") as url:
        yield url


@pytest.fixture
def dashboard(monkeypatch: pytest.MonkeyPatch):
    """A function: the dashboard as Streamlit's AppTest runs it, against the API at `url`."""
    from streamlit.testing.v1 import AppTest

    def start(url: str) -> AppTest:
        monkeypatch.setenv("CREDIT_API_URL", url)
        return AppTest.from_file(str(APP), default_timeout=120)

    return start
