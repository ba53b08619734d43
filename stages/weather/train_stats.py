"""Stage: ARIMA, SARIMA and SARIMAX: orders chosen on the training window, checked on the validation period,
then the same fitted state extended day by day through the validation and the test periods. The same
fitted parameters give the 3-hour-ahead forecasts too: the Kalman filter's one-step predictions over both
periods (`pipelines/weather/horizon.py`), written apart so the day-ahead files do not change.

Fitting on the window that ends where validation starts means no parameter of these models has seen a
validation or test value; the state is updated with each observed day (`results.extend`), never refitted.
"""

from __future__ import annotations

import pandas as pd

from pipelines.common.errors import ParamError
from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.stage import run_stage
from pipelines.weather.data import load_problem, write_forecasts
from pipelines.weather.forecasting import (
    PERIODS,
    STEP_HOURS,
    STEPS_PER_DAY,
    climatology,
    long_forecasts,
    persistence_24h,
)
from pipelines.weather.horizon import long_forecasts_3h, one_step_ahead, period_times
from pipelines.weather.paths import STATS_3H_FORECASTS, STATS_FORECASTS, STATS_SUMMARY
from pipelines.weather.statistical import (
    StatSpec,
    fit,
    regressor_builder,
    rolling_day_ahead_forecasts,
    select_arima_order,
    select_sarima_order,
    validation_check,
)

log = get_logger("weather.train_stats")


def main() -> None:
    weather = load_params("weather")
    params = weather.section("stats")
    problem = load_problem(weather)
    split = problem.split
    series = problem.series.asfreq(f"{STEP_HOURS}h")
    target = series[problem.target_name]
    window = params.integer("fit_window_days", minimum=30) * STEPS_PER_DAY
    endog = target[target.index < split.validation_start].iloc[-window:]
    pairs = params.integer("yearly_fourier_terms", minimum=0, maximum=6)
    daily_pairs = params.integer("daily_fourier_terms", minimum=0, maximum=3)
    climatology_window = weather.section("evaluation").integer("climatology_window_days", minimum=0, maximum=182)

    calendar = regressor_builder(series, pairs)
    arima_regressors = regressor_builder(series, pairs, daily_pairs=daily_pairs)
    specs: list[StatSpec] = []
    selection, order = select_arima_order(
        endog,
        arima_regressors(endog.index),
        params.integer("arima_max_p", minimum=0),
        params.integer("arima_max_q", minimum=0),
    )
    selection["daily_fourier_pairs"] = daily_pairs
    specs.append(StatSpec("arima", order, (0, 0, 0, 0), arima_regressors, True, selection))
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
        for mode, deployable, method in (
            ("lag24h", True, "SARIMA order, plus exogenous values of the same step the day before"),
            ("observed", False, "SARIMA order, plus the OBSERVED exogenous values of day D (upper bound)"),
        ):
            specs.append(
                StatSpec(
                    f"sarimax_exog_{mode}",
                    sarima.order,
                    sarima.seasonal_order,
                    regressor_builder(series, pairs, exog_names, mode),
                    deployable,
                    {"method": method},
                )
            )

    held_out = split.validation_days.append(split.test_days)
    naive = {
        "persistence_24h": persistence_24h(problem.target, split.validation_days),
        "climatology": climatology(problem.target, split.train_days, split.validation_days, climatology_window),
    }
    times = {period: period_times(split, period) for period in PERIODS}
    forecasts, forecasts_3h, summaries = [], [], {}
    for spec in specs:
        results = fit(spec, endog)
        predicted = rolling_day_ahead_forecasts(results, spec, target, held_out)
        # 3-hour-ahead: the same fitted parameters, the Kalman filter's one-step predictions (no new fit).
        one_step = one_step_ahead(results, spec.regressors, target, times["validation"].append(times["test"]))
        for period in PERIODS:
            forecasts_3h.append(long_forecasts_3h(spec.name, one_step.reindex(times[period]), target, period))
        check = validation_check(predicted.reindex(split.validation_days), problem.target, naive)
        for period in ("validation", "test"):
            days = split.period(period)
            forecasts.append(long_forecasts(spec.name, predicted.reindex(days), problem.target, period))
        summaries[spec.name] = {
            "family": "statistical",
            "deployable": spec.deployable,
            "order": list(spec.order),
            "seasonal_order": list(spec.seasonal_order),
            "regressors": list(spec.regressors(endog.index[:1]).columns),
            "fourier_pairs": pairs,
            "daily_fourier_pairs": daily_pairs if spec.name == "arima" else 0,
            "exogenous": exog_names if spec.name.startswith("sarimax") else [],
            "exog_mode": spec.name.removeprefix("sarimax_exog_") if spec.name.startswith("sarimax") else None,
            "fit_window": [str(endog.index[0]), str(endog.index[-1])],
            "aic": round(float(results.aic), 1),
            "selection": spec.selection,
            "validation_check": check,
        }
        log.info(
            "%s %s x %s: AIC %.1f, validation RMSE %.3f%s",
            spec.name,
            spec.order,
            spec.seasonal_order,
            results.aic,
            check["validation_rmse"],
            f" — not better than {', '.join(check['not_better_than'])}" if check["not_better_than"] else "",
        )
    for name, reason in skipped.items():
        log.warning("skipping %s: %s", name, reason)
    write_forecasts(STATS_FORECASTS, pd.concat(forecasts, ignore_index=True))
    write_forecasts(STATS_3H_FORECASTS, pd.concat(forecasts_3h, ignore_index=True))
    write_json(STATS_SUMMARY, {"models": summaries, "skipped": skipped})


if __name__ == "__main__":
    run_stage(main, "weather.train_stats")
