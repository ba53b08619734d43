"""Day-level features for the ML regressors: everything known at the end of day D-1.

A feature set is a list of blocks; each block only looks at days before D, except
`exog_observed`, which reads the exogenous variables of day D itself — they are not known
at D-1, so models using it are an upper bound, never deployable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.common.errors import DataError, ParamError
from pipelines.weather.forecasting import STEPS_PER_DAY

FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "lags": ("calendar", "lags"),
    "lags_rolling": ("calendar", "lags", "rolling"),
    "lags_rolling_exog": ("calendar", "lags", "rolling", "exog_lagged"),
    "lags_rolling_exog_observed": ("calendar", "lags", "rolling", "exog_lagged", "exog_observed"),
    # The issue-16 reference: 1, 2 and 7 days' 8 temperatures, the previous day's 8 values of each
    # exogenous variable, day of year as sin/cos. Fitted with fixed settings as a named baseline.
    "reference": ("calendar", "lags", "exog_steps"),
    # Everything above plus tendencies (24 h changes: fronts), diurnal range and wind as a vector.
    "full": ("calendar", "lags", "rolling", "exog_steps", "exog_lagged", "tendencies"),
    # `full` on the temperature anomaly (the seasonal cycle of each step removed, CLIMATOLOGY_BLOCK), plus the
    # previous day's anomalies times the day of year (how yesterday carries over depends on the season). The
    # regressor predicts the anomaly of day D and adds the climatology back (regressors.AnomalyTarget).
    "anomaly": (
        "climatology",
        "calendar",
        "lags",
        "rolling",
        "exog_steps",
        "exog_lagged",
        "tendencies",
        "season_lags",
    ),
}
CLIMATOLOGY_BLOCK = "climatology"
# Yearly harmonics of each step's climatology: the mean, then sin/cos of k × the day of year for k = 1..3.
CLIMATOLOGY_HARMONICS = 3
# Sets named after their exogenous block make no sense without one; `reference` and `full` degrade to
# their temperature blocks on a temperature-only city (the reference of issue 16 does the same).
NEEDS_EXOGENOUS = {"lags_rolling_exog", "lags_rolling_exog_observed"}


def is_deployable(feature_set: str) -> bool:
    return "exog_observed" not in FEATURE_SETS[feature_set]


def uses_climatology(feature_set: str) -> bool:
    """Sets whose regressor predicts the anomaly: their first STEPS_PER_DAY columns are day D's climatology."""
    return CLIMATOLOGY_BLOCK in FEATURE_SETS[feature_set]


def _yearly_design(index: pd.DatetimeIndex, harmonics: int) -> np.ndarray:
    angle = 2 * np.pi * (index.dayofyear.to_numpy() - 1) / 365.25
    waves = [wave(k * angle) for k in range(1, harmonics + 1) for wave in (np.sin, np.cos)]
    return np.column_stack([np.ones(len(index)), *waves])


def seasonal_climatology(
    target: pd.DataFrame, until: pd.Timestamp, harmonics: int = CLIMATOLOGY_HARMONICS
) -> pd.DataFrame:
    """Each step's seasonal cycle (least squares on yearly harmonics) fitted on the days before `until` only,
    evaluated on every day of `target`'s range."""
    index = target.asfreq("D").index
    fitted = target[target.index < until].dropna()
    if len(fitted) < 2 * harmonics + 1:
        raise DataError(
            f"{len(fitted)} complete days before {until.date()}: too few to fit a {harmonics}-harmonic climatology"
        )
    coefficients, *_ = np.linalg.lstsq(_yearly_design(fitted.index, harmonics), fitted.to_numpy(), rcond=None)
    return pd.DataFrame(_yearly_design(index, harmonics) @ coefficients, index=index, columns=target.columns)


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


