"""ARIMA, SARIMA and SARIMAX on the 3-hour series, tuned on the training period only.

The daily cycle is the seasonal part (m = 8 steps); the yearly cycle (2,920 steps, far
too long for a seasonal ARIMA) enters as Fourier terms of the day of year, which are
known in advance and therefore deployable. Test days are forecast by extending the
fitted state with each observed day (`results.extend`), not by refitting 365 times.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pmdarima
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.statespace.sarimax import SARIMAX, SARIMAXResults

from pipelines.common.progress import progress
from pipelines.weather.forecasting import STEP_HOURS, STEPS_PER_DAY, errors_between

DAILY_PERIOD = STEPS_PER_DAY


def fourier_terms(index: pd.DatetimeIndex, pairs: int) -> pd.DataFrame:
    """sin/cos of the yearly cycle at each timestamp (pairs = number of harmonics)."""
    phase = 2 * np.pi * ((index.dayofyear - 1) + index.hour / 24) / 365.25
    columns = {}
    for k in range(1, pairs + 1):
        columns[f"year_sin{k}"] = np.sin(k * phase)
        columns[f"year_cos{k}"] = np.cos(k * phase)
    return pd.DataFrame(columns, index=index)


def daily_fourier_terms(index: pd.DatetimeIndex, pairs: int) -> pd.DataFrame:
    """sin/cos of the daily cycle: a non-seasonal ARIMA forecasting 8 steps ahead otherwise loses the
    daily cycle after a few steps and reverts to the daily mean (worse than climatology where days and
    nights differ a lot, as in a desert)."""
    phase = 2 * np.pi * index.hour / 24
    columns = {}
    for k in range(1, pairs + 1):
        columns[f"day_sin{k}"] = np.sin(k * phase)
        columns[f"day_cos{k}"] = np.cos(k * phase)
    return pd.DataFrame(columns, index=index)


def lagged_exogenous(frame: pd.DataFrame, steps: int = STEPS_PER_DAY) -> pd.DataFrame:
    """Exogenous values from the same step one day earlier: known at the end of D-1, so deployable."""
    shifted = frame.shift(steps)
    shifted.columns = [f"{name}_lag24h" for name in frame.columns]
    return shifted


EXOG_MODES = ("lag24h", "observed")


def regressor_builder(
    series: pd.DataFrame,
    fourier_pairs: int,
    exog_names: list[str] = (),
    exog_mode: str | None = None,
    daily_pairs: int = 0,
) -> Callable[[pd.DatetimeIndex], pd.DataFrame]:
    """A function giving a model's regressors at any timestamps: yearly (and optionally daily) Fourier terms,
    plus exogenous variables either lagged by a day (deployable) or observed (upper bound)."""
    if exog_names and exog_mode not in EXOG_MODES:
        raise ValueError(f"exog_mode must be one of {EXOG_MODES}, got {exog_mode!r}")
    exog = series[list(exog_names)]
    if exog_mode == "lag24h":
        exog = lagged_exogenous(exog)

    def regressors(index: pd.DatetimeIndex) -> pd.DataFrame:
        parts = [fourier_terms(index, fourier_pairs), daily_fourier_terms(index, daily_pairs), exog.reindex(index)]
        return pd.concat(parts, axis=1)

    return regressors


@dataclass
class StatSpec:
    """A model: its (seasonal) order and how to build its regressors for any timestamps."""

    name: str
    order: tuple[int, int, int]
    seasonal_order: tuple[int, int, int, int]
    regressors: Callable[[pd.DatetimeIndex], pd.DataFrame]
    deployable: bool
    selection: dict


def fit(spec: StatSpec, endog: pd.Series) -> SARIMAXResults:
    with warnings.catch_warnings():
        # Short fits often stop a little before full convergence; AIC ranking stays meaningful.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        model = SARIMAX(
            endog, exog=spec.regressors(endog.index), order=spec.order, seasonal_order=spec.seasonal_order, trend="c"
        )
        return model.fit(disp=False, maxiter=200)


def select_arima_order(endog: pd.Series, regressors: pd.DataFrame, max_p: int, max_q: int) -> tuple[dict, tuple]:
    """Non-seasonal order by pmdarima's stepwise search (AIC), d from a KPSS test."""
    model = pmdarima.auto_arima(
        endog.to_numpy(),
        X=regressors.to_numpy(),
        seasonal=False,
        start_p=min(2, max_p),
        start_q=min(2, max_q),
        max_p=max_p,
        max_q=max_q,
        information_criterion="aic",
        stepwise=True,
        suppress_warnings=True,
        error_action="ignore",
    )
    selection = {
        "method": "pmdarima.auto_arima (stepwise, AIC)",
        "aic": round(float(model.aic()), 1),
    }
    return selection, tuple(int(v) for v in model.order)


def select_sarima_order(
    endog: pd.Series, regressors: Callable[[pd.DatetimeIndex], pd.DataFrame], grid: list[list[int]], name: str
) -> StatSpec:
    """Differencing orders from pmdarima's unit-root tests, then (p, q, P, Q) by AIC over `grid`."""
    d = int(pmdarima.arima.ndiffs(endog.to_numpy(), test="kpss", max_d=1))
    seasonal_d = int(pmdarima.arima.nsdiffs(endog.to_numpy(), m=DAILY_PERIOD, test="ocsb", max_D=1))
    candidates = {}
    for p, q, big_p, big_q in grid:
        spec = StatSpec(name, (p, d, q), (big_p, seasonal_d, big_q, DAILY_PERIOD), regressors, True, {})
        candidates[(spec.order, spec.seasonal_order)] = fit(spec, endog).aic
    (order, seasonal_order), aic = min(candidates.items(), key=lambda item: item[1])
    selection = {
        "method": "grid over (p,q,P,Q) by AIC; d by KPSS, D by OCSB (pmdarima)",
        "aic": round(float(aic), 1),
        "candidates": {f"{o}x{so}": round(float(a), 1) for (o, so), a in candidates.items()},
    }
    return StatSpec(name, order, seasonal_order, regressors, True, selection)


def rolling_day_ahead_forecasts(
    results: SARIMAXResults, spec: StatSpec, series: pd.Series, days: pd.DatetimeIndex
) -> pd.DataFrame:
    """For each day D: forecast its 8 steps from the state at the end of D-1, then absorb D's observations."""
    rows = []
    for day in progress(days, f"{spec.name} day-ahead"):
        index = pd.date_range(day, periods=STEPS_PER_DAY, freq=f"{STEP_HOURS}h")
        regressors = spec.regressors(index)
        rows.append(results.forecast(STEPS_PER_DAY, exog=regressors).to_numpy())
        results = results.extend(series.reindex(index), exog=regressors)
    return pd.DataFrame(np.vstack(rows), index=days)


def validation_check(predicted: pd.DataFrame, observed: pd.DataFrame, baselines: dict[str, pd.DataFrame]) -> dict:
    """Validation RMSE of a statistical model next to the naive baselines', and which of them it fails to beat.

    A model that does not beat every naive baseline on validation is reported as such and never deployed.
    """

    def rmse(frame: pd.DataFrame) -> float:
        return errors_between(frame.to_numpy(), observed.reindex(frame.index).to_numpy())["rmse"]

    scores = {name: rmse(frame) for name, frame in baselines.items()}
    own = rmse(predicted)
    return {
        "validation_rmse": own,
        "baselines_rmse": scores,
        "not_better_than": [n for n, s in scores.items() if own >= s],
    }
