"""Stage `cars_train`: the expert rule, the linear model and gradient boosting, each fitted on the training
split and tuned on the validation split (`cars.train`); the family kept is the one with the lowest
validation `select_by`, the price interval comes from its validation residuals. The test split is not read."""

from __future__ import annotations

import time

import joblib

from pipelines.cars.data import read_split
from pipelines.cars.paths import CANDIDATES, DATA_SUMMARY, TRAIN, TRAIN_SUMMARY, VALIDATION
from pipelines.cars.training import family_candidates, train_families
from pipelines.common.io import atomic_dir, read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.runlog import write_run_log
from pipelines.common.stage import run_stage

log = get_logger("cars.train")


def main() -> None:
    cars = load_params("cars")
    train_params = cars.section("train")
    listing_year = read_json(DATA_SUMMARY)["listing_year"]
    select_by = train_params.choice("select_by", ("mape", "mae", "rmse", "median_ape"))
    coverage = cars.section("interval").number("coverage", minimum=0.5, maximum=0.99)
    candidates = family_candidates(train_params, listing_year)
    start = time.perf_counter()
    fitted, summary = train_families(candidates, read_split(TRAIN), read_split(VALIDATION), select_by, coverage)
    write_run_log(
        "cars_train",
        {"seconds": round(time.perf_counter() - start, 1), "candidates": sum(map(len, candidates.values()))},
    )
    with atomic_dir(CANDIDATES) as staging:
        for family, model in fitted.items():
            joblib.dump(model, staging / f"{family}.joblib")
    write_json(TRAIN_SUMMARY, summary | {"listing_year": listing_year})
    for family, info in summary["models"].items():
        log.info(
            "%s (%s): validation MAPE %.2f %%, R² %.3f",
            family,
            info["candidate"],
            100 * info["validation"]["mape"],
            info["validation"]["r2"],
        )
    log.info("kept %s (lowest validation %s)", summary["best_model"], select_by)


if __name__ == "__main__":
    run_stage(main, "cars.train")
