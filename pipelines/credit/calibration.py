"""Calibrated probabilities of default: a monotone map fitted on out-of-fold scores, and how to measure it.

A class-weighted or resampled model ranks clients well but its scores over-state the default rate
(they average about 0.36 where 8 % default). The registered model therefore ends with
`CalibratedClassifier`: the tuned classifier, refitted on the whole training split, followed by a
calibration map fitted on that configuration's *out-of-fold* scores, i.e. on predictions for rows
the scoring model had not been fitted on. This is what scikit-learn's
`CalibratedClassifierCV(cv=k, ensemble=False)` does (cross_val_predict, then one calibrator, then the
estimator refitted on everything); doing it here reuses the folds the search already fitted instead of
fitting them a second time. The test split is never seen.

Methods (`credit.calibration.method`): `isotonic` (scikit-learn's IsotonicRegression: a non-decreasing
step function, needs a few thousand rows, which the training split has), `sigmoid` (Platt scaling on
the log-odds of the score: two numbers, keeps every score distinct) or `none`.

Reliability is measured by the Brier score (mean squared error of the probability; predicting the base
rate for everyone scores rate × (1 − rate)) and the expected calibration error: clients in `bins`
groups of equal size by predicted probability, the mean |observed default rate − mean probability|
weighted by group size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import StratifiedKFold

METHODS = ("isotonic", "sigmoid", "none")
EPSILON = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), EPSILON, 1 - EPSILON)
    return np.log(p / (1 - p))


class ScoreCalibrator(BaseEstimator):
    """A monotone map from a model's score to a probability of default, fitted on (score, outcome) pairs."""

    def __init__(self, method: str = "isotonic"):
        self.method = method

    def fit(self, scores: np.ndarray, y: np.ndarray) -> ScoreCalibrator:
        if self.method not in METHODS:
            raise ValueError(f"unknown calibration method {self.method!r}; expected one of {METHODS}")
        scores, y = np.asarray(scores, dtype=float), np.asarray(y)
        if self.method == "isotonic":
            self.map_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, y)
        elif self.method == "sigmoid":
            self.map_ = LogisticRegression(C=1e6).fit(_logit(scores).reshape(-1, 1), y)
        else:
            self.map_ = None
        return self

    def transform(self, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, dtype=float)
        if self.method == "isotonic":
            return np.clip(self.map_.predict(scores), 0.0, 1.0)
        if self.method == "sigmoid":
            return self.map_.predict_proba(_logit(scores).reshape(-1, 1))[:, 1]
        return scores

    def describe(self) -> dict[str, Any]:
        """What the model card says about the map (JSON)."""
        if self.method == "isotonic":
            return {"method": "isotonic", "steps": int(len(self.map_.X_thresholds_))}
        if self.method == "sigmoid":
            return {
                "method": "sigmoid",
                "slope": float(self.map_.coef_[0, 0]),
                "intercept": float(self.map_.intercept_[0]),
            }
        return {"method": "none"}


class CalibratedClassifier(ClassifierMixin, BaseEstimator):
    """A fitted classifier followed by a fitted calibration map; `predict_proba` is calibrated.

    `estimator_` is the classifier's inner model, so SHAP (explanations.py) explains the uncalibrated
    score, in its own units (log-odds); the map is monotone, so a contribution that raises the score
    raises the calibrated probability too.
    """

    def __init__(self, classifier: Any = None, calibrator: ScoreCalibrator | None = None):
        self.classifier = classifier
        self.calibrator = calibrator

    @property
    def estimator_(self) -> Any:
        return getattr(self.classifier, "estimator_", self.classifier)

    @property
    def classes_(self) -> np.ndarray:
        return self.classifier.classes_

    def fit(self, X, y):  # both parts arrive fitted (see train.py); sklearn's API needs the method
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return self.classifier is not None and self.calibrator is not None and hasattr(self.calibrator, "map_")

    def raw_score(self, X) -> np.ndarray:
        return self.classifier.predict_proba(X)[:, 1]

    def predict_proba(self, X) -> np.ndarray:
        probability = self.calibrator.transform(self.raw_score(X))
        return np.column_stack([1 - probability, probability])

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate − mean probability| over `bins` equal-count groups by probability, weighted by size."""
    y, proba = np.asarray(y, dtype=float), np.asarray(proba, dtype=float)
    order = np.argsort(proba, kind="stable")
    groups = np.array_split(order, bins)
    return float(sum(len(g) * abs(y[g].mean() - proba[g].mean()) for g in groups if len(g)) / len(y))


def reliability_table(y: np.ndarray, proba: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """The points of a reliability diagram: per equal-count group, mean probability and observed rate."""
    y, proba = np.asarray(y, dtype=float), np.asarray(proba, dtype=float)
    order = np.argsort(proba, kind="stable")
    return [
        {
            "clients": int(len(g)),
            "mean_probability": float(proba[g].mean()),
            "observed_rate": float(y[g].mean()),
            "probability_low": float(proba[g].min()),
            "probability_high": float(proba[g].max()),
        }
        for g in np.array_split(order, bins)
        if len(g)
    ]


def calibration_scores(y: np.ndarray, proba: np.ndarray, bins: int = 10) -> dict[str, float]:
    """ECE, Brier score, the base rate's Brier score (everyone gets the observed rate) and the mean probability."""
    y, proba = np.asarray(y, dtype=float), np.asarray(proba, dtype=float)
    rate = float(y.mean())
    return {
        "ece": expected_calibration_error(y, proba, bins),
        "brier": float(brier_score_loss(y, proba)),
        "brier_base_rate": rate * (1 - rate),
        "mean_probability": float(proba.mean()),
        "observed_rate": rate,
    }


def cross_fitted(scores: np.ndarray, y: np.ndarray, method: str, folds: int, seed: int) -> np.ndarray:
    """Calibrated out-of-fold scores where each row's map was fitted on the other folds: an honest
    estimate of how well the method calibrates, on training data only."""
    scores, y = np.asarray(scores, dtype=float), np.asarray(y)
    out = np.empty(len(y))
    for fit_rows, apply_rows in StratifiedKFold(folds, shuffle=True, random_state=seed).split(scores, y):
        out[apply_rows] = ScoreCalibrator(method).fit(scores[fit_rows], y[fit_rows]).transform(scores[apply_rows])
    return out
