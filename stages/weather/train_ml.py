"""Stage: tune each ML regressor × feature set on the validation period, then forecast the test year.

Per model: every candidate of `weather.ml.tuning.<regressor>` is fitted on the training days and scored on the
validation days; the winner's validation forecasts are kept (model choice reads them), then it is refitted on
every day before the test year and forecasts it day-ahead (the report reads those).
"""

from __future__ import annotations

import time

import pandas as pd

from pipelines.common.errors import ParamError
from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import Params, load_params
from pipelines.common.progress import progress
from pipelines.common.stage import run_stage
from pipelines.weather.data import Problem, load_problem, write_forecasts
from pipelines.weather.ensemble import ENSEMBLE_NAME, choose_members, mean_forecasts
from pipelines.weather.ensemble import summary as ensemble_summary
from pipelines.weather.features import FEATURE_SETS, NEEDS_EXOGENOUS, is_deployable
from pipelines.weather.forecasting import long_forecasts
from pipelines.weather.paths import ML_FORECASTS, ML_SUMMARY
from pipelines.weather.regressors import check_settings, fit_regressor, predict_days, tune_on_validation

log = get_logger("weather.train_ml")


def tuning_grids(ml_params: Params, regressors: list[str]) -> dict[str, dict]:
    """`weather.ml.tuning.<regressor>`: lists of values to try; checked before anything is fitted."""
    tuning = ml_params.get("tuning", {}, type_=dict)
    grids = {}
    for name in regressors:
        base = ml_params.section(name).as_dict()
        check_settings(name, base, f"weather.ml.{name}")
        grid = tuning.get(name) or {}
        if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
            raise ParamError(f"weather.ml.tuning.{name}", f"expected a mapping of non-empty lists, got {grid!r}")
        for key, values in grid.items():
            for value in values:
                check_settings(name, {key: value}, f"weather.ml.tuning.{name}")
        grids[name] = grid
    return grids


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
    weather = load_params("weather")
    ml_params = weather.section("ml")
    seed = ml_params.integer("seed")
    feature_sets = ml_params.string_list("feature_sets")
    for feature_set in feature_sets:
        if feature_set not in FEATURE_SETS:
            raise ParamError(
                "weather.ml.feature_sets", f"unknown feature set {feature_set!r}; known: {', '.join(FEATURE_SETS)}"
            )
    regressors = ml_params.string_list("models")
    runs = [(r, f) for r in regressors for f in feature_sets]
    if ml_params.get("observed_exog_upper_bound", True):
        runs.append(("xgboost", "lags_rolling_exog_observed"))
    grids = tuning_grids(ml_params, sorted({r for r, _ in runs}))
    problem = load_problem(weather)
    forecasts, summaries, skipped = [], {}, {}
    for regressor_name, feature_set in progress(runs, "ML models"):
        name = f"{regressor_name}_{feature_set}"
        if feature_set in NEEDS_EXOGENOUS and not problem.exog:
            skipped[name] = "the data has no exogenous variables"
            log.warning("skipping %s: %s", name, skipped[name])
            continue
        # The upper bound is not tuned: it only shows what a perfect forecast of the exogenous variables buys.
        grid = grids[regressor_name] if is_deployable(feature_set) else {}
        base = ml_params.section(regressor_name).as_dict()
        frame, summary = tune_and_forecast(problem, regressor_name, feature_set, base, grid, seed)
        forecasts.append(frame)
        summaries[name] = summary
    forecasts = pd.concat(forecasts, ignore_index=True)
    members = choose_members(summaries)
    if members:
        log.info("%s: mean of %s (each regressor's best on validation)", ENSEMBLE_NAME, ", ".join(members))
        forecasts = pd.concat([forecasts, mean_forecasts(ENSEMBLE_NAME, forecasts, members)], ignore_index=True)
        summaries[ENSEMBLE_NAME] = ensemble_summary(members, summaries)
    else:
        skipped[ENSEMBLE_NAME] = "fewer than two regressors with a deployable model"
    write_forecasts(ML_FORECASTS, forecasts)
    write_json(ML_SUMMARY, {"models": summaries, "skipped": skipped})


if __name__ == "__main__":
    run_stage(main, "weather.train_ml")
