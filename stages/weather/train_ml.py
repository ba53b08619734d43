"""Stage: train the ML regressors on every feature set and forecast the test year day-ahead."""

from __future__ import annotations

import time

import pandas as pd

from stages.common.io import write_json
from stages.common.logs import get_logger
from stages.common.params import Params, load_params
from stages.common.progress import progress
from stages.common.stage import run_stage
from stages.weather.data import DIRS, FORECASTS_DIR, Problem, load_problem, write_forecasts
from stages.weather.features import NEEDS_EXOGENOUS, build_features, is_deployable
from stages.weather.forecasting import long_forecasts
from stages.weather.regressors import make_regressor

log = get_logger("weather.train_ml")
ML_FORECASTS = FORECASTS_DIR / "ml.csv.gz"
ML_SUMMARY = DIRS["models"] / "ml_summary.json"


def fit_regressor(problem: Problem, regressor_name: str, feature_set: str, ml_params: Params, before: pd.Timestamp):
    """Fit a regressor on every day before `before` whose features and 8 targets are complete.

    Returns the fitted model, the features of every day (to predict any later day) and the days it was fitted on.
    """
    features = build_features(problem.target, problem.exog, feature_set)
    targets = problem.target.reindex(features.index)
    train = (features.index < before) & features.notna().all(axis=1) & targets.notna().all(axis=1)
    model = make_regressor(regressor_name, ml_params, ml_params.integer("seed"))
    model.fit(features[train].to_numpy(), targets[train].to_numpy())
    return model, features, features.index[train]


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
