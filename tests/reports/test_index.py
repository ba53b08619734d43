"""The reports index: headline numbers from the metrics contract, links that resolve, clear errors."""

from pathlib import Path

import pytest

from pipelines.common.errors import DataError
from pipelines.common.io import write_json
from pipelines.common.params import Params
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report
from stages.reports.index import build_index, headline, interpretation, producer, read_page, stage_outputs

SETTINGS = {
    "demo": {
        "title": "Demo forecasting",
        "metrics": {"rmse": "lower", "accuracy": "higher"},
        "baseline": "naive",
    }
}
CONTRACT = {
    "data": {"kind": "synthetic", "description": "made-up series", "rows": 1234, "warning": "SYNTHETIC data"},
    "test": {"good": {"rmse": 1.5, "accuracy": 0.9}, "naive": {"rmse": 3.0, "accuracy": 0.6}},
    "best_model": "good",
}


def demo_reports(root: Path) -> Path:
    """A reports folder as the pipeline leaves it: a metrics contract, one report with one figure."""
    reports = root / "reports"
    write_json(reports / "demo" / "metrics.json", CONTRACT)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    figure = save_figure(fig, reports / "demo" / "evaluation" / "curve.png", "Data: made-up (synthetic)")
    render_report(
        reports / "demo" / "evaluation.html",
        "Demo — evaluation",
        {"kind": "synthetic", "data source": "made-up series"},
        [Section("Results", ["The good model halves the error."], figures=[Figure(figure, "A curve.")])],
    )
    return reports


OUTPUTS = {
    "reports/demo/evaluation.html": ("demo_evaluate", "python -m stages.demo.evaluate"),
    "reports/demo/evaluation": ("demo_evaluate", "python -m stages.demo.evaluate"),
}


def test_headline_compares_the_best_model_with_the_baseline():
    row = headline("demo", Params(SETTINGS, "reports.pipelines").section("demo"), CONTRACT)
    rmse, accuracy = row.metrics
    assert (rmse["best"], rmse["baseline"], rmse["change_percent"], rmse["improved"]) == (1.5, 3.0, -50.0, True)
    assert accuracy["change_percent"] == pytest.approx(50.0) and accuracy["improved"]
    assert (row.kind, row.rows, row.best_model) == ("synthetic", 1234, "good")


@pytest.mark.parametrize(
    ("settings", "contract", "message"),
    [
        ({"metrics": {"mae": "lower"}}, CONTRACT, "no test `mae` for model `good`"),
        ({"baseline": "missing"}, CONTRACT, "no test `rmse` for model `missing`"),
        ({"metrics": {"rmse": "smaller"}}, CONTRACT, r"metrics.rmse: expected one of"),
        ({}, {"data": {}, "test": {}}, "`best_model` missing"),
    ],
)
def test_headline_errors_name_the_culprit(settings, contract, message):
    section = Params({"demo": SETTINGS["demo"] | settings}, "reports.pipelines").section("demo")
    with pytest.raises(DataError, match=message):
        headline("demo", section, contract)


def test_index_links_every_report_and_figure_with_its_stage(tmp_path):
    reports = demo_reports(tmp_path)
    index = build_index(Params(SETTINGS, "reports.pipelines"), reports, OUTPUTS)
    page = read_page(index)
    assert page.title == "ML pipelines — reports index"
    assert "demo" in page.provenance and "reports_index" in page.provenance["built by"]
    assert "demo/evaluation.html" in page.links and "demo/metrics.json" in page.links
    assert "demo/evaluation/curve.png" in page.links  # "where each figure came from"
    for link in page.links:
        if not link.startswith("#"):
            assert (index.parent / link).exists(), link
    html = index.read_text()
    assert "demo_evaluate" in html and "SYNTHETIC data" in html and "-50.0 %" in html


def test_index_refuses_a_report_without_provenance(tmp_path):
    reports = demo_reports(tmp_path)
    (reports / "demo" / "bare.html").write_text("<html><head><title>Bare</title></head><body></body></html>")
    with pytest.raises(DataError, match="bare.html: the report has no provenance block"):
        build_index(Params(SETTINGS, "reports.pipelines"), reports, OUTPUTS)


def test_index_refuses_a_missing_contract(tmp_path):
    with pytest.raises(DataError, match="metrics.json: missing"):
        build_index(Params(SETTINGS, "reports.pipelines"), tmp_path, OUTPUTS)


def test_producer_is_the_stage_of_the_longest_declared_output():
    outputs = stage_outputs()  # the project's real dvc.yaml
    assert producer("reports/weather/eda/series.png", outputs)[0] == "weather_eda"
    assert producer("reports/credit/drift.html", outputs)[0] == "credit_drift"
    assert producer("reports/index.html", outputs)[0] == "reports_index"
    assert producer("README.md", outputs)[0] == "(not a DVC output)"


def test_interpretation_states_the_verdict_and_the_uncertainty():
    settings = Params(SETTINGS, "reports.pipelines").section("demo")
    close = {"rmse": 2.9, "accuracy": 0.62, "accuracy_ci95": 0.05}
    contract = {**CONTRACT, "test": {**CONTRACT["test"], "good": close}}
    text = interpretation(headline("demo", settings, contract))
    assert "good beats the baseline naive on every headline metric" in text
    assert "accuracy 0.62 ± 0.05 against 0.6" in text
    assert "The gap on accuracy is inside the 95 % interval" in text
    assert "Synthetic data" in text
    worse = {**CONTRACT, "test": {**CONTRACT["test"], "good": {"rmse": 3.5, "accuracy": 0.7}}}
    assert "good beats naive on accuracy but not on rmse" in interpretation(headline("demo", settings, worse))


def test_a_library_page_is_listed_after_the_projects_own_reports(tmp_path):
    from pipelines.reporting.report import label_external_page
    from stages.reports.index import pipeline_reports

    reports = demo_reports(tmp_path)
    library_page = reports / "demo" / "aaa_library.html"  # sorts first by name
    library_page.write_text("<html><head><title>x</title></head><body><p>drawn by a library</p></body></html>")
    label_external_page(library_page, "Demo — library page", {"kind": "synthetic", "data source": "made-up"})
    outputs = OUTPUTS | {"reports/demo/aaa_library.html": ("demo_evaluate", "python -m stages.demo.evaluate")}
    listed = pipeline_reports("demo", reports, outputs, reports)
    assert [report["title"] for report in listed] == ["Demo — evaluation", "Demo — library page"]
    assert [report["external"] for report in listed] == [False, True]
