"""Model predictions in one long format, and the classification metrics computed from them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score, roc_auc_score

from pipelines.common.errors import DataError
from pipelines.common.io import write_csv

COLUMNS = ["dataset", "model", "split", "row", "polarity", "score", "predicted"]


def prediction_rows(dataset: str, model: str, split: str, labels, scores, predicted) -> pd.DataFrame:
    """One row per review: its position in the split, true label, positive score in [0, 1], predicted label."""
    labels = np.asarray(labels)
    return pd.DataFrame(
        {
            "dataset": dataset,
            "model": model,
            "split": split,
            "row": np.arange(len(labels)),
            "polarity": labels.astype(int),
            "score": np.asarray(scores, dtype=float),
            "predicted": np.asarray(predicted).astype(int),
        }
    )


def write_predictions(path: Path, frame: pd.DataFrame) -> None:
    write_csv(path, frame[COLUMNS], index=False, float_format="%.5f")


def read_predictions(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except (FileNotFoundError, ValueError) as error:
        raise DataError(f"cannot read predictions {path}: {error}") from error
    missing = set(COLUMNS) - set(frame.columns)
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    return frame


def classification_metrics(labels, predicted, scores) -> dict[str, float]:
    """Accuracy (with a 95 % normal-approximation half-width), precision/recall/F1 of the positive class,
    macro F1, ROC AUC and the confusion-matrix counts."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    accuracy = accuracy_score(labels, predicted)
    tn, fp, fn, tp = confusion_matrix(labels, predicted, labels=[0, 1]).ravel()
    return {
        "accuracy": round(float(accuracy), 4),
        "accuracy_ci95": round(float(1.96 * np.sqrt(accuracy * (1 - accuracy) / len(labels))), 4),
        "precision": round(float(precision_score(labels, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(labels, predicted, zero_division=0)), 4),
        "f1": round(float(f1_score(labels, predicted, zero_division=0)), 4),
        "macro_f1": round(float(f1_score(labels, predicted, average="macro", zero_division=0)), 4),
        "roc_auc": round(float(roc_auc_score(labels, scores)), 4) if len(set(labels)) == 2 else float("nan"),
        "tn": int(tn),
        "fp": int(fp),
        "fn": int(fn),
        "tp": int(tp),
        "n": len(labels),
    }


def selection_key(validation: dict[str, float]) -> tuple[float, float]:
    """How models are ranked on validation: accuracy, then ROC AUC (a NaN AUC ranks last)."""
    auc = validation.get("roc_auc", float("nan"))
    return (float(validation["accuracy"]), -1.0 if auc != auc else float(auc))
