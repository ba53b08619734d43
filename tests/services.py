"""What the tests that start a real service share: a free loopback port, and the rule for a service
that is not there (skipped on a developer's machine, a failure in CI, so CI never passes untested)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers_ok(url: str, timeout_s: float = 2.0) -> bool:
    """True when GET `url` answers 200 (a health check); False when nothing answers there yet."""
    import httpx

    try:
        return httpx.get(url, timeout=timeout_s).status_code == 200
    except httpx.TransportError:
        return False


def unavailable(what: str, reason: str, hint: str) -> None:
    """Skip the test (fail it when CI=true) because `what` cannot run: `reason`; `hint` says how to fix it."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"{what} skipped: {reason}; {hint}")


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a server the test started, killing it if it does not exit in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_up(
    answers: Callable[[], bool], process: subprocess.Popen, timeout_s: float, interval: float = 0.1
) -> bool:
    """Poll `answers()` until it is true (True); False if the server process exits first or `timeout_s`
    passes (the caller reads its log and says why)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if answers():
            return True
        time.sleep(interval)
    return False
