"""Stage `credit_train`: tune every model by cross-validation on the training split, compare the
class-imbalance strategies, refit each model on the whole training split, calibrate its scores on its
out-of-fold predictions (pipelines/credit/calibration.py) and choose its decision threshold on the
calibrated out-of-fold probabilities.

Nothing here reads the test split. Outputs: one fitted pipeline per model (raw application fields in,
calibrated probability of default out), the out-of-fold probabilities (calibrated, and the scores before
calibration in `<model>_uncalibrated`), and a summary with the search history and the calibration.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from pipelines.common.io import atomic_path, write_csv, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import Params, load_params, parse_section
from pipelines.common.provenance import library_versions
from pipelines.common.runlog import pop_run_time, write_run_log
from pipelines.common.stage import run_stage
from pipelines.credit.calibration import (
    METHODS,
    CalibratedClassifier,
    ScoreCalibrator,
    calibration_scores,
    cross_fitted,
)
from pipelines.credit.cost import CostWeights, auc, best_threshold, cost_weights
from pipelines.credit.data import features_and_target, read_frame
from pipelines.credit.features import logged_columns, make_feature_pipeline
from pipelines.credit.models import FAMILIES, PREPROCESSING, make_classifier, parse_space
from pipelines.credit.paths import CANDIDATES, OOF_PREDICTIONS, TRAIN, TRAIN_SUMMARY
from pipelines.credit.schema import ID, TARGET
from pipelines.credit.settings import CalibrationParams, FeatureParams, TrainParams
from pipelines.credit.tuning import CVResult, Fold, cross_validate, encode_folds, random_search, stratified_splits

log = get_logger("credit.train")
UNCALIBRATED = "_uncalibrated"  # suffix of the out-of-fold score columns before calibration


@dataclass
class Settings:
    """Everything credit_train reads from params.yaml, checked once."""

    models: list[str]
    seed: int
    folds: int
    n_jobs: int
    features: dict[str, float]
    excluded: tuple[str, ...]
    weights: CostWeights
    threshold_steps: int
    default_strategy: str
    compared: list[str]
    compare_models: list[str]
    ratio: float
    select_by: str
    calibration: str
    calibration_bins: int
    searches: dict[str, dict[str, Any]] = field(default_factory=dict)


def read_settings(credit: Params) -> Settings:
    """credit_train's sections of `credit`, checked by pipelines/credit/settings.py."""
    train = parse_section(TrainParams, credit.get("train"), credit.name("train"))
    features = parse_section(FeatureParams, credit.get("features"), credit.name("features"))
    calibration = parse_section(CalibrationParams, credit.get("calibration"), credit.name("calibration"))
    searches = {
        name: {
            "space": parse_space(credit.name(f"train.search.{name}.space"), train.search[name].space),
            "n_iter": train.search[name].n_iter,
            "fixed": dict(train.search[name].fixed),
        }
        for name in train.models
        if name != "dummy"
    }
    weights, steps = cost_weights(credit)
    imbalance = train.imbalance
    return Settings(
        models=list(train.models),
        seed=train.seed,
        folds=train.cv_folds,
        n_jobs=train.n_jobs,
        features={
            "onehot_max_levels": features.onehot_max_levels,
            "onehot_min_frequency": features.onehot_min_frequency,
            "log_skew_threshold": features.log_skew_threshold,
            "target_encoding_smooth": features.target_encoding_smooth,
        },
        excluded=tuple(features.excluded),
        weights=weights,
        threshold_steps=steps,
        default_strategy=imbalance.default,
        compared=list(imbalance.compare),
        compare_models=list(imbalance.compare_models),
        ratio=imbalance.ratio,
        select_by=imbalance.select_by,
        calibration=calibration.method,
        calibration_bins=calibration.bins,
        searches=searches,
    )


