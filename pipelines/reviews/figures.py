"""Saving the reviews figures: room is kept under the axes for the shared source line."""

from __future__ import annotations

from pathlib import Path

from pipelines.reporting.plotting import plt, save_figure


def save(fig: plt.Figure, path: Path, source: str) -> Path:
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return save_figure(fig, path, source)
