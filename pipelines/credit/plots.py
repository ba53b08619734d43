"""Saving the credit figures: room at the bottom for the source line, so it never covers an axis label."""

from __future__ import annotations

from pathlib import Path

from pipelines.reporting.plotting import plt, save_figure


def save(fig: plt.Figure, path: Path, source: str) -> Path:
    fig.tight_layout(rect=(0, 0.045, 1, 1))
    return save_figure(fig, path, source)
