"""Credit model evaluation on the held-out test split: scores with bootstrap intervals, the metrics
contract, the registered model's choice (training information only) and the ROC curves.

The best model is chosen on out-of-fold training results; the test split says how well the choice holds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, roc_curve

from pipelines.common.selection import choose
from pipelines.credit.calibration import calibration_scores
from pipelines.credit.cost import CostWeights, auc, best_threshold, bootstrap, business_cost
from pipelines.credit.schema import TARGET


def score_models(
    models: dict[str, dict],
    test_proba: dict[str, np.ndarray],
    y_test: np.ndarray,
    weights: CostWeights,
    steps: int,
    n_boot: int,
    seed: int,
    leakage_auc: float,
    test_scores: dict[str, np.ndarray] | None = None,
    bins: int = 10,
) -> dict[str, dict[str, float]]:
    """The `test` block of the metrics contract: numbers only, one entry per model.

    `test_proba` are the served (calibrated) probabilities; `test_scores` the same models' scores before
    calibration, for the before/after calibration figures (`ece_uncalibrated`, `brier_uncalibrated`)."""
    dummy_cost = None
    scores = {}
    for name, info in models.items():
        proba, threshold = test_proba[name], info["threshold"]
        refused = proba >= threshold
        tn, fp, fn, tp = confusion_matrix(y_test, refused.astype(int), labels=[0, 1]).ravel()
        test_auc = auc(y_test, proba)
        entry = {
            "auc": test_auc,
            "business_cost": business_cost(y_test, proba, threshold, weights),
            "threshold": threshold,
            "auc_train": info["auc_train"],
            "auc_cv": info["auc_cv"],
            "auc_cv_std": info["auc_cv_std"],
            **bootstrap(y_test, proba, threshold, weights, n_boot, seed),
            "business_cost_oof": info["business_cost_oof"],
            "business_cost_at_test_optimal_threshold": best_threshold(y_test, proba, weights, steps)[1],
            "refusal_rate": float(refused.mean()),
            "true_positives": int(tp),
            "false_positives": int(fp),
            "false_negatives": int(fn),
            "true_negatives": int(tn),
            "overfit_gap_train_cv": info["auc_train"] - info["auc_cv"],
            "leakage_flag": int(test_auc > leakage_auc),
            **calibration_scores(y_test, proba, bins),
        }
        if test_scores is not None and name in test_scores:
            before = calibration_scores(y_test, test_scores[name], bins)
            entry |= {"ece_uncalibrated": before["ece"], "brier_uncalibrated": before["brier"]}
        if name == "dummy":
            dummy_cost = entry["business_cost"]
        scores[name] = entry
    for entry in scores.values():
        entry["business_cost_vs_dummy"] = entry["business_cost"] / dummy_cost if dummy_cost else float("nan")
    return scores


def metrics_contract(
    data: dict,
    scores: dict,
    best: str,
    selection: str,
    weights: CostWeights,
    leakage_auc: float,
    cv_folds: int,
    n_boot: int,
) -> dict:
    """reports/credit/metrics.json: data, test (numbers only, one entry per model), best_model, and context."""
    return {
        "data": {
            "source": data["source"],
            "kind": data["kind"],
            "description": data["description"],
            "rows": data["rows"]["used"],
            "rows_available": data["rows"]["labelled"],
            "rows_train": data["rows"]["train"],
            "rows_test": data["rows"]["test"],
            "rows_current": data["rows"]["current"],
            "default_rate": data["default_rate"]["labelled"],
            "sha256": data["files"]["labelled"]["sha256"],
        },
        "test": scores,
        "best_model": best,
        "selection": {
            "business_cost": "lowest out-of-fold business cost on the training split",
            "auc_cv": "highest cross-validated AUC on the training split",
        }[selection],
        "cost_weights": {"fn": weights.fn, "fp": weights.fp},
        "leakage_auc": leakage_auc,
        "leakage_suspected": [name for name, entry in scores.items() if entry["leakage_flag"]],
        "cv_folds": cv_folds,
        "bootstrap_resamples": n_boot,
    }


def choose_best(models: dict[str, dict], by: str) -> str:
    """Lowest out-of-fold cost (or highest CV AUC) among the real models: never a test-split number."""
    contenders = [name for name in models if name != "dummy"]
    what = "model besides the dummy baseline"
    if by == "auc_cv":
        return choose(
            contenders, lambda name: models[name]["auc_cv"], split="cross-validation", higher_is_better=True, what=what
        )
    return choose(
        contenders,
        lambda name: (models[name]["business_cost_oof"], -models[name]["auc_cv"]),
        split="cross-validation",
        higher_is_better=False,
        what=what,
    )


def roc_curves(test: pd.DataFrame, models: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(false-positive rate, true-positive rate) of each model on the test split, computed once for the
    figure and the plot table."""
    return {name: roc_curve(test[TARGET], test[name])[:2] for name in models}


def roc_table(curves: dict[str, tuple[np.ndarray, np.ndarray]], points: int = 201) -> pd.DataFrame:
    """True-positive rate of every model on one false-positive-rate grid (one column per model), so a
    single file draws one ROC line per model in `dvc plots`; the curves are interpolated linearly."""
    grid = np.linspace(0.0, 1.0, points)
    rates = {name: np.interp(grid, fpr, tpr) for name, (fpr, tpr) in curves.items()}
    return pd.DataFrame({"false_positive_rate": grid} | rates)
