"""Stage `credit_register`: the chosen model becomes the registered one, with its model card.

`models/credit/model.joblib` is declared in dvc.yaml's `artifacts:` (DVC's model registry). The card
says what the model is, which threshold turns its probability into a decision, how it scored, which
data and which library versions made it: a pickle is only safe to load with the same versions.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil

from pipelines.common.io import atomic_path, read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.paths import ROOT
from pipelines.common.provenance import file_sha256, library_versions, utc_now
from pipelines.common.stage import run_stage
from pipelines.credit.data import read_frame, read_summary, write_frame
from pipelines.credit.features import ENGINEERED, MISSING_COUNT
from pipelines.credit.paths import BACKGROUND, CANDIDATES, METRICS, MODEL, MODEL_CARD, TRAIN, TRAIN_SUMMARY
from pipelines.credit.schema import FEATURE_NAMES, REQUIRED, TARGET

log = get_logger("credit.register")
MODEL_NAME = "credit-default-scorer"  # the name in dvc.yaml's artifacts


def content_sha256(path) -> str:
    """sha256 of a gzip file's content: the gzip header of our outputs names a temporary file, so its bytes vary."""
    with gzip.open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def model_version(best: str, spec: dict, train_sha256: str) -> str:
    """Same model, parameters, threshold and training rows → same version."""
    fingerprint = json.dumps(
        [best, spec["params"], spec["imbalance"], spec["threshold"], train_sha256], sort_keys=True, default=str
    )
    return f"{best}-{hashlib.sha256(fingerprint.encode()).hexdigest()[:12]}"


def main() -> None:
    register = load_params("credit").section("register")
    background_rows = register.integer("background_rows", minimum=10)
    seed = register.integer("seed")
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
    version = model_version(best, spec, train_sha256)
    card = {
        "name": MODEL_NAME,
        "model": best,
        "version": version,
        "family": spec["family"],
        "created_at": utc_now(),
        "artefact": str(MODEL.relative_to(ROOT)),
        "artefact_sha256": file_sha256(MODEL),
        "task": "probability that a loan applicant defaults (Home Credit application fields)",
        "decision": {
            "threshold": spec["threshold"],
            "rule": "refuse when probability >= threshold, grant otherwise",
            "cost_weights": summary["cost_weights"],
            "chosen_on": "out-of-fold predictions of the training split (never the test split)",
        },
        "parameters": spec["params"],
        "imbalance_strategy": spec["imbalance"],
        "probability_note": (
            "class-weighted or resampled models over-state the default rate; only the ranking and the threshold are "
            "calibrated to the business cost"
            if spec["imbalance"] != "none"
            else "unweighted model: probabilities are on the scale of the training default rate"
        ),
        "metrics": {
            "test": metrics["test"][best],
            "dummy_test_business_cost": metrics["test"]["dummy"]["business_cost"],
            "cv_folds": summary["cv_folds"],
        },
        "features": {
            "inputs": [name for name in FEATURE_NAMES if name not in excluded],
            "excluded": excluded,
            "engineered": [*ENGINEERED, MISSING_COUNT],
            "required": list(REQUIRED),
            "always_present_in_training": [
                name for name in FEATURE_NAMES if name not in excluded and train[name].notna().all()
            ],
            "missing_values": "any other field may be missing (null): it is imputed or handled natively by the model",
        },
        "explanations": {
            "method": "SHAP: TreeSHAP for tree models, LinearSHAP for the logistic regression",
            "units": "log-odds of default" if best in ("xgboost", "logistic") else "probability of default",
            "background": str(BACKGROUND.relative_to(ROOT)),
        },
        "data": {
            "source": data["source"],
            "description": data["description"],
            "kind": data["kind"],
            "labelled_sha256": data["files"]["labelled"]["sha256"],
            "train_split_sha256": train_sha256,  # of the uncompressed CSV
            "rows_train": data["rows"]["train"],
            "default_rate_train": data["default_rate"]["train"],
            "terms": "Kaggle Home Credit Default Risk: research and education only",
        },
        "library_versions": library_versions(("xgboost", "shap", "joblib")),
        "intended_use": "decision support for loan officers, with the explanation shown; not an automatic refusal",
        "limitations": [
            "trained on the application table only (no bureau or previous-application history)",
            "trained on a sample of the Kaggle data: the test AUC interval is wide",
            "the drift report (reports/credit/drift.html) compares it with the unlabelled applications",
        ],
    }
    write_json(MODEL_CARD, card)
    log.info("registered %s version %s (threshold %.3f)", best, version, spec["threshold"])


if __name__ == "__main__":
    run_stage(main, "credit.register")
