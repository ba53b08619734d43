"""/docs works with no network: Swagger UI's files come from the API itself (swagger-ui-bundle), checked in
headless Chromium against the real server with every request that leaves it aborted."""

from __future__ import annotations

import httpx

from tests.reports.test_browser import browser  # noqa: F401 - the shared Chromium fixture


def test_docs_assets_are_served_by_the_api(http: httpx.Client) -> None:
    page = http.get("/docs")
    assert page.status_code == 200 and "cdn.jsdelivr" not in page.text
    assert "/docs-assets/swagger-ui-bundle.js" in page.text
    script = http.get("/docs-assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert http.get("/redoc").status_code == 404  # ReDoc loads its script from a CDN: not offered


def test_docs_render_offline_in_a_browser(browser, base_url: str) -> None:  # noqa: F811 - pytest fixture
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside, errors = [], []

    def only_the_api(route) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_api)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base_url}/docs", wait_until="load", timeout=60_000)
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "Weather forecasts and credit scoring API" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock").count() >= 5  # the operations were read from /openapi.json and drawn
    assert errors == [] and outside == []
    page.close()
