"""One executed notebook per pipeline, in the course's sequence, built from the pipeline's artefacts.

A notebook's text is its reports' own: the sections each report stage wrote as data beside its HTML
(`<report>.report.json`, see report.py), placed under the course step the report belongs to
(`params.yaml: reports.notebooks`). Its code cells load the pipeline's outputs (the metrics contract, the
reports' tables) and show them; nothing is retrained. Executed with nbclient; no timing or random cell id is
kept, so the same artefacts give the same file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from pipelines.common.errors import DataError
from pipelines.common.io import write_text
from pipelines.reporting.report import report_data_path

# The sequence the course asks of every notebook (and every set of reports).
STEPS = (
    "Objective",
    "Data loading",
    "Exploratory analysis",
    "Split into train/validation/test",
    "Preprocessing",
    "Modelling and evaluation",
    "Analysis and interpretation",
)


def _step(name: str, where: str) -> str:
    for step in STEPS:
        if step.lower() == name.lower():
            return step
    raise DataError(f"{where}: unknown step {name!r}; expected one of {', '.join(STEPS)}")


def _markdown_section(section: dict, report_dir: Path, notebook_dir: Path) -> str:
    lines = [f"### {section['heading']}", ""]
    lines += [paragraph + "\n" for paragraph in section["paragraphs"]]
    for figure in section["figures"]:
        src = os.path.relpath(report_dir / figure["src"], notebook_dir).replace(os.sep, "/")
        lines.append(f"![{figure['caption']}]({src})\n\n*{figure['caption']}*\n")
    return "\n".join(lines).rstrip() + "\n"


def _table_code(report: Path, notebook_dir: Path, index: int, table: int, caption: str) -> str:
    rel = os.path.relpath(report, notebook_dir).replace(os.sep, "/")
    return (
        f"# {caption}\n"
        f"table = json.loads(Path({rel!r}).read_text())['sections'][{index}]['tables'][{table}]\n"
        "pd.DataFrame(table['data'], index=table['index'], columns=table['columns'])"
    )


def build_notebook(
    pipeline: str, title: str, contract_path: Path, reports: dict[Path, str], notebook_path: Path
) -> nbformat.NotebookNode:
    """The notebook of one pipeline: `reports` maps each report's HTML path to the course step it belongs to."""
    notebook_dir = notebook_path.parent
    contract = json.loads(contract_path.read_text(encoding="utf-8"))
    data = contract.get("data", {})
    by_step: dict[str, list[tuple[Path, int, dict]]] = {step: [] for step in STEPS}
    for html, step in reports.items():
        source = report_data_path(html)
        if not source.exists():
            raise DataError(f"reports.notebooks.{pipeline}: {source} not found (run the stage that writes {html})")
        document = json.loads(source.read_text(encoding="utf-8"))
        for index, section in enumerate(document["sections"]):
            by_step[_step(step, f"reports.notebooks.{pipeline}.{html}")].append((source, index, section))

    contract_rel = os.path.relpath(contract_path, notebook_dir).replace(os.sep, "/")
    cells = [
        nbformat.v4.new_markdown_cell(
            f"# {title}\n\nBuilt by the `reports_notebooks` stage from this pipeline's outputs (nothing is "
            "retrained): the text is the reports' own, the tables are read from the files the stages wrote. "
            f"Data: **{data.get('kind', 'unknown')}** — {data.get('description') or data.get('source', '')}."
        ),
        nbformat.v4.new_code_cell(
            "import json\nfrom pathlib import Path\n\nimport pandas as pd\n\n"
            f"contract = json.loads(Path({contract_rel!r}).read_text())"
        ),
    ]
    for number, step in enumerate(STEPS, start=1):
        cells.append(nbformat.v4.new_markdown_cell(f"## {number}. {step}"))
        if step == "Objective":
            cells.append(
                nbformat.v4.new_markdown_cell(
                    f"{title}. The model chosen on validation data is **{contract.get('best_model', '?')}**; "
                    "the test split is scored once, for the final evaluation below."
                )
            )
        if step == "Data loading":
            cells.append(nbformat.v4.new_code_cell("pd.Series(contract['data'], dtype=object).to_frame('data')"))
        for source, index, section in by_step[step]:
            cells.append(nbformat.v4.new_markdown_cell(_markdown_section(section, source.parent, notebook_dir)))
            for table_index, table in enumerate(section["tables"]):
                cells.append(
                    nbformat.v4.new_code_cell(_table_code(source, notebook_dir, index, table_index, table["caption"]))
                )
        if step == "Modelling and evaluation":
            for split in ("validation", "test"):
                if isinstance(contract.get(split), dict):
                    cells.append(
                        nbformat.v4.new_code_cell(
                            f"# every model on the {split} split (reports/{pipeline}/metrics.json)\n"
                            f"pd.DataFrame(contract[{split!r}]).T.select_dtypes('number').round(4)"
                        )
                    )
    notebook = nbformat.v4.new_notebook(cells=cells)
    for number, cell in enumerate(notebook.cells):
        cell["id"] = f"{pipeline}-{number:03d}"  # stable ids: the same artefacts give the same file
    notebook.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return notebook


def execute(notebook: nbformat.NotebookNode, working_dir: Path, timeout_s: int = 300) -> nbformat.NotebookNode:
    """Run every cell in `working_dir`; the outputs stay, the run's timings and kernel details do not."""
    resources = {"metadata": {"path": str(working_dir)}}
    client = NotebookClient(
        notebook, timeout=timeout_s, kernel_name="python3", record_timing=False, resources=resources
    )
    client.execute()
    notebook.metadata = {"kernelspec": notebook.metadata["kernelspec"], "language_info": {"name": "python"}}
    return notebook


def write_notebook(notebook: nbformat.NotebookNode, path: Path) -> None:
    write_text(path, nbformat.writes(notebook) + "\n")
