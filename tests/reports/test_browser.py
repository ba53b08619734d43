"""The reports as a reader sees them: served over HTTP on 127.0.0.1 (as GitHub Pages would serve the
folder) and opened in headless Chromium (Debian's `chromium`, installed by .ci/run), driven by
Playwright without downloading a browser. Every link of the index must load, every image of every
report must decode, no page may log a JavaScript error, and the index is screenshotted."""

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.common.paths import REPORTS_DIR
from tests.services import unavailable

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling Google's hosts, which this closed
# network refuses; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature is the standard library's
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The reports folder served read-only on a free port of 127.0.0.1."""
    handler = functools.partial(QuietHandler, directory=str(REPORTS_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        unavailable("browser tests", f"{CHROMIUM} not found", "apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("browser tests", "playwright is not installed", "pip install -r requirements.lock")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def open_page(browser, url: str):
    """Open `url`; return the page and the problems it logged (JS errors, failed or non-2xx requests)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url} {request.failure}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status} {r.url}"))
    response = page.goto(url, wait_until="load", timeout=60_000)
    assert response is not None and response.ok, f"{url}: {response.status if response else 'no response'}"
    return page, problems


def test_index_opens_cleanly_and_every_link_resolves(browser, site, tmp_path):
    page, problems = open_page(browser, f"{site}/index.html")
    assert page.title() == "ML pipelines — reports index"
    assert page.locator("#headline tbody tr").count() >= 4
    links = page.eval_on_selector_all("a[href]", "anchors => anchors.map(a => a.href)")
    external = [link for link in links if not link.startswith(site)]
    assert not external, f"the index links outside the reports folder: {external}"
    checked = set()
    for link in links:
        target = link.split("#")[0]
        if target in checked:
            continue
        checked.add(target)
        response = page.request.get(target)
        assert response.ok, f"{target}: HTTP {response.status}"
    assert any(link.endswith("/evaluation.html") for link in checked)
    screenshot = tmp_path / "index.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
    assert not problems, problems
    page.close()


def test_every_report_renders_with_all_its_images(browser, site):
    index, _ = open_page(browser, f"{site}/index.html")
    reports = sorted(
        {
            link
            for link in index.eval_on_selector_all("a[href]", "anchors => anchors.map(a => a.href)")
            if link.endswith(".html")
        }
    )
    index.close()
    assert len(reports) >= 8
    for url in reports:
        page, problems = open_page(browser, url)
        assert page.title(), f"{url}: no title"
        assert page.locator("#provenance").count() == 1, f"{url}: no provenance block"
        broken = page.eval_on_selector_all(
            "img", "images => images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
        )
        assert not broken, f"{url}: images that do not load: {broken}"
        page_width, view_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert page_width <= view_width, f"{url}: the page is {page_width} px wide in a {view_width} px window"
        if page.locator("#provenance").count() and page.locator("body > section").count():  # our own reports
            too_wide = page.eval_on_selector_all(
                "table",
                "tables => tables.filter(t => { const c = (t.closest('.table-scroll') || t).getBoundingClientRect();"
                " return c.right > document.body.getBoundingClientRect().right + 1; }).length",
            )
            assert too_wide == 0, f"{url}: {too_wide} table(s) wider than the text column"
        assert not problems, f"{url}: {problems}"
        page.close()
