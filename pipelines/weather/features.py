"""Day-level features for the ML regressors: everything known at the end of day D-1.

A feature set is a list of blocks; each block only looks at days before D, except
`exog_observed`, which reads the exogenous variables of day D itself — they are not known
at D-1, so models using it are an upper bound, never deployable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.common.errors import ParamError
from pipelines.weather.forecasting import STEPS_PER_DAY

FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "lags": ("calendar", "lags"),
    "lags_rolling": ("calendar", "lags", "rolling"),
    "lags_rolling_exog": ("calendar", "lags", "rolling", "exog_lagged"),
    "lags_rolling_exog_observed": ("calendar", "lags", "rolling", "exog_lagged", "exog_observed"),
}
NEEDS_EXOGENOUS = {name for name, blocks in FEATURE_SETS.items() if any(b.startswith("exog") for b in blocks)}


def is_deployable(feature_set: str) -> bool:
    return "exog_observed" not in FEATURE_SETS[feature_set]


def _shift_days(matrix: pd.DataFrame, days: int) -> pd.DataFrame:
    """Values `days` days earlier on a complete daily index (so a shift of 1 is exactly D-1)."""
    full = matrix.asfreq("D")
    return full.shift(days)


def _calendar(index: pd.DatetimeIndex) -> pd.DataFrame:
    angle = 2 * np.pi * (index.dayofyear.to_numpy() - 1) / 365.25
    return pd.DataFrame({"doy_sin": np.sin(angle), "doy_cos": np.cos(angle)}, index=index)


def _lags(target: pd.DataFrame) -> pd.DataFrame:
    parts = {}
    for lag in (1, 2, 7):
        shifted = _shift_days(target, lag)
        for step in range(STEPS_PER_DAY):
            parts[f"y_d{lag}_s{step}"] = shifted[step]
    return pd.DataFrame(parts)


def _rolling(target: pd.DataFrame) -> pd.DataFrame:
    yesterday = _shift_days(target, 1)
    daily_mean = yesterday.mean(axis=1)
    parts = {f"mean_{window}d": daily_mean.rolling(window).mean() for window in (3, 7, 30)}
    parts["std_7d"] = daily_mean.rolling(7).std()
    parts["min_d1"] = yesterday.min(axis=1)
    parts["max_d1"] = yesterday.max(axis=1)
    parts["range_d1"] = parts["max_d1"] - parts["min_d1"]
    parts["last_change"] = yesterday[STEPS_PER_DAY - 1] - yesterday[STEPS_PER_DAY - 2]
    parts["anomaly_d1"] = daily_mean - parts["mean_30d"]
    return pd.DataFrame(parts)


def _exog_lagged(exog: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = {}
    last = STEPS_PER_DAY - 1
    for name, matrix in exog.items():
        yesterday = _shift_days(matrix, 1)
        parts[f"{name}_d1_mean"] = yesterday.mean(axis=1)
        parts[f"{name}_d1_last"] = yesterday[last]
        parts[f"{name}_d1_change"] = yesterday[last] - yesterday[last - 4]  # tendency over the last 12 h
    return pd.DataFrame(parts)


def _exog_observed(exog: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = {}
    for name, matrix in exog.items():
        full = matrix.asfreq("D")
        for step in range(STEPS_PER_DAY):
            parts[f"{name}_d0_s{step}"] = full[step]
    return pd.DataFrame(parts)


def build_features(target: pd.DataFrame, exog: dict[str, pd.DataFrame], feature_set: str) -> pd.DataFrame:
    """Features for every day of `target`'s range (rows with incomplete history hold NaN)."""
    if feature_set not in FEATURE_SETS:
        raise ParamError(
            "weather.ml.feature_sets", f"unknown feature set {feature_set!r}; known: {', '.join(FEATURE_SETS)}"
        )
    blocks = FEATURE_SETS[feature_set]
    if feature_set in NEEDS_EXOGENOUS and not exog:
        raise ParamError("weather.ml.feature_sets", f"{feature_set} needs exogenous variables and the data has none")
    index = target.asfreq("D").index
    builders = {
        "calendar": lambda: _calendar(index),
        "lags": lambda: _lags(target),
        "rolling": lambda: _rolling(target),
        "exog_lagged": lambda: _exog_lagged(exog),
        "exog_observed": lambda: _exog_observed(exog),
    }
    return pd.concat([builders[block]().reindex(index) for block in blocks], axis=1)
