"""Plot style and atomic figure saving: every figure has a title, axis labels and a source line."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen on servers and CI

import matplotlib.pyplot as plt  # noqa: E402

from pipelines.common.io import atomic_path  # noqa: E402

plt.rcParams.update(
    {
        "figure.figsize": (10, 4.5),
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "bold",
        "legend.frameon": False,
    }
)


def add_source_line(fig: plt.Figure, source: str) -> matplotlib.text.Text:
    """The provenance line, placed under everything the figure already draws (axis labels, tick labels,
    legends below the axes), so it can never overprint them; the tight bounding box of the saved PNG grows
    to include it."""
    fig.canvas.draw()
    content = fig.get_tightbbox(fig.canvas.get_renderer())  # inches
    gap = 4 / 72  # 4 points
    y = (content.y0 - gap) / fig.get_figheight()
    x = content.x0 / fig.get_figwidth()
    return fig.text(x, y, source, fontsize=7, color="0.4", ha="left", va="top")


def save_figure(fig: plt.Figure, path: str | Path, source: str | None = None, *, tight_layout: bool = False) -> Path:
    """Save a figure atomically as PNG, with a small provenance line under it (never over an axis label).

    The project's one figure-saving helper. `tight_layout=True` packs the axes first (matplotlib's
    `Figure.tight_layout`); without it the figure keeps the layout its code gave it.
    """
    if tight_layout:
        fig.tight_layout()
    if source:
        add_source_line(fig, source)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")
    plt.close(fig)
    return path
