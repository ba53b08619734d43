"""The day-ahead protocol every weather model is evaluated with.

At the end of day D-1 (after its 21h step) a model predicts the 8 three-hour steps of
day D using only what was known then. A series of 3-hour steps is viewed as a day ×
step matrix so that "what was known at D-1" is simply "rows before D".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, root_mean_squared_error

from pipelines.common.errors import DataError

STEP_HOURS = 3
STEPS_PER_DAY = 24 // STEP_HOURS
FORECAST_COLUMNS = ["model", "period", "issue_time", "target_time", "step", "predicted", "observed"]
PERIODS = ("validation", "test")


def day_matrix(series: pd.Series) -> pd.DataFrame:
    """Reshape a 3-hour series into one row per whole day (index: date) × 8 step columns (0..7).

    Days with a missing step are dropped, so every row is a complete day.
    """
    frame = pd.DataFrame({"value": series.to_numpy()}, index=series.index)
    frame["day"] = frame.index.normalize()
    frame["step"] = frame.index.hour // STEP_HOURS
    matrix = frame.pivot_table(index="day", columns="step", values="value", aggfunc="mean")
    matrix = matrix.reindex(columns=range(STEPS_PER_DAY)).dropna()
    matrix.index.name = "day"
    matrix.columns.name = "step"
    return matrix


@dataclass(frozen=True)
class Split:
    """Training days, then the validation days (model choice and tuning), then the test days (report only).

    Every model forecasts the validation period fitted on the training days only, and the test period
    refitted (or extended) on everything before it. Nothing chosen anywhere reads a test observation.
    """

    train_days: pd.DatetimeIndex
    validation_days: pd.DatetimeIndex
    test_days: pd.DatetimeIndex

    @property
    def validation_start(self) -> pd.Timestamp:
        return self.validation_days[0]

    @property
    def test_start(self) -> pd.Timestamp:
        return self.test_days[0]

    def period(self, name: str) -> pd.DatetimeIndex:
        return {"validation": self.validation_days, "test": self.test_days}[name]

    def known_before(self, name: str) -> pd.DatetimeIndex:
        """The days a model may learn from when it forecasts period `name`."""
        days = self.train_days.append(self.validation_days)
        return days[days < self.period(name)[0]]


def split_days(days: pd.DatetimeIndex, test_days: int, validation_days: int, min_train_days: int = 60) -> Split:
    if test_days < 1:
        raise DataError(f"weather.evaluation.test_days must be >= 1, got {test_days}")
    if validation_days < 1:
        raise DataError(f"weather.evaluation.validation_days must be >= 1, got {validation_days}")
    if len(days) < test_days + validation_days + min_train_days:
        raise DataError(
            f"{len(days)} whole days of data: not enough for {test_days} test days, {validation_days} validation "
            f"days and at least {min_train_days} training days (lower weather.evaluation.test_days / "
            "validation_days or widen the period)"
        )
    held_out = test_days + validation_days
    return Split(train_days=days[:-held_out], validation_days=days[-held_out:-test_days], test_days=days[-test_days:])


def long_forecasts(model: str, predicted: pd.DataFrame, observed: pd.DataFrame, period: str) -> pd.DataFrame:
    """Day × step predictions of one period (validation or test) → the long table all forecast files share."""
    predicted = predicted.reindex(columns=range(STEPS_PER_DAY))
    stacked = predicted.stack(future_stack=True).rename("predicted").reset_index()
    stacked.columns = ["day", "step", "predicted"]
    stacked["observed"] = observed.reindex(predicted.index).stack(future_stack=True).to_numpy()
    stacked["target_time"] = stacked["day"] + pd.to_timedelta(stacked["step"] * STEP_HOURS, unit="h")
    stacked["issue_time"] = stacked["day"] - pd.Timedelta(hours=STEP_HOURS)
    stacked["model"] = model
    stacked["period"] = period
    if stacked["predicted"].isna().any():
        raise DataError(f"model {model} produced missing predictions")
    return stacked[FORECAST_COLUMNS]


def persistence_24h(matrix: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """Same step yesterday."""
    yesterday = matrix.reindex(days - pd.Timedelta(days=1))
    yesterday.index = days
    return yesterday


def climatology(
    matrix: pd.DataFrame, train_days: pd.DatetimeIndex, days: pd.DatetimeIndex, window_days: int
) -> pd.DataFrame:
    """Mean of each step over the training years, within ± `window_days` of the day of year."""
    train = matrix.reindex(train_days).dropna()
    train_doy = train.index.dayofyear.to_numpy()
    rows = []
    for day in days:
        distance = np.abs(train_doy - day.dayofyear)
        distance = np.minimum(distance, 365 - distance)  # the window wraps around New Year
        rows.append(train[distance <= window_days].mean().to_numpy())
    return pd.DataFrame(rows, index=days, columns=matrix.columns)


def errors_between(predicted, observed, decimals: int | None = 4) -> dict[str, float | None]:
    """MAE, RMSE (scikit-learn's) and bias (mean of predicted − observed) over the pairs where both are
    known, rounded to `decimals` (None: not rounded); every value None when no pair is known. The one
    definition every weather stage uses (the API computes the same on plain lists, without numpy)."""
    predicted = np.asarray(predicted, dtype=float).ravel()
    observed = np.asarray(observed, dtype=float).ravel()
    known = ~(np.isnan(predicted) | np.isnan(observed))
    if not known.any():
        return {"mae": None, "rmse": None, "bias": None}
    predicted, observed = predicted[known], observed[known]
    values = {
        "mae": mean_absolute_error(observed, predicted),
        "rmse": root_mean_squared_error(observed, predicted),
        "bias": np.mean(predicted - observed),
    }
    return {name: float(value) if decimals is None else round(float(value), decimals) for name, value in values.items()}


def error_metrics(forecasts: pd.DataFrame) -> dict[str, float | None]:
    return errors_between(forecasts["predicted"], forecasts["observed"])
