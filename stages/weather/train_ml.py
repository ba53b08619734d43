"""Stage: train the ML regressors on every feature set and forecast the test year day-ahead."""

from __future__ import annotations

import time

import pandas as pd

from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import Params, load_params
from pipelines.common.progress import progress
from pipelines.common.stage import run_stage
from pipelines.weather.data import Problem, load_problem, write_forecasts
from pipelines.weather.features import NEEDS_EXOGENOUS, is_deployable
from pipelines.weather.forecasting import long_forecasts
from pipelines.weather.paths import ML_FORECASTS, ML_SUMMARY
from pipelines.weather.regressors import fit_regressor

log = get_logger("weather.train_ml")


def fit_and_forecast(
    problem: Problem, regressor_name: str, feature_set: str, ml_params: Params
) -> tuple[pd.DataFrame, dict]:
    """Fit on the training days, predict each test day from what was known the evening before."""
    started = time.perf_counter()
    model, features, trained_days = fit_regressor(
        problem, regressor_name, feature_set, ml_params, problem.split.test_start
    )
    fit_seconds = time.perf_counter() - started
    test_features = features.reindex(problem.split.test_days)
    predicted = pd.DataFrame(model.predict(test_features.to_numpy()), index=problem.split.test_days)
    name = f"{regressor_name}_{feature_set}"
    summary = {
        "family": "ml",
        "regressor": regressor_name,
        "feature_set": feature_set,
        "deployable": is_deployable(feature_set),
        "n_features": features.shape[1],
        "train_days": len(trained_days),
        "fit_seconds": round(fit_seconds, 2),
    }
    return long_forecasts(name, predicted, problem.target), summary


def main() -> None:
    weather = load_params("weather")
    ml_params = weather.section("ml")
    problem = load_problem(weather)
    runs = [(r, f) for r in ml_params.string_list("models") for f in ml_params.string_list("feature_sets")]
    if ml_params.get("observed_exog_upper_bound", True):
        runs.append(("xgboost", "lags_rolling_exog_observed"))
    forecasts, summaries, skipped = [], {}, {}
    for regressor_name, feature_set in progress(runs, "ML models"):
        name = f"{regressor_name}_{feature_set}"
        if feature_set in NEEDS_EXOGENOUS and not problem.exog:
            skipped[name] = "the data has no exogenous variables"
            log.warning("skipping %s: %s", name, skipped[name])
            continue
        frame, summary = fit_and_forecast(problem, regressor_name, feature_set, ml_params)
        log.info("%s: %d features, fitted in %.1f s", name, summary["n_features"], summary["fit_seconds"])
        forecasts.append(frame)
        summaries[name] = summary
    write_forecasts(ML_FORECASTS, pd.concat(forecasts, ignore_index=True))
    write_json(ML_SUMMARY, {"models": summaries, "skipped": skipped})


if __name__ == "__main__":
    run_stage(main, "weather.train_ml")
