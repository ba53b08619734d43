"""Stage: the baselines every model must beat, in the same day-ahead protocol, on both periods.

Naive: persistence_24h and climatology. Reference (issue 16): ridge and one XGBoost per step on the last 1, 2
and 7 days' eight temperatures, the previous day's eight values of each exogenous variable and the day of
year, with fixed settings (`pipelines/weather/reference.py`): a strong yardstick that is never tuned.
"""

from __future__ import annotations

import pandas as pd

from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.stage import run_stage
from pipelines.weather.data import load_problem, write_forecasts
from pipelines.weather.features import build_features
from pipelines.weather.forecasting import PERIODS, climatology, long_forecasts, persistence_24h
from pipelines.weather.paths import BASELINE_FORECASTS, BASELINE_SUMMARY
from pipelines.weather.reference import REFERENCE_FEATURE_SET, REFERENCE_MODELS, REFERENCE_SEED
from pipelines.weather.regressors import fit_regressor, predict_days

log = get_logger("weather.baselines")


def main() -> None:
    weather = load_params("weather")
    window = weather.section("evaluation").integer("climatology_window_days", minimum=0, maximum=182)
    problem = load_problem(weather)
    features = build_features(problem.target, problem.exog, REFERENCE_FEATURE_SET)
    frames = []
    for period in PERIODS:
        days, known = problem.split.period(period), problem.split.known_before(period)
        frames.append(long_forecasts("persistence_24h", persistence_24h(problem.target, days), problem.target, period))
        frames.append(
            long_forecasts("climatology", climatology(problem.target, known, days, window), problem.target, period)
        )
        for name, (regressor, settings) in REFERENCE_MODELS.items():
            model, _, _ = fit_regressor(
                problem, regressor, REFERENCE_FEATURE_SET, settings, REFERENCE_SEED, days[0], features
            )
            frames.append(long_forecasts(name, predict_days(model, features, days), problem.target, period))
        log.info("baselines for %d %s days (%s → %s)", len(days), period, days[0].date(), days[-1].date())
    write_forecasts(BASELINE_FORECASTS, pd.concat(frames, ignore_index=True))
    models = {
        "persistence_24h": {
            "family": "baseline",
            "deployable": True,
            "description": "the same step of the previous day",
        },
        "climatology": {
            "family": "baseline",
            "deployable": True,
            "description": f"mean of the step over the years before the period, day of year ± {window} days",
        },
    }
    for name, (regressor, settings) in REFERENCE_MODELS.items():
        models[name] = {
            "family": "reference",
            "deployable": True,
            "regressor": regressor,
            "feature_set": REFERENCE_FEATURE_SET,
            "settings": settings,
            "n_features": features.shape[1],
            "description": f"issue-16 reference: {regressor} on the `{REFERENCE_FEATURE_SET}` features, fixed settings",
        }
    write_json(BASELINE_SUMMARY, {"models": models, "skipped": {}})


if __name__ == "__main__":
    run_stage(main, "weather.baselines")
