"""Every committed report reads on its own: a title, the data's provenance, links that resolve."""

from pathlib import Path
from urllib.parse import urlparse

import pytest

from pipelines.common.paths import REPORTS_DIR
from pipelines.reporting.report import check_provenance
from stages.reports.index import read_page

PAGES = sorted(REPORTS_DIR.rglob("*.html"))
REPORTS = [page for page in PAGES if page.name != "index.html"]


def local_targets(page: Path) -> list[str]:
    reader = read_page(page)
    targets = []
    for link in reader.links + reader.images:
        parsed = urlparse(link)
        if parsed.scheme or link.startswith("#") or not parsed.path:
            continue  # external, data: URIs or in-page anchors
        targets.append(parsed.path)
    return targets


def test_every_pipeline_has_reports():
    assert {page.parent.name for page in REPORTS} >= {"weather", "corn", "credit", "reviews"}


@pytest.mark.parametrize("page", REPORTS, ids=lambda p: p.relative_to(REPORTS_DIR).as_posix())
def test_report_has_a_title_and_states_its_data_kind(page):
    reader = read_page(page)
    assert reader.title.strip(), "no <title>"
    check_provenance(page, reader.provenance)  # the rule render_report applies: a valid `kind` line
    if "synthetic" in reader.provenance["kind"]:
        assert "SYNTHETIC" in reader.title.upper(), "a synthetic-data report must say so in its title"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPORTS_DIR).as_posix())
def test_relative_links_and_images_resolve(page):
    missing = [target for target in local_targets(page) if not (page.parent / target).exists()]
    assert not missing, f"{page.name} links to missing files: {missing}"


def test_index_links_every_report():
    linked = {(REPORTS_DIR / target).resolve() for target in local_targets(REPORTS_DIR / "index.html")}
    assert {page.resolve() for page in REPORTS} <= linked
