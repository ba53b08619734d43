"""Training variants run with several seeds: their seeds, their spread, and when two of them differ.

A comparison of training variants (optimizers, dropout rates, backbones, LSTM shapes) states its noise:
each variant runs with `n` seeds, tables show mean ± standard deviation, and a written conclusion ranks
two variants only when the gap between their means exceeds their combined spread.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipelines.common.errors import ParamError


def seed_list(seed: int, n: int, name: str = "seeds") -> list[int]:
    """`n` consecutive seeds starting at `seed` (the first one is the run whose model is kept)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ParamError(name, f"must be an integer ≥ 1, got {n!r}")
    return [seed + i for i in range(n)]


def spread(values: Sequence[float], digits: int = 4) -> dict[str, float | int]:
    """{"mean", "std" (sample standard deviation, 0 for one value), "seeds" (how many values)}."""
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        raise ValueError("spread of no values")
    std = float(array.std(ddof=1)) if array.size > 1 else 0.0
    return {"mean": round(float(array.mean()), digits), "std": round(std, digits), "seeds": int(array.size)}


def distinguishable(mean_a: float, std_a: float, mean_b: float, std_b: float) -> bool:
    """True when the gap between two means exceeds the sum of their standard deviations."""
    return abs(mean_a - mean_b) > std_a + std_b


def mean_std(mean: float, std: float, seeds: int, percent: bool = True) -> str:
    """'61.5 % ± 2.1 (3 seeds)' or, for one run, '61.5 % (1 run)'."""
    scale, unit = (100, " %") if percent else (1, "")
    if seeds < 2:
        return f"{mean * scale:.1f}{unit} (1 run)"
    return f"{mean * scale:.1f}{unit} ± {std * scale:.1f} ({seeds} seeds)"


def compare(name_a: str, a: dict, name_b: str, b: dict, metric: str = "accuracy") -> str:
    """One sentence comparing two variants' `metric` ({"mean", "std", "seeds"} each), ranked only when the
    gap exceeds the spread."""
    first, second = (name_a, a), (name_b, b)
    if b["mean"] > a["mean"]:
        first, second = second, first
    (top, high), (low, other) = first, second
    gap = high["mean"] - other["mean"]
    text = (
        f"{top} ({mean_std(high['mean'], high['std'], high['seeds'])}) against {low} "
        f"({mean_std(other['mean'], other['std'], other['seeds'])}): "
    )
    if distinguishable(high["mean"], high["std"], other["mean"], other["std"]):
        return text + f"{top} is ahead by {gap * 100:.1f} points, more than the spread of the seeds."
    return (
        text + f"the gap of {gap * 100:.1f} points is within the spread of the seeds: the two are indistinguishable "
        f"on this {metric}."
    )


def ranking(entries: dict[str, dict]) -> str:
    """Several variants ({name: {"mean", "std", "seeds"}}): their order where it is beyond the noise.

    Returns e.g. 'adam 70.0 % ± 1.0 (3 seeds), rmsprop …; adam is ahead of sgd beyond the spread; the others
    are indistinguishable from each other'."""
    ordered = sorted(entries.items(), key=lambda item: -item[1]["mean"])
    listed = ", ".join(f"{name} {mean_std(e['mean'], e['std'], e['seeds'])}" for name, e in ordered)
    separated = [
        (a, b)
        for i, (a, ea) in enumerate(ordered)
        for b, eb in ordered[i + 1 :]
        if distinguishable(ea["mean"], ea["std"], eb["mean"], eb["std"])
    ]
    if not separated:
        return f"{listed}: every gap is within the spread of the seeds, so these variants are indistinguishable here."
    pairs = "; ".join(f"{a} ahead of {b}" for a, b in separated)
    return (
        f"{listed}. Beyond the spread of the seeds: {pairs}; every other pair is within the spread (indistinguishable)."
    )
