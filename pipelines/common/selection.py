"""Choosing a model: one rule for every pipeline, and it is never given the test split.

Each pipeline says which candidates may win and how they rank on the split it may use — a validation split or
out-of-fold (cross-validation) scores of the training split — and `choose` applies the same rule everywhere:
the best ranking key wins, a full tie goes to the candidate listed first (pipelines list the simpler one first).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from pipelines.common.errors import DataError

SELECTION_SPLITS = ("validation", "cross-validation")
Name = TypeVar("Name", bound=Hashable)


def choose(
    candidates: Iterable[Name],
    key: Callable[[Name], float | tuple[float, ...]],
    *,
    split: str,
    higher_is_better: bool,
    what: str = "model",
) -> Name:
    """The candidate whose `key` (a score, or a tuple of score then tie-breakers, read on `split`) is best.

    `split` names where the scores come from and must be one of SELECTION_SPLITS: asking to select on the
    test split is a programming error, refused. No candidate is a DataError naming `what`.
    """
    if split not in SELECTION_SPLITS:
        raise ValueError(f"a {what} is chosen on {' or '.join(SELECTION_SPLITS)}, never on {split!r}")
    ranked = list(candidates)
    if not ranked:
        raise DataError(f"no {what} to choose from on the {split} split")
    # max/min keep the first of equal keys: a full tie goes to the candidate listed first.
    return max(ranked, key=key) if higher_is_better else min(ranked, key=key)
