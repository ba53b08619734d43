"""Saving the credit figures: room at the bottom for the source line, so it never covers an axis label; the same
bytes on every run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from pipelines.reporting.plotting import plt, save_figure


def save(fig: plt.Figure, path: Path, source: str) -> Path:
    fig.tight_layout(rect=(0, 0.045, 1, 1))
    return save_figure(fig, path, source)


@contextmanager
def numpy_global_seed(seed: int) -> Iterator[None]:
    """numpy's global generator seeded for the block, then restored: for libraries that draw from it
    (SHAP's beeswarm jitter) without taking a generator, so their figures are the same on every run."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
