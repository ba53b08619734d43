"""Cross-validation and the randomised search: out-of-fold predictions, encoders fitted inside the folds."""

from __future__ import annotations

import numpy as np

from pipelines.credit.data import features_and_target
from pipelines.credit.models import parse_space
from pipelines.credit.tuning import cross_validate, encode_folds, random_search, stratified_splits
from tests.credit.conftest import FEATURE_SETTINGS


def _folds(small_split, y=None, kind="tree"):
    X, target = features_and_target(small_split[0])
    y = target if y is None else y
    splits = stratified_splits(target, 3, seed=0)
    return X, target, splits, encode_folds(X, y, splits, kind, ("CODE_GENDER",), FEATURE_SETTINGS, seed=0)


def test_every_training_row_gets_exactly_one_out_of_fold_prediction(small_split):
    _, y, splits, folds = _folds(small_split)
    result = cross_validate("xgboost", {"n_estimators": 20}, "class_weight", 1.0, folds, y, seed=0, n_jobs=2)
    assert not np.isnan(result.oof).any() and len(result.oof) == len(y)
    assert sorted(np.concatenate([valid for _, valid in splits]).tolist()) == list(range(len(y)))
    assert len(result.fold_aucs) == 3 and 0.6 < result.auc_mean < 0.9


def test_validation_rows_are_encoded_without_their_labels(small_split):
    """Target encoding is fitted on each fold's training rows: a validation label cannot move its own encoding."""
    _, y, splits, folds = _folds(small_split, kind="linear")
    flipped = y.copy()
    flipped[splits[0][1]] = 1 - flipped[splits[0][1]]
    _, _, _, folds_flipped = _folds(small_split, y=flipped, kind="linear")
    np.testing.assert_array_equal(folds[0].X_valid, folds_flipped[0].X_valid)
    assert not np.array_equal(folds[1].X_valid, folds_flipped[1].X_valid)  # fold 0's rows train fold 1


def test_search_keeps_the_best_mean_fold_auc(small_split):
    _, y, _, folds = _folds(small_split)
    space = parse_space("space", {"max_depth": [1, 3], "n_estimators": {"randint": [10, 30]}})
    found = random_search("xgboost", space, 3, {"max_bin": 64}, "none", 1.0, folds, y, seed=0, n_jobs=1)
    assert len(found.history) == 3
    assert found.best.auc_mean == max(row["auc_mean"] for row in found.history)
    assert found.best.params["max_bin"] == 64 and {"max_depth", "n_estimators"} <= found.best.params.keys()
    assert all(isinstance(value, int) for value in (found.best.params["n_estimators"], found.best.params["max_depth"]))
