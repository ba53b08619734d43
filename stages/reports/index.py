"""Stage reports_index: `reports/index.html`, the one page a reader opens first.

It links every pipeline's reports and states, per pipeline, the data (source, kind, size), the best
model and its test metrics next to the baseline it has to beat, read from the metrics contract
(`reports/<pipeline>/metrics.json`). Every report and figure is listed with the DVC stage that made
it (from dvc.yaml, read at run time: DVC refuses dvc.yaml as a dependency, so a renamed output shows
after the next rebuild). The page holds no build time or commit: the same inputs give the same bytes, so a
fresh clone's `dvc repro` leaves it unchanged (`git log reports/index.html` says when it changed). The whole-pipeline
benchmark (`reports/bench.json`, written by `bench/pipeline.py`) is shown when present.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import yaml

from pipelines.common.errors import DataError
from pipelines.common.io import read_json
from pipelines.common.logs import get_logger
from pipelines.common.params import Params, load_params
from pipelines.common.paths import REPORTS_DIR, ROOT
from pipelines.common.stage import run_stage
from pipelines.reporting.report import render_template

log = get_logger("reports.index")
BENCH = "bench.json"  # written by bench/pipeline.py, shown when present
BENCH_API = "bench_api.json"  # written by bench/api_load.py
PIPELINE_FILE = ROOT / "dvc.yaml"
BETTER = ("lower", "higher")
TEMPLATES = ROOT / "pipelines" / "reports" / "templates"


class PageReader(HTMLParser):
    """What the index needs from a report: its title, its provenance block, its images and links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.provenance: dict[str, str] = {}
        self.images: list[str] = []
        self.links: list[str] = []
        self.external = False  # a library's page (Evidently…) under the project's banner
        self._in_title = False
        self._in_provenance = 0  # depth of nested tags inside the provenance block
        self._key: str | None = None
        self._field: str | None = None  # "dt" or "dd" while inside one

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "title":
            self._in_title = True
        elif tag == "img" and attributes.get("src"):
            self.images.append(attributes["src"])
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if attributes.get("id") == "project-banner":
            self.external = True
        if attributes.get("id") == "provenance":
            self._in_provenance = 1
        elif self._in_provenance:
            self._in_provenance += 1
            if tag in ("dt", "dd"):
                self._field = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif self._in_provenance:
            self._in_provenance -= 1
            if tag in ("dt", "dd"):
                self._field = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif self._field == "dt":
            self._key = data.strip()
        elif self._field == "dd" and self._key:
            self.provenance[self._key] = (self.provenance.get(self._key, "") + data).strip()


def read_page(path: Path) -> PageReader:
    reader = PageReader()
    reader.feed(path.read_text(encoding="utf-8"))
    reader.title = " ".join(reader.title.split())
    return reader


def stage_outputs(pipeline_file: Path = PIPELINE_FILE) -> dict[str, tuple[str, str]]:
    """Every output path declared in dvc.yaml → (stage name, command)."""
    stages = yaml.safe_load(pipeline_file.read_text(encoding="utf-8"))["stages"]
    outputs = {}
    for name, stage in stages.items():
        for kind in ("outs", "metrics", "plots"):
            for entry in stage.get(kind, []):
                path = next(iter(entry)) if isinstance(entry, dict) else entry
                outputs[path.rstrip("/")] = (name, stage["cmd"])
    return outputs


