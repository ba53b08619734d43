"""Randomised hyper-parameter search by stratified cross-validation on the training split, keeping
out-of-fold predictions.

The encoders are fitted once per fold (on that fold's training rows only, target encoding included)
and their output reused by every candidate: the search then only refits classifiers, which is what
keeps the default run within its time budget. Each candidate is scored by its mean fold AUC; the
winner's out-of-fold probabilities are what the decision threshold is chosen on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import ParameterSampler, StratifiedKFold

from pipelines.credit.features import make_feature_pipeline
from pipelines.credit.models import make_classifier


@dataclass
class Fold:
    train_rows: np.ndarray
    valid_rows: np.ndarray
    X_train: np.ndarray
    X_valid: np.ndarray


@dataclass
class CVResult:
    params: dict[str, Any]
    strategy: str
    oof: np.ndarray
    fold_aucs: list[float]
    seconds: float

    @property
    def auc_mean(self) -> float:
        return float(np.mean(self.fold_aucs))

    @property
    def auc_std(self) -> float:
        return float(np.std(self.fold_aucs))


@dataclass
class SearchResult:
    best: CVResult
    history: list[dict[str, Any]] = field(default_factory=list)


def stratified_splits(y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))


def encode_folds(
    X: pd.DataFrame, y: np.ndarray, splits, kind: str, excluded: tuple[str, ...], settings: dict, seed: int
) -> list[Fold]:
    """Each fold's encoded matrices, the encoder fitted on that fold's training rows only."""
    folds = []
    for train_rows, valid_rows in splits:
        encoder = make_feature_pipeline(kind, excluded, settings, seed)
        X_train = encoder.fit_transform(X.iloc[train_rows], y[train_rows])
        X_valid = encoder.transform(X.iloc[valid_rows])
        folds.append(
            Fold(train_rows, valid_rows, np.asarray(X_train, dtype=np.float32), np.asarray(X_valid, dtype=np.float32))
        )
    return folds


def _fit_predict(classifier, fold: Fold, y: np.ndarray) -> np.ndarray:
    model = clone(classifier).fit(fold.X_train, y[fold.train_rows])
    return model.predict_proba(fold.X_valid)[:, 1]


def cross_validate(
    name: str, params: dict, strategy: str, ratio: float, folds: list[Fold], y: np.ndarray, seed: int, n_jobs: int
) -> CVResult:
    """Out-of-fold probabilities and per-fold AUCs of one configuration (folds run in parallel threads)."""
    classifier = make_classifier(name, params, strategy, ratio, seed)
    started = time.perf_counter()
    predictions = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_fit_predict)(classifier, fold, y) for fold in folds
    )
    oof = np.full(len(y), np.nan)
    for fold, predicted in zip(folds, predictions):
        oof[fold.valid_rows] = predicted
    fold_aucs = [float(roc_auc_score(y[fold.valid_rows], oof[fold.valid_rows])) for fold in folds]
    return CVResult(dict(params), strategy, oof, fold_aucs, time.perf_counter() - started)


def random_search(
    name: str,
    space: dict[str, Any],
    n_iter: int,
    fixed: dict[str, Any],
    strategy: str,
    ratio: float,
    folds: list[Fold],
    y: np.ndarray,
    seed: int,
    n_jobs: int,
) -> SearchResult:
    """`n_iter` candidates drawn from `space` (plus the `fixed` params); the best mean fold AUC wins."""
    candidates = list(ParameterSampler(space, n_iter=n_iter, random_state=seed)) if space else [{}]
    best, history = None, []
    for number, candidate in enumerate(candidates):
        params = fixed | {key: _plain(value) for key, value in candidate.items()}
        result = cross_validate(name, params, strategy, ratio, folds, y, seed, n_jobs)
        history.append(
            {
                "candidate": number,
                **{f"param_{key}": value for key, value in candidate.items()},
                "auc_mean": result.auc_mean,
                "auc_std": result.auc_std,
                "seconds": round(result.seconds, 2),
            }
        )
        if best is None or result.auc_mean > best.auc_mean:
            best = result
    return SearchResult(best, history)


def _plain(value: Any) -> Any:
    """numpy scalars from scipy distributions → Python numbers (JSON, XGBoost and YAML friendly)."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
