"""Stage: tune ARIMA, SARIMA and SARIMAX on the training period, forecast the test year day-ahead."""

from __future__ import annotations

import time

import pandas as pd

from pipelines.common.errors import ParamError
from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.stage import run_stage
from pipelines.weather.data import load_problem, write_forecasts
from pipelines.weather.forecasting import STEP_HOURS, STEPS_PER_DAY, long_forecasts
from pipelines.weather.paths import STATS_FORECASTS, STATS_SUMMARY
from pipelines.weather.statistical import (
    StatSpec,
    fit,
    regressor_builder,
    rolling_day_ahead_forecasts,
    select_arima_order,
    select_sarima_order,
)

log = get_logger("weather.train_stats")


def main() -> None:
    weather = load_params("weather")
    params = weather.section("stats")
    problem = load_problem(weather)
    series = problem.series.asfreq(f"{STEP_HOURS}h")
    target = series[problem.target_name]
    window = params.integer("fit_window_days", minimum=30) * STEPS_PER_DAY
    endog = target[target.index < problem.split.test_start].iloc[-window:]
    pairs = params.integer("yearly_fourier_terms", minimum=0, maximum=6)

    calendar = regressor_builder(series, pairs)
    specs: list[StatSpec] = []
    selection, order = select_arima_order(
        endog, calendar(endog.index), params.integer("arima_max_p", minimum=0), params.integer("arima_max_q", minimum=0)
    )
    specs.append(StatSpec("arima", order, (0, 0, 0, 0), calendar, True, selection))
    sarima = select_sarima_order(endog, calendar, params.get("sarima_grid", type_=list), "sarima")
    specs.append(sarima)

    skipped = {}
    exog_names = params.string_list("sarimax_exogenous")
    missing = [name for name in exog_names if name not in series.columns]
    if not exog_names or len(missing) == len(exog_names):
        skipped["sarimax"] = "the data has no exogenous variables" if not problem.exog else "none requested"
    elif missing:
        raise ParamError(
            "weather.stats.sarimax_exogenous",
            f"not in the data: {', '.join(missing)}; available: {', '.join(problem.exog)}",
        )
    else:
        specs.append(
            StatSpec(
                "sarimax_exog_lag24h",
                sarima.order,
                sarima.seasonal_order,
                regressor_builder(series, pairs, exog_names, "lag24h"),
                True,
                {"method": "SARIMA order, plus exogenous values of the same step the day before"},
            )
        )
        specs.append(
            StatSpec(
                "sarimax_exog_observed",
                sarima.order,
                sarima.seasonal_order,
                regressor_builder(series, pairs, exog_names, "observed"),
                False,
                {"method": "SARIMA order, plus the OBSERVED exogenous values of day D (upper bound)"},
            )
        )

    forecasts, summaries = [], {}
    for spec in specs:
        started = time.perf_counter()
        results = fit(spec, endog)
        predicted = rolling_day_ahead_forecasts(results, spec, target, problem.split.test_days)
        forecasts.append(long_forecasts(spec.name, predicted, problem.target))
        summaries[spec.name] = {
            "family": "statistical",
            "deployable": spec.deployable,
            "order": list(spec.order),
            "seasonal_order": list(spec.seasonal_order),
            "regressors": list(spec.regressors(endog.index[:1]).columns),
            "fourier_pairs": pairs,
            "exogenous": exog_names if spec.name.startswith("sarimax") else [],
            "exog_mode": spec.name.removeprefix("sarimax_exog_") if spec.name.startswith("sarimax") else None,
            "fit_window": [str(endog.index[0]), str(endog.index[-1])],
            "aic": round(float(results.aic), 1),
            "selection": spec.selection,
            "seconds": round(time.perf_counter() - started, 1),
        }
        log.info(
            "%s %s x %s: AIC %.1f, fit + %d day-ahead forecasts in %.1f s",
            spec.name,
            spec.order,
            spec.seasonal_order,
            results.aic,
            len(problem.split.test_days),
            summaries[spec.name]["seconds"],
        )
    for name, reason in skipped.items():
        log.warning("skipping %s: %s", name, reason)
    write_forecasts(STATS_FORECASTS, pd.concat(forecasts, ignore_index=True))
    write_json(STATS_SUMMARY, {"models": summaries, "skipped": skipped})


if __name__ == "__main__":
    run_stage(main, "weather.train_stats")
