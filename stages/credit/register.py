"""Stage `credit_register`: the chosen model becomes the registered one, with its model card.

`models/credit/model.joblib` is declared in dvc.yaml's `artifacts:` (DVC's model registry). The card
says what the model is, which threshold turns its probability into a decision, how it scored, which
data and which library versions made it: a pickle is only safe to load with the same versions.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil

from pipelines.common.io import atomic_path, read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_section
from pipelines.common.paths import ROOT
from pipelines.common.stage import run_stage
from pipelines.credit.data import read_frame, read_summary, write_frame
from pipelines.credit.features import ENGINEERED, MISSING_COUNT
from pipelines.credit.paths import (
    BACKGROUND,
    CANDIDATES,
    METRICS,
    MISSING_GRID,
    MODEL,
    MODEL_CARD,
    TRAIN,
    TRAIN_SUMMARY,
)
from pipelines.credit.schema import FEATURE_NAMES, REQUIRED, TARGET
from pipelines.credit.settings import MissingParams, RegisterParams
from pipelines.credit.withholding import build_grid
from pipelines.model_card import fingerprint_version, model_card

log = get_logger("credit.register")
MODEL_NAME = "credit-default-scorer"  # the name in dvc.yaml's artifacts


def content_sha256(path) -> str:
    """sha256 of a gzip file's content: the gzip header of our outputs names a temporary file, so its bytes vary."""
    with gzip.open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def model_version(best: str, spec: dict, train_sha256: str) -> str:
    """Same model, parameters, threshold and training rows → same version."""
    calibration = spec.get("calibration", {}).get("method", "none")
    return fingerprint_version(
        best, [best, spec["params"], spec["imbalance"], calibration, spec["threshold"], train_sha256]
    )


def probability_note(spec: dict, test: dict) -> str:
    """What the served probability means, from how it was made and how it scored on the test split."""
    method = spec.get("calibration", {}).get("method", "none")
    if method == "none":
        return (
            "uncalibrated model score: class-weighted or resampled models over-state the default rate; only the "
            "ranking and the threshold are tuned to the business cost"
            if spec["imbalance"] != "none"
            else "unweighted model: probabilities are on the scale of the training default rate, not calibrated"
        )
    measured = (
        f" On the test split: expected calibration error {test['ece']:.3f} (10 equal-count groups), Brier score "
        f"{test['brier']:.4f} against {test['brier_base_rate']:.4f} for the base rate."
        if "ece" in test
        else ""
    )
    return (
        f"calibrated probability of default ({method} map fitted on out-of-fold scores of the training split, never "
        "the test split): among clients given a probability p, a share p is expected to default." + measured
    )


def main() -> None:
    register = load_section("credit.register", RegisterParams)
    background_rows, seed = register.background_rows, register.seed
    missing = load_section("credit.missing", MissingParams)
    points, joint_points, ext_points = missing.points, missing.joint_points, missing.ext_points
    metrics = read_json(METRICS)
    summary = read_json(TRAIN_SUMMARY)
    data = read_summary()
    best = metrics["best_model"]
    spec = summary["models"][best]
    train_sha256 = content_sha256(TRAIN)

    with atomic_path(MODEL) as tmp:
        shutil.copyfile(CANDIDATES / f"{best}.joblib", tmp)
    train = read_frame(TRAIN)
    background = train.drop(columns=[TARGET]).sample(min(background_rows, len(train)), random_state=seed)
    write_frame(BACKGROUND, background)

    excluded = summary["excluded_features"]
    optional = [name for name in FEATURE_NAMES if name not in excluded and name not in REQUIRED]
    write_json(MISSING_GRID, build_grid(train, optional, points, joint_points, ext_points))
    version = model_version(best, spec, train_sha256)
    card = model_card(
        name=MODEL_NAME,
        model=best,
        version=version,
        artefact=MODEL,
        task="probability that a loan applicant defaults (Home Credit application fields)",
        family=spec["family"],
        decision={
            "threshold": spec["threshold"],
            "rule": "refuse when probability >= threshold, grant otherwise",
            "cost_weights": summary["cost_weights"],
            "chosen_on": "calibrated out-of-fold predictions of the training split (never the test split)",
        },
        parameters=spec["params"],
        imbalance_strategy=spec["imbalance"],
        probability_note=probability_note(spec, metrics["test"][best]),
        calibration={
            key: value
            for key, value in spec.get("calibration", {"method": "none"}).items()
            if key != "oof_cross_fitted"
        }
        | {
            "test": {
                key: metrics["test"][best][key]
                for key in ("ece", "brier", "brier_base_rate", "mean_probability", "observed_rate")
                if key in metrics["test"][best]
            }
        },
        metrics={
            "test": metrics["test"][best],
            "dummy_test_business_cost": metrics["test"]["dummy"]["business_cost"],
            "cv_folds": summary["cv_folds"],
        },
        features={
            "inputs": [name for name in FEATURE_NAMES if name not in excluded],
            "excluded": excluded,
            "engineered": [*ENGINEERED, MISSING_COUNT],
            "required": list(REQUIRED),
            "always_present_in_training": [
                name for name in FEATURE_NAMES if name not in excluded and train[name].notna().all()
            ],
            "missing_values": (
                "any other field may be missing (null): the model imputes it or handles it natively; a grant is "
                "given only if no value of the missing fields seen in training would turn it into a refusal, "
                "otherwise the decision is `review` and the answer names those fields (pipelines/credit/withholding.py)"
            ),
            "missing_value_grid": {
                "file": str(MISSING_GRID.relative_to(ROOT)),
                "points": points,
                "joint_points": joint_points,
                "ext_points": ext_points,
            },
        },
        explanations={
            "method": "SHAP: TreeSHAP for tree models, LinearSHAP for the logistic regression",
            "units": "log-odds of default" if best in ("xgboost", "logistic") else "probability of default",
            "background": str(BACKGROUND.relative_to(ROOT)),
        },
        data={
            "source": data["source"],
            "description": data["description"],
            "kind": data["kind"],
            "labelled_sha256": data["files"]["labelled"]["sha256"],
            "train_split_sha256": train_sha256,  # of the uncompressed CSV
            "rows_train": data["rows"]["train"],
            "default_rate_train": data["default_rate"]["train"],
            "terms": "Kaggle Home Credit Default Risk: research and education only",
        },
        libraries=("xgboost", "shap", "joblib"),
        intended_use="decision support for loan officers, with the explanation shown; not an automatic refusal",
        limitations=[
            "trained on the application table only (no bureau or previous-application history)",
            "trained on a sample of the Kaggle data: the test AUC interval is wide",
            "the drift report (reports/credit/drift.html) compares it with the unlabelled applications",
        ],
    )
    write_json(MODEL_CARD, card)
    log.info("registered %s version %s (threshold %.3f)", best, version, spec["threshold"])


if __name__ == "__main__":
    run_stage(main, "credit.register")
