"""HTML reports that a reader understands without running anything.

Every report has a title, the data's provenance, and sections made of short paragraphs,
tables and figures (PNG files beside the HTML, linked relatively so the folder works on
GitHub, GitHub Pages or in a downloaded zip).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipelines.common.errors import PipelineError
from pipelines.common.io import write_json, write_text
from pipelines.common.provenance import DATA_KINDS

_TEMPLATES = Path(__file__).with_name("templates")
_ENV = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html", "j2"]))


@dataclass
class Figure:
    path: Path
    caption: str


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


def check_provenance(path: Path, provenance: dict) -> None:
    """Every report says what kind of data it ran on, so nobody mistakes synthetic data for the real thing."""
    kinds = str(provenance.get("kind", "")).split(", ")
    if not all(kind in DATA_KINDS for kind in kinds):
        got = provenance.get("kind")
        raise PipelineError(f"{path.name}: provenance `kind` must be one of {DATA_KINDS}, got {got!r}")


def report_data_path(path: str | Path) -> Path:
    """Where a report's content is kept as data, beside its HTML: `evaluation.html` → `evaluation.report.json`."""
    path = Path(path)
    return path.with_name(f"{path.stem}.report.json")


def flat_labels(table: pd.DataFrame) -> pd.DataFrame:
    """The table with a multi-level index or header joined into one level ("mean / accuracy"): the split JSON of
    a MultiIndex is lists of tuples, which a notebook cannot rebuild into the same table with one constructor."""
    table = table.copy()
    for axis in ("index", "columns"):
        labels = getattr(table, axis)
        if isinstance(labels, pd.MultiIndex):
            setattr(table, axis, [" / ".join(str(part) for part in label if str(part)) for label in labels])
    return table


def report_data(path: Path, title: str, provenance: dict, sections: list[Section]) -> dict:
    """The report's content as plain data (what the notebooks are built from: one source for both)."""
    return {
        "title": title,
        "provenance": provenance,
        "sections": [
            {
                "heading": section.heading,
                "paragraphs": section.paragraphs,
                "tables": [
                    {"caption": caption, **json.loads(flat_labels(table).to_json(orient="split", double_precision=6))}
                    for caption, table in section.tables
                ],
                "figures": [
                    {"src": os.path.relpath(figure.path, path.parent), "caption": figure.caption}
                    for figure in section.figures
                ],
            }
            for section in sections
        ],
    }


def render_report(path: str | Path, title: str, provenance: dict, sections: list[Section]) -> None:
    """Write a self-contained HTML report (figure paths relative to it) and, beside it, its content as data
    (`report_data_path`)."""
    path = Path(path)
    check_provenance(path, provenance)
    write_json(report_data_path(path), report_data(path, title, provenance, sections))
    rendered_sections = [
        {
            "heading": section.heading,
            "paragraphs": section.paragraphs,
            "tables": [
                (caption, table.to_html(classes="data", border=0, float_format=lambda v: f"{v:,.3f}", na_rep="–"))
                for caption, table in section.tables
            ],
            "figures": [
                {"src": os.path.relpath(figure.path, path.parent), "caption": figure.caption}
                for figure in section.figures
            ],
        }
        for section in sections
    ]
    render_template("report.html.j2", path, title=title, provenance=provenance, sections=rendered_sections)


def label_external_page(path: str | Path, title: str, provenance: dict, note: str = "") -> None:
    """Give a page written by another library (Evidently…) the project's title and provenance banner,
    so it reads like every other report; the page itself is left untouched otherwise."""
    path = Path(path)
    check_provenance(path, provenance)
    html = path.read_text(encoding="utf-8")
    body = re.search(r"<body[^>]*>", html)
    if body is None:
        raise PipelineError(f"{path}: no <body> tag to put the provenance banner in")
    banner = _ENV.get_template("external_banner.html.j2").render(title=title, provenance=provenance, note=note)
    html = html[: body.end()] + "\n" + banner + html[body.end() :]
    # Only the document's own <title> (in <head>): pages such as Evidently's embed SVG titles in scripts.
    head = re.search(r"<head(?:\s[^>]*)?>(.*?)</head>", html, flags=re.S | re.I)
    if head is None:
        raise PipelineError(f"{path}: no <head> to put the title in")
    title_tag = "<title>" + _ENV.from_string("{{ title }}").render(title=title) + "</title>"
    new_head, found = re.subn(r"<title>.*?</title>", title_tag, head.group(1), count=1, flags=re.S)
    if not found:
        new_head = title_tag + new_head
    if 'rel="icon"' not in new_head:
        new_head = '<link rel="icon" href="data:,">' + new_head  # no /favicon.ico request, no 404 on static hosts
    html = html[: head.start(1)] + new_head + html[head.end(1) :]
    write_text(path, html)


def render_template(name: str, path: str | Path, template_dir: Path | None = None, **context) -> None:
    """Render a template to `path`, atomically: a stage's own (`template_dir`, which keeps a change to it
    from rerunning every stage that depends on pipelines/common) or one of pipelines/reporting/templates."""
    environment = _ENV
    if template_dir is not None:
        loader = FileSystemLoader([template_dir, _TEMPLATES])
        environment = Environment(loader=loader, autoescape=select_autoescape(["html", "j2"]))
    write_text(path, environment.get_template(name).render(**context))
