"""The credit figures' one extra need: the same bytes on every run, also for figures drawn by SHAP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


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
