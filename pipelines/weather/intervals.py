"""Prediction intervals by split conformal prediction: per step, the quantile of the absolute validation
residuals of the chosen model gives the half-width of its 80 % and 95 % intervals.

The validation residuals come from the model fitted before the validation period; the intervals are then
applied to forecasts of later days (the test year, the batch), whose errors they never saw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.common.errors import DataError

LEVELS = (0.80, 0.95)


def level_name(level: float) -> str:
    return f"{round(100 * level)}"


def conformal_half_widths(forecasts: pd.DataFrame, levels: tuple[float, ...] = LEVELS) -> dict[str, list[float]]:
    """Half-widths per step (0..7) from one model's forecasts: {"80": [8 values], "95": [...]}.

    Uses the finite-sample conformal quantile ceil((n + 1) · level) / n of |predicted − observed|.
    """
    errors = (forecasts["predicted"] - forecasts["observed"]).abs()
    widths: dict[str, list[float]] = {}
    for level in levels:
        per_step = []
        for step, group in errors.groupby(forecasts["step"]):
            values = group.dropna().to_numpy()
            if len(values) < 10:
                raise DataError(f"step {step}: {len(values)} validation residuals, too few for a {level:.0%} interval")
            rank = min(1.0, np.ceil((len(values) + 1) * level) / len(values))
            per_step.append(round(float(np.quantile(values, rank, method="higher")), 4))
        widths[level_name(level)] = per_step
    return widths


def add_intervals(forecasts: pd.DataFrame, half_widths: dict[str, list[float]]) -> pd.DataFrame:
    """Columns lower_80, upper_80, lower_95, upper_95 around `predicted`."""
    out = forecasts.copy()
    for name, widths in half_widths.items():
        width = out["step"].map(dict(enumerate(widths)))
        out[f"lower_{name}"] = out["predicted"] - width
        out[f"upper_{name}"] = out["predicted"] + width
    return out


def coverage_by_step(forecasts: pd.DataFrame, half_widths: dict[str, list[float]]) -> dict[str, dict]:
    """Share of observations inside each interval, per step and overall."""
    with_bounds = add_intervals(forecasts, half_widths).dropna(subset=["observed"])
    result = {}
    for name in half_widths:
        inside = (with_bounds["observed"] >= with_bounds[f"lower_{name}"]) & (
            with_bounds["observed"] <= with_bounds[f"upper_{name}"]
        )
        result[name] = {
            "overall": round(float(inside.mean()), 4),
            "by_step": [round(float(v), 4) for v in inside.groupby(with_bounds["step"]).mean()],
        }
    return result
