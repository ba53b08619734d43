"""Stage: the naive baselines every model must beat, in the same day-ahead protocol."""

from __future__ import annotations

import pandas as pd

from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.stage import run_stage
from pipelines.weather.data import load_problem, write_forecasts
from pipelines.weather.forecasting import climatology, long_forecasts, persistence_24h
from pipelines.weather.paths import BASELINE_FORECASTS, BASELINE_SUMMARY

log = get_logger("weather.baselines")


def main() -> None:
    weather = load_params("weather")
    window = weather.section("evaluation").integer("climatology_window_days", minimum=0, maximum=182)
    problem = load_problem(weather)
    days = problem.split.test_days
    forecasts = pd.concat(
        [
            long_forecasts("persistence_24h", persistence_24h(problem.target, days), problem.target),
            long_forecasts(
                "climatology", climatology(problem.target, problem.split.train_days, days, window), problem.target
            ),
        ],
        ignore_index=True,
    )
    log.info("baselines for %d test days (%s → %s)", len(days), days[0].date(), days[-1].date())
    write_forecasts(BASELINE_FORECASTS, forecasts)
    description = {
        "persistence_24h": "the same step of the previous day",
        "climatology": f"mean of the step over the training years, day of year ± {window} days",
    }
    write_json(
        BASELINE_SUMMARY,
        {
            "models": {
                name: {"family": "baseline", "deployable": True, "description": text}
                for name, text in description.items()
            },
            "skipped": {},
        },
    )


if __name__ == "__main__":
    run_stage(main, "weather.baselines")