def tune(name: str, folds: list[Fold], y: np.ndarray, settings: Settings) -> tuple[CVResult, list, list]:
    """The model's best configuration: searched with the default imbalance strategy, then the strategies compared.

    Returns the chosen result (parameters, strategy, out-of-fold probabilities), the search history and
    the rows of the imbalance comparison.
    """
    if name == "dummy":
        return cross_validate(name, {}, "none", settings.ratio, folds, y, settings.seed, settings.n_jobs), [], []
    search = settings.searches[name]
    found = random_search(
        name,
        search["space"],
        search["n_iter"],
        search["fixed"],
        settings.default_strategy,
        settings.ratio,
        folds,
        y,
        settings.seed,
        settings.n_jobs,
    )
    best = found.best
    log.info("%s: best CV AUC %.4f ± %.4f with %s", name, best.auc_mean, best.auc_std, best.params)
    if name not in settings.compare_models:
        return best, found.history, []
    results = {settings.default_strategy: best} | {
        strategy: cross_validate(name, best.params, strategy, settings.ratio, folds, y, settings.seed, settings.n_jobs)
        for strategy in settings.compared
        if strategy != settings.default_strategy
    }
    rows = []
    for strategy, result in results.items():
        threshold, cost = best_threshold(y, result.oof, settings.weights, settings.threshold_steps)
        rows.append(
            {
                "model": name,
                "strategy": strategy,
                "auc_cv": result.auc_mean,
                "auc_cv_std": result.auc_std,
                "business_cost_oof": cost,
                "threshold": threshold,
                "seconds": round(result.seconds, 2),
            }
        )
        log.info("%s / %s: CV AUC %.4f, OOF cost %.4f", name, strategy, result.auc_mean, cost)
    if settings.select_by == "auc":
        chosen = max(rows, key=lambda row: row["auc_cv"])
    else:
        chosen = min(rows, key=lambda row: row["business_cost_oof"])
    return results[chosen["strategy"]], found.history, rows


def choose_calibration(result: CVResult, y: np.ndarray, settings: Settings) -> tuple[str, dict]:
    """The calibration method and how each one calibrates the out-of-fold scores when the map is itself
    cross-fitted (fitted on four fifths of the rows, applied to the fifth): training data only. `auto`
    keeps the method with the lower cross-fitted Brier score."""
    cross = {
        method: calibration_scores(
            y, cross_fitted(result.oof, y, method, settings.folds, settings.seed), settings.calibration_bins
        )
        for method in METHODS
    }
    if settings.calibration == "auto":
        return min(("isotonic", "sigmoid"), key=lambda method: cross[method]["brier"]), cross
    return settings.calibration, cross


def fit_final(name: str, result: CVResult, X: pd.DataFrame, y: np.ndarray, settings: Settings) -> tuple[Pipeline, dict]:
    """The chosen configuration refitted on the whole training split, then its calibration map fitted on
    the out-of-fold scores (rows the scoring model had not seen when they were scored): raw application
    fields in, calibrated probability of default out. Also returns the calibration summary."""
    encoder = make_feature_pipeline(PREPROCESSING[name], settings.excluded, settings.features, settings.seed)
    classifier = make_classifier(name, result.params, result.strategy, settings.ratio, settings.seed)
    started = time.perf_counter()
    fitted = Pipeline([*encoder.steps, ("model", classifier)]).fit(X, y)
    log.info("%s refitted on %d rows in %.1f s", name, len(y), time.perf_counter() - started)
    method, cross = choose_calibration(result, y, settings)
    calibrator = ScoreCalibrator(method).fit(result.oof, y)
    log.info(
        "%s: out-of-fold ECE uncalibrated %.4f, cross-fitted isotonic %.4f, sigmoid %.4f → %s",
        name,
        cross["none"]["ece"],
        cross["isotonic"]["ece"],
        cross["sigmoid"]["ece"],
        method,
    )
    summary = calibrator.describe() | {
        "setting": settings.calibration,
        "fitted_on": "out-of-fold scores of the training split",
        "oof_cross_fitted": cross,
    }
    return Pipeline([*fitted.steps[:-1], ("model", CalibratedClassifier(fitted[-1], calibrator))]), summary


