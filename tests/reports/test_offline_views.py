"""The HTML views open with no network: `dvc plots show` fills the vendored template (Vega, Vega-Lite and
Vega-Embed inlined, vendor/vega/build.sh) instead of DVC's, which loads them from a CDN. Checked in headless
Chromium with every request that leaves the page's own origin aborted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from pipelines.common.paths import ROOT
from tests.reports.test_browser import browser  # noqa: F401 - the shared Chromium fixture

DVC = str(Path(sys.executable).parent / "dvc")
TEMPLATE = ROOT / "vendor" / "vega" / "dvc_plots.html"


def test_the_template_is_configured_and_has_no_remote_reference():
    config = subprocess.run([DVC, "config", "plots.html_template"], cwd=ROOT, capture_output=True, text=True)
    assert (ROOT / ".dvc" / config.stdout.strip()).resolve() == TEMPLATE
    text = TEMPLATE.read_text(encoding="utf-8")
    assert "{plot_divs}" in text and "cdn.jsdelivr" not in text
    banners = re.findall(r"<!-- ([a-z-]+)@(\d+)\.\d+\.\d+ \(BSD-3-Clause\)", text)
    assert banners == [("vega", "6"), ("vega-lite", "6"), ("vega-embed", "7")]


def test_dvc_plots_show_renders_every_chart_offline(browser, tmp_path):  # noqa: F811 - pytest fixture
    out = tmp_path / "plots"
    result = subprocess.run([DVC, "plots", "show", "-o", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "cdn.jsdelivr" not in html
    charts = html.count("vegaEmbed(")
    assert charts >= 8, f"expected every declared plot, got {charts}"

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    errors: list[str] = []

    def block(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((out / "index.html").as_uri(), wait_until="load", timeout=60_000)
    page.wait_for_function(f"document.querySelectorAll('.vega-embed svg, .vega-embed canvas').length >= {charts}")
    assert errors == [] and outside == []
    page.screenshot(path=str(tmp_path / "plots.png"), full_page=False)
    page.close()
