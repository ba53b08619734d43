"""Stage reports_notebooks: one executed notebook per pipeline, `notebooks/<pipeline>.ipynb`.

In the course's sequence (objective, data loading, exploratory analysis, split, preprocessing, modelling and
evaluation, analysis and interpretation), from the pipeline's metrics contract and its reports' content
(`reports/<pipeline>/<report>.report.json`, the same data the HTML is rendered from); which report goes under
which step is `params.yaml: reports.notebooks`. Nothing is retrained (pipelines/reporting/notebooks.py).
"""

from __future__ import annotations

from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.paths import REPORTS_DIR, ROOT
from pipelines.common.stage import run_stage
from pipelines.reporting.notebooks import build_notebook, execute, write_notebook

log = get_logger("reports.notebooks")
NOTEBOOKS_DIR = ROOT / "notebooks"


def main() -> None:
    params = load_params("reports")
    titles = params.section("pipelines")
    notebooks = params.section("notebooks")
    NOTEBOOKS_DIR.mkdir(exist_ok=True)  # the kernel starts in it
    for pipeline in notebooks.as_dict():
        reports = {
            REPORTS_DIR / pipeline / f"{report}.html": step
            for report, step in notebooks.get(pipeline, type_=dict).items()
        }
        path = NOTEBOOKS_DIR / f"{pipeline}.ipynb"
        title = titles.section(pipeline).get("title", type_=str)
        notebook = build_notebook(pipeline, title, REPORTS_DIR / pipeline / "metrics.json", reports, path)
        write_notebook(execute(notebook, NOTEBOOKS_DIR), path)
        log.info("wrote %s (%d cells)", path.relative_to(ROOT), len(notebook.cells))


if __name__ == "__main__":
    run_stage(main, "reports.notebooks")
