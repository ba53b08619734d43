"""Notebooks built from a pipeline's artefacts: the course's sequence, the reports' own text, executed tables,
and the same file from the same artefacts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipelines.common.errors import DataError
from pipelines.reporting.notebooks import STEPS, build_notebook, execute, write_notebook
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report


@pytest.fixture
def artefacts(tmp_path):
    reports = tmp_path / "reports" / "demo"
    reports.mkdir(parents=True)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    figure = save_figure(fig, reports / "evaluation" / "curve.png", "source: test")
    table = pd.DataFrame({"rmse": [1.25, 2.5]}, index=["ridge", "persistence"])
    seeds = pd.DataFrame(  # a multi-level header, as the seed-spread tables have
        [[0.91, 0.02]], index=["adam"], columns=pd.MultiIndex.from_tuples([("accuracy", "mean"), ("accuracy", "std")])
    )
    render_report(
        reports / "evaluation.html",
        "Demo — evaluation",
        {"kind": "synthetic"},
        [
            Section(
                "Results",
                ["Ridge is 50 % below persistence."],
                [("RMSE per model", table), ("Accuracy over seeds", seeds)],
                [Figure(figure, "A curve")],
            )
        ],
    )
    contract = {
        "data": {"kind": "synthetic", "description": "made-up series", "rows": 10},
        "best_model": "ridge",
        "validation": {"ridge": {"rmse": 1.2}, "persistence": {"rmse": 2.4}},
        "test": {"ridge": {"rmse": 1.25}, "persistence": {"rmse": 2.5}},
    }
    (reports / "metrics.json").write_text(json.dumps(contract))
    return tmp_path


def test_the_notebook_follows_the_course_and_runs(artefacts):
    notebooks = artefacts / "notebooks"
    path = notebooks / "demo.ipynb"
    reports = {artefacts / "reports/demo/evaluation.html": "modelling and evaluation"}
    notebook = build_notebook("demo", "Demo pipeline", artefacts / "reports/demo/metrics.json", reports, path)
    headings = [
        cell.source for cell in notebook.cells if cell.cell_type == "markdown" and cell.source.startswith("## ")
    ]
    assert headings == [f"## {number}. {step}" for number, step in enumerate(STEPS, start=1)]
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "Ridge is 50 % below persistence." in text  # the report's own sentence, not a copy
    assert "![A curve](../reports/demo/evaluation/curve.png)" in text
    notebooks.mkdir()
    execute(notebook, notebooks)
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert outputs and not [output for output in outputs if output.output_type == "error"]
    shown = "\n".join(output.get("data", {}).get("text/plain", "") for output in outputs)
    assert "1.25" in shown and "persistence" in shown and "made-up series" in shown
    assert "accuracy / mean" in shown and "0.91" in shown
    write_notebook(notebook, path)
    first = path.read_bytes()
    again = execute(
        build_notebook("demo", "Demo pipeline", artefacts / "reports/demo/metrics.json", reports, path), notebooks
    )
    write_notebook(again, path)
    assert path.read_bytes() == first


def test_a_report_or_a_step_that_does_not_exist_is_named(artefacts):
    contract = artefacts / "reports/demo/metrics.json"
    with pytest.raises(DataError, match="missing.report.json not found"):
        build_notebook(
            "demo", "Demo", contract, {artefacts / "reports/demo/missing.html": "preprocessing"}, artefacts / "x.ipynb"
        )
    with pytest.raises(DataError, match="unknown step 'training'"):
        build_notebook(
            "demo", "Demo", contract, {artefacts / "reports/demo/evaluation.html": "training"}, artefacts / "x.ipynb"
        )
