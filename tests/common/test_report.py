"""Reports: the project's template and third-party pages get the same title and provenance block."""

import pytest

from pipelines.common.errors import PipelineError
from pipelines.reporting.report import Section, label_external_page, render_report


def test_rendered_report_has_title_provenance_and_escaped_text(tmp_path):
    path = tmp_path / "report.html"
    render_report(path, "Title <A&B>", {"kind": "synthetic"}, [Section("Heading", ["a < b"])])
    html = path.read_text()
    assert "<title>Title &lt;A&amp;B&gt;</title>" in html
    assert 'id="provenance"' in html and "<dd>synthetic</dd>" in html
    assert "<p>a &lt; b</p>" in html


def test_external_page_gets_the_title_and_banner_after_body(tmp_path):
    page = tmp_path / "drift.html"
    page.write_text('<html><head><title>plotly-logomark</title></head><body class="x"><div>report</div></body></html>')
    label_external_page(page, "Drift <report>", {"kind": "real-sample"}, "Interactive page.")
    html = page.read_text()
    assert "<title>Drift &lt;report&gt;</title>" in html and "plotly-logomark" not in html
    banner = html.index('id="project-banner"')
    assert html.index('<body class="x">') < banner < html.index("<div>report</div>")
    assert "real-sample" in html and "Interactive page." in html


def test_external_page_without_body_is_an_error(tmp_path):
    page = tmp_path / "fragment.html"
    page.write_text("<div>no body</div>")
    with pytest.raises(PipelineError, match="no <body>"):
        label_external_page(page, "T", {"kind": "synthetic"})
    assert page.read_text() == "<div>no body</div>"
