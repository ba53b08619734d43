"""Stage `freelance_train`: every scikit-learn model of the client's report, tuned by GridSearchCV on the
same group folds of the training split; the price models scored by MAE, the band models by accuracy.

Nothing here reads the test split. Outputs: each model's best pipeline refitted on the whole training split
(`models/freelance/candidates/<task>_<model>.joblib`) and a summary with every grid, the best parameters,
the fold scores and the out-of-fold predictions' errors (the served interval is read from them).
"""

from __future__ import annotations

import time

import joblib
import numpy as np

from pipelines.common.errors import ParamError
from pipelines.common.io import atomic_path, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import Params, load_params
from pipelines.common.provenance import library_versions
from pipelines.common.runlog import write_run_log
from pipelines.common.stage import run_stage
from pipelines.freelance.features import feature_frame
from pipelines.freelance.models import (
    CLASSIFIERS,
    DUMMY_CLASSIFIER,
    DUMMY_REGRESSOR,
    REGRESSORS,
    drop_pruned_vocabulary,
    group_folds,
    search,
)
from pipelines.freelance.paths import CANDIDATES, TRAIN, TRAIN_SUMMARY
from pipelines.freelance.split import assign_bands, read_split
from pipelines.freelance.text import band_accuracy, price_metrics

log = get_logger("freelance.train")


def read_grids(train: Params, key: str, known: tuple[str, ...], dummy: str) -> dict[str, dict]:
    grids = train.get(key, type_=dict)
    unknown = [name for name in grids if name not in known]
    if unknown:
        raise ParamError(train.name(key), f"unknown model(s) {unknown}; expected some of {list(known)}")
    if dummy not in grids:
        raise ParamError(train.name(key), f"the baseline {dummy} is required")
    return {name: dict(grid or {}) for name, grid in grids.items()}


def main() -> None:
    freelance = load_params("freelance")
    train_params, features = freelance.section("train"), freelance.section("features")
    settings = {
        "text": features.get("text", type_=dict),
        "prior_reviews": features.number("prior_reviews", minimum=0),
        "seed": train_params.integer("seed"),
        "log_target": train_params.get("log_target", type_=bool),
        "n_jobs": train_params.integer("n_jobs", minimum=1),
    }
    price_grids = read_grids(train_params, "price_models", REGRESSORS, DUMMY_REGRESSOR)
    band_grids = read_grids(train_params, "band_models", CLASSIFIERS, DUMMY_CLASSIFIER)
    coverage = train_params.number("interval_coverage", minimum=0.5, maximum=0.99)
    frame, edges = read_split(TRAIN)
    X, price, band = feature_frame(frame), frame["price"].to_numpy(), frame["band"].to_numpy()
    folds = group_folds(frame["group"].to_numpy(), train_params.integer("cv_folds", minimum=2), settings["seed"])
    summary: dict = {"price": {}, "band": {}}
    timing: dict[str, float] = {}
    started = time.perf_counter()
    for task, grids, target in (("price", price_grids, price), ("band", band_grids, band)):
        for name, grid in grids.items():
            began = time.perf_counter()
            result = search(task, name, X, target, folds, grid, settings)
            with atomic_path(CANDIDATES / f"{task}_{name}.joblib") as tmp:
                joblib.dump(drop_pruned_vocabulary(result.search.best_estimator_), tmp)
            fold_scores = [
                float(result.search.cv_results_[f"split{i}_test_score"][result.search.best_index_])
                for i in range(len(folds))
            ]
            entry = {
                "grid": grid,
                "best_params": result.best_params,
                "candidates": len(result.search.cv_results_["params"]),
                "cv_mean": result.cv_mean,
                "cv_std": result.cv_std,
                "cv_folds": [-score if task == "price" else score for score in fold_scores],
            }
            if task == "price":
                errors = np.abs(result.oof - price)
                entry |= {
                    "oof": price_metrics(price, result.oof),
                    "oof_band_accuracy": band_accuracy(band, assign_bands(result.oof, edges)),
                    "interval_half_width": float(np.quantile(errors, coverage)),
                }
            else:
                entry["oof_accuracy"] = band_accuracy(band, result.oof.argmax(axis=1))
            summary[task][name] = entry
            timing[f"{task}_{name}"] = round(time.perf_counter() - began, 1)
            log.info("%s / %s: CV %.4f ± %.4f with %s", task, name, result.cv_mean, result.cv_std, result.best_params)
    summary |= {
        "rows": len(frame),
        "cv_folds": len(folds),
        "fold_protocol": "GroupKFold over near-duplicate title groups (shuffled, seeded), shared by every model",
        "band_edges": list(edges),
        "interval_coverage": coverage,
        "log_target": settings["log_target"],
        "library_versions": library_versions(("xgboost", "joblib")),
    }
    write_json(TRAIN_SUMMARY, summary)
    write_run_log("freelance_train", {"seconds": round(time.perf_counter() - started, 1), "models": timing})


if __name__ == "__main__":
    run_stage(main, "freelance.train")
