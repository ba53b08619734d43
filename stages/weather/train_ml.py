"""Stage: tune each ML regressor × feature set on the validation period, then forecast the test year.

Per model: every candidate of `weather.ml.tuning.<regressor>` is fitted on the training days and scored on the
validation days; the winner's validation forecasts are kept (model choice reads them), then it is refitted on
every day before the test year and forecasts it day-ahead (the report reads those).
"""

from __future__ import annotations

import time

import pandas as pd

from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params, load_section
from pipelines.common.progress import progress
from pipelines.common.stage import run_stage
from pipelines.weather.data import Problem, load_problem, write_forecasts
from pipelines.weather.features import NEEDS_EXOGENOUS, is_deployable
from pipelines.weather.forecasting import long_forecasts
from pipelines.weather.paths import ML_FORECASTS, ML_SUMMARY
from pipelines.weather.regressors import fit_regressor, predict_days, tune_on_validation
from pipelines.weather.settings import MlParams

log = get_logger("weather.train_ml")


def tune_and_forecast(
    problem: Problem, regressor_name: str, feature_set: str, base: dict, grid: dict, seed: int
) -> tuple[pd.DataFrame, dict]:
    """Validation forecasts of the tuned settings, then test forecasts of the same settings refitted."""
    started = time.perf_counter()
    settings, validation, tried, features = tune_on_validation(problem, regressor_name, feature_set, base, grid, seed)
    model, _, trained_days = fit_regressor(
        problem, regressor_name, feature_set, settings, seed, problem.split.test_start, features
    )
    test = predict_days(model, features, problem.split.test_days)
    name = f"{regressor_name}_{feature_set}"
    summary = {
        "family": "ml",
        "regressor": regressor_name,
        "feature_set": feature_set,
        "deployable": is_deployable(feature_set),
        "settings": settings,
        "tuning": tried,
        "n_features": features.shape[1],
        "train_days": len(trained_days),
    }
    log.info(
        "%s: %d features, %d candidate(s), chosen %s (%.1f s)",
        name,
        features.shape[1],
        len(tried),
        settings,
        time.perf_counter() - started,
    )
    frames = [
        long_forecasts(name, validation, problem.target, "validation"),
        long_forecasts(name, test, problem.target, "test"),
    ]
    return pd.concat(frames, ignore_index=True), summary


def main() -> None:
    ml = load_section("weather.ml", MlParams)
    seed = ml.seed
    runs = [(r, f) for r in ml.models for f in ml.feature_sets]
    if ml.observed_exog_upper_bound:
        runs.append(("xgboost", "lags_rolling_exog_observed"))
    weather = load_params("weather")
    problem = load_problem(weather)
    forecasts, summaries, skipped = [], {}, {}
    for regressor_name, feature_set in progress(runs, "ML models"):
        name = f"{regressor_name}_{feature_set}"
        if feature_set in NEEDS_EXOGENOUS and not problem.exog:
            skipped[name] = "the data has no exogenous variables"
            log.warning("skipping %s: %s", name, skipped[name])
            continue
        # The upper bound is not tuned: it only shows what a perfect forecast of the exogenous variables buys.
        grid = ml.grid(regressor_name) if is_deployable(feature_set) else {}
        base = ml.settings(regressor_name)
        frame, summary = tune_and_forecast(problem, regressor_name, feature_set, base, grid, seed)
        forecasts.append(frame)
        summaries[name] = summary
    write_forecasts(ML_FORECASTS, pd.concat(forecasts, ignore_index=True))
    write_json(ML_SUMMARY, {"models": summaries, "skipped": skipped})


if __name__ == "__main__":
    run_stage(main, "weather.train_ml")
