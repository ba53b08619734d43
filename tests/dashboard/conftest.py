"""Fixtures for the dashboard tests: the real API over HTTP on 127.0.0.1 (tests/api's `live_server`, which
serves the registered credit model and a monitoring summary with one alert), one without a credit model (its
credit endpoints answer 503), the Streamlit page itself for AppTest, and the reports' headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import (  # noqa: F401  (the API tests' models and server, shared)
    ROOT,
    cars_model_dir,
    credit_model_dir,
    freelance_model_dir,
    live_server,
)
from tests.reports.test_browser import browser  # noqa: F401  (headless Chromium, skipped or failed as there)
from tests.services import free_port, stop, wait_until_up

APP = ROOT / "dashboard" / "app.py"


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2.0).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="session")
def api_without_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API started with no registered credit model: /credit/* answer 503 saying which files are missing."""
    directory = tmp_path_factory.mktemp("no-model")
    env = os.environ | {"CREDIT_MODEL_DIR": str(directory / "nowhere"), "CREDIT_EVENTS_URL": "off"}
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)]
    with open(directory / "uvicorn.log", "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_up(lambda: _answers(url), process, timeout_s=30):
            raise RuntimeError(f"uvicorn did not start:\n{(directory / 'uvicorn.log').read_text()}")
        yield url
    finally:
        stop(process)


@pytest.fixture
def dashboard(monkeypatch: pytest.MonkeyPatch):
    """A function: the dashboard as Streamlit's AppTest runs it, against the API at `url`."""
    from streamlit.testing.v1 import AppTest

    def start(url: str) -> AppTest:
        monkeypatch.setenv("CREDIT_API_URL", url)
        return AppTest.from_file(str(APP), default_timeout=120)

    return start
