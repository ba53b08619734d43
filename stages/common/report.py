"""HTML reports that a reader understands without running anything.

Every report has a title, the data's provenance, and sections made of short paragraphs,
tables and figures (PNG files beside the HTML, linked relatively so the folder works on
GitHub, GitHub Pages or in a downloaded zip).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from stages.common.io import write_text
from stages.common.provenance import utc_now

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


def render_report(path: str | Path, title: str, provenance: dict, sections: list[Section]) -> None:
    """Write a self-contained HTML report; figure paths are made relative to the report."""
    path = Path(path)
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
    html = _ENV.get_template("report.html.j2").render(
        title=title, provenance=provenance, sections=rendered_sections, generated=utc_now()
    )
    write_text(path, html)