def producer(path: str, outputs: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """The stage whose declared output is `path` or the folder holding it (longest match)."""
    candidates = [out for out in outputs if path == out or path.startswith(out + "/")]
    if not candidates:
        return ("(not a DVC output)", "")
    return outputs[max(candidates, key=len)]


@dataclass
class Headline:
    """One row of the headline table."""

    pipeline: str
    title: str
    kind: str
    source: str
    rows: int | None
    best_model: str
    baseline: str
    metrics: list[dict] = field(default_factory=list)  # name, better, best, baseline, change_percent


def headline(pipeline: str, settings: Params, contract: dict) -> Headline:
    """The pipeline's headline from its metrics contract; a missing model or metric names the culprit."""
    for key in ("data", "test", "best_model"):
        if key not in contract:
            raise DataError(f"reports/{pipeline}/metrics.json: `{key}` missing (the metrics contract)")
    best, baseline = contract["best_model"], settings.get("baseline", type_=str)
    rows = []
    directions = settings.get("metrics", type_=dict)
    if not directions:
        raise DataError(f"reports.pipelines.{pipeline}.metrics: name at least one metric")
    for name, better in directions.items():
        if better not in BETTER:
            raise DataError(f"reports.pipelines.{pipeline}.metrics.{name}: expected one of {BETTER}, got {better!r}")
        values = {}
        for role, model in (("best", best), ("baseline", baseline)):
            try:
                values[role] = float(contract["test"][model][name])
            except KeyError:
                raise DataError(f"reports/{pipeline}/metrics.json: no test `{name}` for model `{model}`") from None
        change = 100 * (values["best"] - values["baseline"]) / abs(values["baseline"]) if values["baseline"] else None
        improved = values["best"] < values["baseline"] if better == "lower" else values["best"] > values["baseline"]
        entry = contract["test"][best]
        ci95 = entry.get(f"{name}_ci95")  # half-width of the 95 % interval, when the pipeline reports one
        low, high = entry.get(f"{name}_ci_low"), entry.get(f"{name}_ci_high")  # or its bounds
        interval = (float(low), float(high)) if low is not None and high is not None else None
        rows.append(
            {
                "name": name,
                "better": better,
                **values,
                "change_percent": change,
                "improved": improved,
                "ci95": ci95,
                "interval": interval,
            }
        )
    data = contract["data"]
    return Headline(
        pipeline=pipeline,
        title=settings.get("title", type_=str),
        kind=data.get("kind", "unknown"),
        source=data.get("description") or str(data.get("source", "")),
        rows=data.get("rows"),
        best_model=best,
        baseline=baseline,
        metrics=rows,
    )


def interpretation(row: Headline) -> str:
    """One or two sentences a reader can take away, written from the numbers (never by hand)."""
    compared = "; ".join(
        f"{m['name']} {m['best']:.4g}"
        + (f" ± {m['ci95']:.2g}" if m["ci95"] is not None else "")
        + (f" [{m['interval'][0]:.4g}, {m['interval'][1]:.4g}]" if m["interval"] else "")
        + f" against {m['baseline']:.4g}"
        + (f" ({m['change_percent']:+.1f} %)" if m["change_percent"] is not None else "")
        for m in row.metrics
    )
    better = [m["name"] for m in row.metrics if m["improved"]]
    worse = [m["name"] for m in row.metrics if not m["improved"]]
    if not worse:
        verdict = f"{row.best_model} beats the baseline {row.baseline} on every headline metric"
    elif better:
        verdict = f"{row.best_model} beats {row.baseline} on {', '.join(better)} but not on {', '.join(worse)}"
    else:
        verdict = f"{row.best_model} does NOT beat the baseline {row.baseline}"
    within = [m["name"] for m in row.metrics if m["ci95"] is not None and abs(m["best"] - m["baseline"]) < m["ci95"]]
    size = f"{row.rows:,} rows of " if row.rows else ""
    text = f"On the test split, {verdict}: {compared}. Data: {size}{row.kind} data."
    if within:
        text += f" The gap on {', '.join(within)} is inside the 95 % interval: not a clear win on this test split."
    if row.kind == "synthetic":
        text += " Synthetic data: the numbers show that the pipeline works, not how a model does on the real problem."
    return text


def pipeline_reports(
    pipeline: str, reports_dir: Path, outputs: dict[str, tuple[str, str]], index_dir: Path
) -> list[dict]:
    """Every HTML report of a pipeline with its title, provenance kind, stage and figures."""
    folder = reports_dir / pipeline
    pages = sorted(folder.glob("*.html"))
    if not pages:
        raise DataError(f"{folder}: no HTML report (run the {pipeline} stages first)")
    reports = []
    for page in pages:
        reader = read_page(page)
        if not reader.title:
            raise DataError(f"{page}: the report has no <title>")
        if "kind" not in reader.provenance:
            raise DataError(f"{page}: the report has no provenance block stating the data's kind")
        project_path = f"reports/{page.relative_to(reports_dir).as_posix()}"  # as dvc.yaml names it
        stage, command = producer(project_path, outputs)
        figures = []
        for src in reader.images:
            if src.startswith("data:"):
                continue
            figure = (page.parent / src).resolve()
            figure_path = f"reports/{figure.relative_to(reports_dir.resolve()).as_posix()}"
            figure_stage, _ = producer(figure_path, outputs)
            figures.append({"href": os.path.relpath(figure, index_dir), "path": figure_path, "stage": figure_stage})
        reports.append(
            {
                "href": os.path.relpath(page, index_dir),
                "title": reader.title,
                "kind": reader.provenance["kind"],
                "stage": stage,
                "command": command,
                "figures": figures,
                "external": reader.external,
            }
        )
    # The project's own reports first: a library's page (Evidently's drift page) follows the summary explaining it.
    return sorted(reports, key=lambda report: report["external"])


def build_index(settings: Params, reports_dir: Path, outputs: dict[str, tuple[str, str]]) -> Path:
    """Write `<reports_dir>/index.html` from the pipelines' metrics contracts and reports."""
    index = reports_dir / "index.html"
    pipelines = []
    for pipeline in settings.as_dict():
        contract_path = reports_dir / pipeline / "metrics.json"
        if not contract_path.exists():
            raise DataError(f"{contract_path}: missing (run the {pipeline} stages first)")
        contract = read_json(contract_path)
        row = headline(pipeline, settings.section(pipeline), contract)
        reports = pipeline_reports(pipeline, reports_dir, outputs, index.parent)
        pipelines.append(
            {
                "headline": row,
                "interpretation": interpretation(row),
                "reports": reports,
                "metrics_href": f"{pipeline}/metrics.json",
                "readme_href": f"{pipeline}/README.md" if (reports_dir / pipeline / "README.md").exists() else None,
                "warning": contract["data"].get("warning"),
            }
        )
        log.info("%s: %d reports, best %s", pipeline, len(reports), row.best_model)
    bench, bench_api = reports_dir / BENCH, reports_dir / BENCH_API
    render_template(
        "index.html.j2",
        index,
        TEMPLATES,
        pipelines=pipelines,
        bench=read_json(bench) if bench.exists() else None,
        bench_api=read_json(bench_api) if bench_api.exists() else None,
        provenance={row["headline"].pipeline: f"{row['headline'].kind}: {row['headline'].source}" for row in pipelines},
    )
    log.info("wrote %s (%d pipelines)", index, len(pipelines))
    return index


def main() -> None:
    build_index(load_params("reports").section("pipelines"), REPORTS_DIR, stage_outputs())


if __name__ == "__main__":
    run_stage(main, "reports.index")
