"""Stage: the 3-hour-ahead baselines, reference and ML regressors, on the same validation and test periods.

Each 3-hour value is forecast from the observations up to the value before it. Baselines: persistence_3h and
persistence_3h_diurnal. Reference: the issue-16 recipe at this horizon (`lead1_reference` features, the
reference's fixed ridge and XGBoost settings). ML: each regressor of `weather.ml.models` on the
`weather.horizon.feature_set` features, its `weather.ml.tuning` candidates scored on validation, the winner
refitted on every step before the test year. (The statistical models' 3-hour-ahead forecasts come from
`weather_train_stats`, which holds their fitted parameters.) The day-ahead outputs are not touched.
"""

from __future__ import annotations

import pandas as pd

from pipelines.common.errors import ParamError
from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.progress import progress
from pipelines.common.stage import run_stage
from pipelines.weather.data import load_problem, write_forecasts
from pipelines.weather.features import LEAD1_FEATURE_SETS
from pipelines.weather.forecasting import PERIODS
from pipelines.weather.horizon import (
    DEFINITION,
    lead1_rows,
    long_forecasts_3h,
    period_times,
    persistence_3h,
    persistence_3h_diurnal,
    regular,
    tune_lead1,
)
from pipelines.weather.paths import HORIZON_3H_FORECASTS, HORIZON_3H_SUMMARY
from pipelines.weather.reference import REFERENCE_MODELS, REFERENCE_SEED
from pipelines.weather.regressors import check_settings

log = get_logger("weather.horizon")
REFERENCE_FEATURE_SET_3H = "lead1_reference"


def main() -> None:
    weather = load_params("weather")
    ml_params = weather.section("ml")
    feature_set = weather.section("horizon").choice("feature_set", list(LEAD1_FEATURE_SETS))
    seed = ml_params.integer("seed")
    tuning = ml_params.get("tuning", {}, type_=dict)
    regressors = ml_params.string_list("models")
    for name in regressors:
        check_settings(name, ml_params.section(name).as_dict(), f"weather.ml.{name}")
    problem = load_problem(weather)
    target = regular(problem.series[problem.target_name])
    times = {period: period_times(problem.split, period) for period in PERIODS}
    frames = []
    for period in PERIODS:
        frames.append(long_forecasts_3h("persistence_3h", persistence_3h(target, times[period]), target, period))
        frames.append(
            long_forecasts_3h("persistence_3h_diurnal", persistence_3h_diurnal(target, times[period]), target, period)
        )
    models = {
        "persistence_3h": {"family": "baseline", "deployable": True, "description": "the last observed 3-hour value"},
        "persistence_3h_diurnal": {
            "family": "baseline",
            "deployable": True,
            "description": "the last observed value plus yesterday's change over the same 3 hours",
        },
    }
    runs = [
        (name, regressor, REFERENCE_FEATURE_SET_3H, settings, None, "reference", REFERENCE_SEED)
        for name, (regressor, settings) in REFERENCE_MODELS.items()
    ]
    for regressor in regressors:
        grid = tuning.get(regressor) or {}
        if not isinstance(grid, dict):
            raise ParamError(f"weather.ml.tuning.{regressor}", f"expected a mapping of lists, got {grid!r}")
        base = ml_params.section(regressor).as_dict()
        runs.append((f"{regressor}_{feature_set}", regressor, feature_set, base, grid, "ml", seed))
    for name, regressor, features_name, base, grid, family, run_seed in progress(runs, "3-hour-ahead models"):
        settings, predicted, tried = tune_lead1(problem, regressor, features_name, base, grid, run_seed)
        for period in PERIODS:
            frames.append(long_forecasts_3h(name, predicted[period], target, period))
        models[name] = {
            "family": family,
            "deployable": True,
            "regressor": regressor,
            "feature_set": features_name,
            "n_features": lead1_rows(problem, features_name)[0].shape[1],
            "settings": settings,
            "tuning": tried,
        }
        log.info("%s (3-hour-ahead): settings %s, validation RMSE %s", name, settings, tried)
    write_forecasts(HORIZON_3H_FORECASTS, pd.concat(frames, ignore_index=True))
    write_json(HORIZON_3H_SUMMARY, {"definition": DEFINITION, "models": models})


if __name__ == "__main__":
    run_stage(main, "weather.horizon")
