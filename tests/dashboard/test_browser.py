"""The dashboard as an officer opens it: `streamlit run` on a free port of 127.0.0.1 against the real API,
driven in headless Chromium (the reports' browser fixture): a client picked by id, its gauge drawn with the
API's probability, a screenshot saved, and no console error on the way."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from dashboard.data import application_body, applications
from tests.dashboard.conftest import APP, ROOT, serving

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dashboard_url(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run dashboard/app.py` on a free port of 127.0.0.1, talking to the live API."""
    module = ["streamlit", "run", str(APP.relative_to(ROOT)), "--server.address", "127.0.0.1"]
    module += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    log_file = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with serving(module, {"CREDIT_API_URL": live_server}, "/_stcore/health", log_file, "--server.port") as url:
        yield url


def test_a_client_picked_in_the_browser_gets_its_gauge_without_console_errors(
    browser, dashboard_url, live_server, tmp_path
):
    frame = applications("replayed")
    client_id = int(frame.index[3])
    expected = httpx.post(f"{live_server}/credit/score", json=application_body(frame, client_id), timeout=30).json()

    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status} {r.url}"))
    page.goto(dashboard_url, wait_until="load", timeout=60_000)
    page.get_by_text("Credit officer's dashboard", exact=True).first.wait_for(timeout=60_000)
    page.locator(".indicatorlayer").first.wait_for(timeout=60_000)  # the first client's gauge

    picker = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    picker.click()
    page.keyboard.type(str(client_id))
    page.keyboard.press("Enter")
    page.get_by_text(f"Client {client_id}", exact=True).wait_for(timeout=60_000)
    number = page.locator(".indicatorlayer .number").first
    number.wait_for(timeout=60_000)
    page.wait_for_function(
        "text => [...document.querySelectorAll('.indicatorlayer .number')].some(n => n.textContent === text)",
        arg=f"{100 * expected['probability']:.1f}%",
        timeout=60_000,
    )
    page.locator('[data-testid="stMetricValue"]').filter(has_text=expected["decision"].capitalize()).wait_for()
    page.get_by_text("Production monitoring", exact=True).wait_for()
    page.locator(".js-plotly-plot").nth(3).wait_for(timeout=60_000)  # gauge, reasons, importance, population
    page.wait_for_timeout(1000)  # let the last chart finish drawing before the picture
    screenshot = tmp_path / "dashboard.png"
    page.screenshot(path=str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 50_000
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not problems, problems
    page.close()
