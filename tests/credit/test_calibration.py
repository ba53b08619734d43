"""Calibration: the ECE and Brier definitions, the maps, and a real model calibrated on out-of-fold scores."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from pipelines.credit.calibration import (
    CalibratedClassifier,
    ScoreCalibrator,
    calibration_scores,
    cross_fitted,
    expected_calibration_error,
    reliability_table,
)
from pipelines.credit.explanations import PipelineExplainer
from pipelines.credit.schema import TARGET
from tests.credit.conftest import fit_pipeline


def test_ece_by_hand():
    # two groups of two: probabilities 0.1, 0.1 (no default) and 0.6, 0.8 (one default of two)
    y = np.array([0, 0, 1, 0])
    proba = np.array([0.1, 0.1, 0.6, 0.8])
    assert expected_calibration_error(y, proba, bins=2) == pytest.approx((2 * 0.1 + 2 * abs(0.5 - 0.7)) / 4)
    table = reliability_table(y, proba, bins=2)
    assert [row["clients"] for row in table] == [2, 2]
    assert table[1]["observed_rate"] == 0.5 and table[1]["mean_probability"] == pytest.approx(0.7)


def test_brier_of_the_base_rate_is_rate_times_one_minus_rate(rng):
    y = (rng.random(5000) < 0.08).astype(int)
    scores = calibration_scores(y, np.full(len(y), y.mean()))
    assert scores["brier"] == pytest.approx(scores["brier_base_rate"])
    assert scores["brier_base_rate"] == pytest.approx(y.mean() * (1 - y.mean()))


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_a_map_fitted_on_inflated_scores_calibrates_fresh_ones(rng, method):
    """Scores that over-state the risk (as class weighting does) come out on the scale of observed rates."""
    true = rng.beta(1, 11, 40_000)  # about 8 % defaults on average
    y = (rng.random(len(true)) < true).astype(int)
    inflated = 1 / (1 + np.exp(-(np.log(true / (1 - true)) + 1.8)))
    fit, fresh = slice(0, 20_000), slice(20_000, None)
    calibrator = ScoreCalibrator(method).fit(inflated[fit], y[fit])
    before = expected_calibration_error(y[fresh], inflated[fresh])
    after = expected_calibration_error(y[fresh], calibrator.transform(inflated[fresh]))
    assert before > 0.15 and after < 0.01
    # monotone: the ranking is kept
    order = np.argsort(inflated[fresh])
    assert np.all(np.diff(calibrator.transform(inflated[fresh])[order]) >= -1e-12)


def test_cross_fitted_calibration_maps_each_fold_with_the_other_folds_only(rng):
    scores = rng.random(600)
    y = (rng.random(600) < scores).astype(int)
    crossed = cross_fitted(scores, y, "sigmoid", 5, seed=0)
    for fit_rows, apply_rows in StratifiedKFold(5, shuffle=True, random_state=0).split(scores, y):
        alone = ScoreCalibrator("sigmoid").fit(scores[fit_rows], y[fit_rows]).transform(scores[apply_rows])
        np.testing.assert_allclose(crossed[apply_rows], alone)
    # and not the map fitted on every row, which has seen each row's outcome
    assert not np.allclose(crossed, ScoreCalibrator("sigmoid").fit(scores, y).transform(scores))


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown calibration method 'platt'"):
        ScoreCalibrator("platt").fit(np.array([0.1, 0.9]), np.array([0, 1]))


@pytest.fixture(scope="module")
def calibrated_on_oof(small_split):
    """A class-weighted XGBoost refitted on the training rows, calibrated on its own 3-fold out-of-fold scores."""
    train, _ = small_split
    X, y = train.drop(columns=[TARGET]), train[TARGET].to_numpy()
    oof = np.empty(len(y))
    for fit_rows, valid_rows in StratifiedKFold(3, shuffle=True, random_state=0).split(X, y):
        model = fit_pipeline(train.iloc[fit_rows])
        oof[valid_rows] = model.predict_proba(X.iloc[valid_rows])[:, 1]
    final = fit_pipeline(train)
    calibrator = ScoreCalibrator("isotonic").fit(oof, y)
    return Pipeline([*final.steps[:-1], ("model", CalibratedClassifier(final[-1], calibrator))]), final


def test_a_real_model_calibrated_on_out_of_fold_scores_tells_the_default_rate(calibrated_on_oof, small_split):
    calibrated, raw = calibrated_on_oof
    _, test = small_split
    X, y = test.drop(columns=[TARGET]), test[TARGET].to_numpy()
    before = calibration_scores(y, raw.predict_proba(X)[:, 1])
    after = calibration_scores(y, calibrated.predict_proba(X)[:, 1])
    assert before["mean_probability"] > 2 * y.mean()  # class weighting over-states the default rate
    assert after["ece"] < before["ece"] / 3
    assert after["brier"] < after["brier_base_rate"] < before["brier"]
    assert abs(after["mean_probability"] - y.mean()) < 0.03


def test_shap_still_explains_the_calibrated_model(calibrated_on_oof, small_split):
    calibrated, raw = calibrated_on_oof
    _, test = small_split
    frame = test.drop(columns=[TARGET]).head(3)
    explainer = PipelineExplainer(calibrated, frame)
    np.testing.assert_allclose(
        explainer.explain(frame).values, PipelineExplainer(raw, frame).explain(frame).values, rtol=1e-6
    )
    # the score SHAP explains is the uncalibrated one; the served probability is its monotone map
    raw_score = calibrated[-1].raw_score(calibrated[:-1].transform(frame))
    np.testing.assert_allclose(raw_score, raw.predict_proba(frame)[:, 1])