def _exog_steps(exog: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = {}
    for name, matrix in exog.items():
        yesterday = _shift_days(matrix, 1)
        for step in range(STEPS_PER_DAY):
            parts[f"{name}_d1_s{step}"] = yesterday[step]
    return pd.DataFrame(parts)


def _tendencies(target: pd.DataFrame, exog: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """24 h changes at the last observed step (a front shows in pressure and humidity first), the change of
    the daily mean and of the diurnal range, and the wind as east/north components (a direction in degrees
    is not a quantity a regressor can average)."""
    last = STEPS_PER_DAY - 1
    d1, d2 = _shift_days(target, 1), _shift_days(target, 2)
    parts = {
        "y_change_24h": d1[last] - d2[last],
        "y_mean_change_24h": d1.mean(axis=1) - d2.mean(axis=1),
        "range_change_24h": (d1.max(axis=1) - d1.min(axis=1)) - (d2.max(axis=1) - d2.min(axis=1)),
    }
    for name, matrix in exog.items():
        y1, y2 = _shift_days(matrix, 1), _shift_days(matrix, 2)
        parts[f"{name}_change_24h"] = y1[last] - y2[last]
    speed = next((exog[n] for n in ("wind_speed_10m", "wind_speed_100m") if n in exog), None)
    direction = next((exog[n] for n in ("wind_direction_10m", "wind_direction_100m") if n in exog), None)
    if speed is not None and direction is not None:
        radians = np.deg2rad(_shift_days(direction, 1))
        speed = _shift_days(speed, 1)
        east, north = -speed * np.sin(radians), -speed * np.cos(radians)  # the direction the wind comes from
        parts["wind_east_d1_mean"], parts["wind_north_d1_mean"] = east.mean(axis=1), north.mean(axis=1)
        parts["wind_east_d1_last"], parts["wind_north_d1_last"] = east[last], north[last]
    return pd.DataFrame(parts)


def _season_lags(target: pd.DataFrame, calendar: pd.DataFrame) -> pd.DataFrame:
    """The previous day's eight values times sin/cos of the day of year."""
    yesterday = _shift_days(target, 1).reindex(calendar.index)
    parts = {
        f"y_d1_s{step}_x_{name}": yesterday[step] * calendar[name] for step in range(STEPS_PER_DAY) for name in calendar
    }
    return pd.DataFrame(parts, index=calendar.index)


def _climatology(climatology: pd.DataFrame) -> pd.DataFrame:
    return climatology.set_axis([f"clim_s{step}" for step in range(STEPS_PER_DAY)], axis=1)


def _exog_observed(exog: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = {}
    for name, matrix in exog.items():
        full = matrix.asfreq("D")
        for step in range(STEPS_PER_DAY):
            parts[f"{name}_d0_s{step}"] = full[step]
    return pd.DataFrame(parts)


def build_features(
    target: pd.DataFrame,
    exog: dict[str, pd.DataFrame],
    feature_set: str,
    climatology_until: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Features for every day of `target`'s range (rows with incomplete history hold NaN).

    A set with the climatology block needs `climatology_until` (the days its climatology is fitted on end
    before it: the start of the validation period, so neither period is read), and its other blocks read the
    anomaly (target minus climatology).
    """
    if feature_set not in FEATURE_SETS:
        raise ParamError(
            "weather.ml.feature_sets", f"unknown feature set {feature_set!r}; known: {', '.join(FEATURE_SETS)}"
        )
    blocks = FEATURE_SETS[feature_set]
    if feature_set in NEEDS_EXOGENOUS and not exog:
        raise ParamError("weather.ml.feature_sets", f"{feature_set} needs exogenous variables and the data has none")
    index = target.asfreq("D").index
    climatology = None
    if CLIMATOLOGY_BLOCK in blocks:
        if climatology_until is None:
            raise ValueError(f"feature set {feature_set!r} needs climatology_until")
        climatology = seasonal_climatology(target, climatology_until)
        target = target - climatology.reindex(target.index)
    builders = {
        "climatology": lambda: _climatology(climatology),
        "calendar": lambda: _calendar(index),
        "season_lags": lambda: _season_lags(target, _calendar(index)),
        "lags": lambda: _lags(target),
        "rolling": lambda: _rolling(target),
        "exog_lagged": lambda: _exog_lagged(exog),
        "exog_steps": lambda: _exog_steps(exog),
        "tendencies": lambda: _tendencies(target, exog),
        "exog_observed": lambda: _exog_observed(exog),
    }
    return pd.concat([builders[block]().reindex(index) for block in blocks], axis=1)


# --- 3-hour-ahead features: one row per 3-hour step t, from observations up to t-1 only -------------------
# The target of row t is the value at t; every block reads the series shifted by at least one step (the
# calendar of t is known in advance). `tests/weather/test_forecasting.py` shifts the values from t on and
# checks that row t does not move, for every set below.
LEAD1_FEATURE_SETS: dict[str, tuple[str, ...]] = {
    # The reference recipe at this horizon: the last 24 h of 3-hour temperatures, the same step 2 and 7 days
    # before, the last observed value of each exogenous variable, day of year and time of day.
    "lead1_reference": ("step_calendar", "step_lags", "exog_last"),
    # Plus 3 h and 24 h tendencies of the temperature and of each exogenous variable, and the wind as a vector.
    "lead1": ("step_calendar", "step_lags", "exog_last", "step_tendencies"),
}
STEP_LAGS = (*range(1, STEPS_PER_DAY + 1), 2 * STEPS_PER_DAY, 7 * STEPS_PER_DAY)


def _step_calendar(index: pd.DatetimeIndex) -> pd.DataFrame:
    year = 2 * np.pi * (index.dayofyear.to_numpy() - 1) / 365.25
    day = 2 * np.pi * index.hour.to_numpy() / 24
    return pd.DataFrame(
        {"doy_sin": np.sin(year), "doy_cos": np.cos(year), "hour_sin": np.sin(day), "hour_cos": np.cos(day)},
        index=index,
    )


def _step_lags(target: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({f"y_lag{lag}": target.shift(lag) for lag in STEP_LAGS})


def _exog_last(exog: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({f"{name}_lag1": exog[name].shift(1) for name in exog.columns}, index=exog.index)


def _step_tendencies(target: pd.Series, exog: pd.DataFrame) -> pd.DataFrame:
    last = target.shift(1)
    parts = {
        "y_change_3h": last - target.shift(2),
        "y_change_24h": last - target.shift(STEPS_PER_DAY + 1),
        "y_mean_24h": last.rolling(STEPS_PER_DAY).mean(),
    }
    for name in exog.columns:
        previous = exog[name].shift(1)
        parts[f"{name}_change_3h"] = previous - exog[name].shift(2)
        parts[f"{name}_change_24h"] = previous - exog[name].shift(STEPS_PER_DAY + 1)
    speed = next((n for n in ("wind_speed_10m", "wind_speed_100m") if n in exog), None)
    direction = next((n for n in ("wind_direction_10m", "wind_direction_100m") if n in exog), None)
    if speed and direction:
        radians = np.deg2rad(exog[direction].shift(1))
        parts["wind_east_lag1"] = -exog[speed].shift(1) * np.sin(radians)
        parts["wind_north_lag1"] = -exog[speed].shift(1) * np.cos(radians)
    return pd.DataFrame(parts, index=target.index)


def build_lead1_features(series: pd.DataFrame, target_name: str, feature_set: str) -> pd.DataFrame:
    """Features of every 3-hour step of `series` (regular 3-hour index; rows with incomplete history hold NaN)
    for forecasting the value at that step from the observations before it."""
    if feature_set not in LEAD1_FEATURE_SETS:
        raise ParamError(
            "weather.horizon.feature_set",
            f"unknown 3-hour-ahead feature set {feature_set!r}; known: {', '.join(LEAD1_FEATURE_SETS)}",
        )
    if target_name not in series.columns:
        raise ParamError("weather.download.target", f"{target_name!r} is not a column of the series")
    series = series.asfreq(f"{24 // STEPS_PER_DAY}h")
    target, exog = series[target_name], series.drop(columns=target_name)
    builders = {
        "step_calendar": lambda: _step_calendar(series.index),
        "step_lags": lambda: _step_lags(target),
        "exog_last": lambda: _exog_last(exog),
        "step_tendencies": lambda: _step_tendencies(target, exog),
    }
    return pd.concat([builders[block]() for block in LEAD1_FEATURE_SETS[feature_set]], axis=1)
