"""The 3-hour-ahead horizon, next to the day-ahead protocol: each 3-hour value is forecast from everything
observed up to the 3-hour value before it (issued 3 hours before its target time).

Public projects on the same brief report this horizon; the project deploys day-ahead (issued at 21h UTC on
D-1 for the 8 values of D). The same training / validation / test split serves both, and the same rules:
choices read validation, the test year is scored once.

- Baselines: `persistence_3h` (the last observed value) and `persistence_3h_diurnal` (the last observed value
  plus yesterday's change over the same 3 hours: the daily cycle without any climatology).
- Statistical models: the parameters fitted for day-ahead, run through the held-out periods by the Kalman
  filter, whose one-step-ahead predictions are exactly this horizon (no new fit).
- ML: one regressor predicting the next value from a lead-1 feature set (`LEAD1_FEATURE_SETS`).
"""

from __future__ import annotations

import pandas as pd
from statsmodels.tsa.statespace.sarimax import SARIMAXResults

from pipelines.common.errors import DataError
from pipelines.weather.data import Problem
from pipelines.weather.features import build_lead1_features
from pipelines.weather.forecasting import FORECAST_COLUMNS, STEP_HOURS, STEPS_PER_DAY, Split, errors_between
from pipelines.weather.regressors import candidates, make_regressor

HORIZON = "3h"
FREQUENCY = f"{STEP_HOURS}h"
DEFINITION = (
    "3-hour-ahead: each 3-hour value forecast from everything observed up to the previous 3-hour value "
    "(issued 3 h before its target time)"
)
DAY_AHEAD_DEFINITION = "day-ahead: issued at 21h UTC on D-1 for the 8 three-hour values of day D"


def regular(series: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """The series on a complete 3-hour index, so that a shift of one row is exactly one step."""
    return series.asfreq(FREQUENCY)


def period_times(split: Split, period: str) -> pd.DatetimeIndex:
    """Every 3-hour target time of the days of `period` (validation or test)."""
    days = split.period(period)
    return pd.DatetimeIndex(
        [day + pd.Timedelta(hours=STEP_HOURS * step) for day in days for step in range(STEPS_PER_DAY)], name="time"
    )


def long_forecasts_3h(model: str, predicted: pd.Series, observed: pd.Series, period: str) -> pd.DataFrame:
    """Predictions indexed by target time → the long table every forecast file shares (issue_time = 3 h
    before the target time, step = the target's 3-hour step of its day)."""
    if predicted.isna().any():
        missing = predicted.index[predicted.isna()]
        raise DataError(f"model {model} produced {len(missing)} missing 3-hour-ahead predictions (first {missing[0]})")
    target_time = pd.DatetimeIndex(predicted.index)
    return pd.DataFrame(
        {
            "model": model,
            "period": period,
            "issue_time": target_time - pd.Timedelta(hours=STEP_HOURS),
            "target_time": target_time,
            "step": target_time.hour // STEP_HOURS,
            "predicted": predicted.to_numpy(),
            "observed": observed.reindex(target_time).to_numpy(),
        }
    )[FORECAST_COLUMNS]


def persistence_3h(target: pd.Series, times: pd.DatetimeIndex) -> pd.Series:
    """The last observed 3-hour value."""
    return regular(target).shift(1).reindex(times)


def persistence_3h_diurnal(target: pd.Series, times: pd.DatetimeIndex) -> pd.Series:
    """The last observed value plus yesterday's change over the same 3 hours (y[t-1] + y[t-8] − y[t-9]):
    the daily cycle from the series itself, no climatology."""
    series = regular(target)
    return (series.shift(1) + series.shift(STEPS_PER_DAY) - series.shift(STEPS_PER_DAY + 1)).reindex(times)


def one_step_ahead(results: SARIMAXResults, regressors, target: pd.Series, times: pd.DatetimeIndex) -> pd.Series:
    """One-step-ahead predictions of a fitted SARIMAX over `times`, which must start right after its fit
    window: the Kalman filter runs on from the fitted state with the same parameters (`results.extend`, no
    refit), and its prediction of each step only uses the observations before it."""
    index = pd.date_range(times[0], times[-1], freq=FREQUENCY)
    expected = results.fittedvalues.index[-1] + pd.Timedelta(hours=STEP_HOURS)
    if index[0] != expected:
        raise DataError(f"3-hour-ahead predictions must start at {expected} (right after the fit), not {index[0]}")
    extended = results.extend(regular(target).reindex(index), exog=regressors(index))
    return pd.Series(extended.fittedvalues.to_numpy(), index=index).reindex(times)


def lead1_rows(problem: Problem, feature_set: str) -> tuple[pd.DataFrame, pd.Series]:
    """Lead-1 features and the value to predict, for every 3-hour step of the series."""
    series = regular(problem.series)
    return build_lead1_features(series, problem.target_name, feature_set), series[problem.target_name]


def fit_lead1(name: str, settings: dict, seed: int, features: pd.DataFrame, target: pd.Series, before: pd.Timestamp):
    """Fit a regressor on every step before `before` whose features and value are all known."""
    rows = (features.index < before) & features.notna().all(axis=1) & target.notna().to_numpy()
    if not rows.any():
        raise DataError(f"no complete 3-hour row before {before} to fit {name} on")
    model = make_regressor(name, settings, seed)
    model.fit(features[rows].to_numpy(), target[rows].to_numpy().reshape(-1, 1))
    return model


def predict_lead1(model, features: pd.DataFrame, times: pd.DatetimeIndex) -> pd.Series:
    rows = features.reindex(times)
    incomplete = rows.index[rows.isna().any(axis=1)]
    if len(incomplete):
        raise DataError(
            f"{len(incomplete)} 3-hour steps lack the history their features need (first {incomplete[0]}); "
            "the series has a gap before it"
        )
    return pd.Series(model.predict(rows.to_numpy()).ravel(), index=times)


def tune_lead1(
    problem: Problem, regressor: str, feature_set: str, base: dict, grid: dict | None, seed: int
) -> tuple[dict, dict[str, pd.Series], list[dict]]:
    """Every candidate fitted on the training steps and scored on validation; the lowest validation RMSE is
    refitted on every step before the test year. Returns the settings, the validation and test predictions,
    and every candidate's validation RMSE."""
    features, target = lead1_rows(problem, feature_set)
    split = problem.split
    validation, test = period_times(split, "validation"), period_times(split, "test")
    tried, best = [], None
    for settings in candidates(base, grid):
        model = fit_lead1(regressor, settings, seed, features, target, split.validation_start)
        predicted = predict_lead1(model, features, validation)
        rmse = errors_between(predicted, target.reindex(validation), decimals=None)["rmse"]
        tried.append({"settings": settings, "validation_rmse": round(rmse, 4)})
        if best is None or rmse < best[0]:
            best = (rmse, settings, predicted)
    _, settings, predicted = best
    model = fit_lead1(regressor, settings, seed, features, target, split.test_start)
    return settings, {"validation": predicted, "test": predict_lead1(model, features, test)}, tried