def describe(
    name: str,
    result: CVResult,
    pipeline: Pipeline,
    calibration: dict,
    X: pd.DataFrame,
    y: np.ndarray,
    settings: Settings,
):
    """The model's entry in the train summary; its threshold minimises the cost on the calibrated
    out-of-fold probabilities, the scale the service answers on."""
    calibrated = pipeline[-1].calibrator.transform(result.oof)
    threshold, oof_cost = best_threshold(y, calibrated, settings.weights, settings.threshold_steps)
    auc_train = auc(y, pipeline.predict_proba(X)[:, 1])
    log.info("%s: threshold %.3f (OOF cost %.4f), train AUC %.4f", name, threshold, oof_cost, auc_train)
    return {
        "family": FAMILIES[name],
        "preprocessing": PREPROCESSING[name],
        "params": result.params,
        "imbalance": result.strategy,
        "auc_cv": result.auc_mean,
        "auc_cv_std": result.auc_std,
        "auc_cv_folds": result.fold_aucs,
        "auc_oof_pooled": auc(y, calibrated),
        "auc_oof_pooled_uncalibrated": auc(y, result.oof),
        "auc_train": auc_train,
        "threshold": threshold,
        "business_cost_oof": oof_cost,
        "n_features_encoded": int(len(pipeline[:-1].get_feature_names_out())),
        "logged_columns": logged_columns(pipeline[:-1]),
        "calibration": calibration,
    }


def main() -> None:
    settings = read_settings(load_params("credit"))
    X, y = features_and_target(read_frame(TRAIN))
    splits = stratified_splits(y, settings.folds, settings.seed)
    summary: dict = {"models": {}, "imbalance": [], "search_history": {}}
    timing: dict[str, dict] = {}
    oof = pd.DataFrame({ID: X[ID].to_numpy(), TARGET: y})
    started = time.perf_counter()
    with threadpool_limits(1):  # parallelism is over folds; nested BLAS threads would only compete
        encoded = {
            kind: encode_folds(X, y, splits, kind, settings.excluded, settings.features, settings.seed)
            for kind in sorted({PREPROCESSING[name] for name in settings.models})
        }
        log.info("encoded %d folds × %d encoders in %.1f s", len(splits), len(encoded), time.perf_counter() - started)
        for name in settings.models:
            chosen, history, imbalance_rows = tune(name, encoded[PREPROCESSING[name]], y, settings)
            pipeline, calibration = fit_final(name, chosen, X, y, settings)
            with atomic_path(CANDIDATES / f"{name}.joblib") as tmp:
                joblib.dump(pipeline, tmp)
            oof[name] = pipeline[-1].calibrator.transform(chosen.oof)  # the probability the model serves
            oof[f"{name}{UNCALIBRATED}"] = chosen.oof
            summary["models"][name] = describe(name, chosen, pipeline, calibration, X, y, settings)
            timing[name] = {
                "search": [pop_run_time(row) for row in history],
                "imbalance": [pop_run_time(row) for row in imbalance_rows],
            }
            summary["search_history"][name] = history
            summary["imbalance"].extend(imbalance_rows)
    summary |= {
        "rows": len(y),
        "default_rate": float(y.mean()),
        "cv_folds": len(splits),
        "seed": settings.seed,
        "excluded_features": list(settings.excluded),
        "cost_weights": {"fn": settings.weights.fn, "fp": settings.weights.fp},
        "library_versions": library_versions(("xgboost", "joblib")),
    }
    write_csv(OOF_PREDICTIONS, oof, index=False, float_format="%.6f")
    write_json(TRAIN_SUMMARY, summary)
    write_run_log("credit_train", {"seconds": round(time.perf_counter() - started, 1), "runs": timing})


if __name__ == "__main__":
    run_stage(main, "credit.train")
