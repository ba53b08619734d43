"""Behavioural tests of a small fitted model: invariance, directional expectations, minimum functionality."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from pipelines.credit.schema import CATEGORICAL, TARGET


def test_minimum_functionality_on_held_out_rows(small_split, fitted_xgboost):
    test = small_split[1]
    assert roc_auc_score(test[TARGET], fitted_xgboost.predict_proba(test)[:, 1]) > 0.65


def test_gender_does_not_change_any_decision(small_split, fitted_xgboost):
    """CODE_GENDER is excluded (protected attribute): swapping it changes no score."""
    test = small_split[1].drop(columns=[TARGET])
    swapped = test.copy()
    swapped["CODE_GENDER"] = swapped["CODE_GENDER"].map({"F": "M", "M": "F"})
    np.testing.assert_array_equal(fitted_xgboost.predict_proba(test), fitted_xgboost.predict_proba(swapped))


def test_better_external_scores_lower_the_risk(small_split, fitted_xgboost):
    test = small_split[1].drop(columns=[TARGET])
    good, bad = test.copy(), test.copy()
    for name in ("EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3"):
        good[name], bad[name] = 0.8, 0.2
    p_good, p_bad = fitted_xgboost.predict_proba(good)[:, 1], fitted_xgboost.predict_proba(bad)[:, 1]
    assert p_good.mean() < p_bad.mean()
    assert (p_good < p_bad).mean() > 0.9


def test_more_missing_fields_do_not_crash_and_stay_probabilities(small_split, fitted_xgboost):
    test = small_split[1].drop(columns=[TARGET]).head(50)
    sparse = test.copy()
    for name in sparse.columns[20:]:
        sparse[name] = pd.Series(np.nan, index=sparse.index, dtype=object if name in CATEGORICAL else float)
    proba = fitted_xgboost.predict_proba(sparse)[:, 1]
    assert np.isfinite(proba).all() and ((proba >= 0) & (proba <= 1)).all()
