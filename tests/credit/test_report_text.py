"""Every sentence of interpretation in the credit evaluation report follows the numbers it cites:
each test feeds numbers on both sides of a conclusion and checks that the wording flips."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from pipelines.credit.report import calibration_text, cost_text, imbalance_text, overfitting_text, results_text


def entry(**changes) -> dict:
    base = {
        "auc": 0.77,
        "auc_ci_low": 0.74,
        "auc_ci_high": 0.80,
        "auc_cv": 0.76,
        "auc_train": 0.85,
        "business_cost": 0.50,
        "business_cost_ci_low": 0.46,
        "business_cost_ci_high": 0.54,
        "business_cost_oof": 0.52,
        "business_cost_at_test_optimal_threshold": 0.48,
        "business_cost_vs_dummy": 0.6,
        "threshold": 0.10,
        "refusal_rate": 0.3,
        "true_positives": 180,
        "false_negatives": 90,
        "false_positives": 800,
        "true_negatives": 2230,
        "overfit_gap_train_cv": 0.09,
        "ece": 0.012,
        "brier": 0.070,
        "brier_base_rate": 0.075,
        "mean_probability": 0.083,
        "observed_rate": 0.081,
        "ece_uncalibrated": 0.27,
        "brier_uncalibrated": 0.16,
    }
    return base | changes


@pytest.fixture
def metrics() -> dict:
    return {
        "test": {
            "dummy": entry(business_cost=0.83, refusal_rate=0.0, overfit_gap_train_cv=0.0, business_cost_vs_dummy=1.0),
            "xgboost": entry(),
            "logistic": entry(business_cost=0.52, business_cost_oof=0.53, overfit_gap_train_cv=0.01),
        },
        "best_model": "xgboost",
        "selection": "lowest out-of-fold business cost on the training split",
        "cost_weights": {"fn": 10, "fp": 1},
        "leakage_auc": 0.82,
        "leakage_suspected": [],
    }


DATA = {"rows": {"test": 3305}, "default_rate": {"train": 0.083}}
FAMILIES = {"xgboost": "gradient boosting", "logistic": "linear", "dummy": "baseline"}


def changed(metrics: dict, model: str = "xgboost", **values) -> dict:
    out = copy.deepcopy(metrics)
    out["test"][model].update(values)
    return out


def joined(lines: list[str]) -> str:
    return " ".join(lines)


def test_cv_inside_or_outside_the_test_interval(metrics):
    assert "the cross-validated estimate holds" in joined(overfitting_text(metrics, FAMILIES))
    outside = joined(overfitting_text(changed(metrics, auc_cv=0.83), FAMILIES))
    assert "outside the test interval" in outside and "holds" not in outside


def test_memorisation_is_named_only_when_the_gap_is_large(metrics):
    assert "memorisation by the gradient boosting model" in joined(overfitting_text(metrics, FAMILIES))
    small = changed(metrics, overfit_gap_train_cv=0.005)
    small["test"]["logistic"]["overfit_gap_train_cv"] = 0.004
    assert "no model memorises much" in joined(overfitting_text(small, FAMILIES))


def test_leakage_alarm_follows_the_flag(metrics):
    assert "No model reaches the leakage alarm" in joined(overfitting_text(metrics, FAMILIES))
    flagged = copy.deepcopy(metrics) | {"leakage_suspected": ["xgboost"]}
    assert "Leakage alarm: xgboost" in joined(overfitting_text(flagged, FAMILIES))


def test_calibration_verdicts_flip_with_ece_and_brier(metrics):
    text = joined(calibration_text(metrics, 0.02))
    assert "within the 0.02 target" in text and "better, so the probability carries information" in text
    assert "calibration divides the calibration error by 22" in text
    bad = joined(calibration_text(changed(metrics, ece=0.05, brier=0.08), 0.02))
    assert "above the 0.02 target" in bad and "no better than the base rate" in bad
    assert "within the" not in bad
    worse = joined(calibration_text(changed(metrics, ece=0.05, ece_uncalibrated=0.03), 0.02))
    assert "calibration made it worse" in worse


def test_the_threshold_is_compared_with_the_cost_weights_from_params(metrics):
    text = joined(cost_text(metrics, DATA))
    assert "1 / (10 + 1) = 0.091" in text and "close to it" in text
    assert "up to 10 good clients worth one defaulter" in text
    high = joined(cost_text(changed(metrics, threshold=0.4), DATA))
    assert "above it" in high and "close to it" not in high
    other_weights = copy.deepcopy(metrics) | {"cost_weights": {"fn": 5, "fp": 1}}
    assert "1 / (5 + 1) = 0.167" in joined(cost_text(other_weights, DATA))
    assert "costs 5, a false positive" in joined(cost_text(other_weights, DATA))


def test_the_price_of_an_honest_threshold_can_be_zero(metrics):
    assert "costs 0.020 per client more" in joined(cost_text(metrics, DATA))
    same = changed(metrics, business_cost_at_test_optimal_threshold=0.50)
    assert "does as well on the test split" in joined(cost_text(same, DATA))


def test_baseline_sentence_follows_the_dummy_and_the_ratio(metrics):
    text = joined(results_text(metrics, DATA))
    assert "which grants every loan" in text and "40 % lower" in text
    refusing = changed(metrics, "dummy", refusal_rate=1.0)
    assert "which refuses every loan" in joined(results_text(refusing, DATA))
    losing = changed(metrics, business_cost_vs_dummy=1.1)
    assert "does not beat the baseline" in joined(results_text(losing, DATA))


def test_a_better_model_on_the_test_split_is_placed_against_the_interval(metrics):
    inside = changed(metrics, "logistic", business_cost=0.48)
    assert "within xgboost's interval" in joined(results_text(inside, DATA))
    below = changed(metrics, "logistic", business_cost=0.40)
    assert "below xgboost's interval" in joined(results_text(below, DATA))
    assert "does better" not in joined(results_text(metrics, DATA))


def test_imbalance_conclusion_follows_the_spread():
    rows = pd.DataFrame(
        [
            {"model": "xgboost", "strategy": "none", "auc_cv": 0.76, "business_cost_oof": 0.520},
            {"model": "xgboost", "strategy": "class_weight", "auc_cv": 0.761, "business_cost_oof": 0.515},
        ]
    )
    models = {"xgboost": {"imbalance": "class_weight"}}
    assert "changes the cost by 0.005 per client only" in joined(imbalance_text(rows, models))
    rows.loc[0, "business_cost_oof"] = 0.60
    assert "The strategy matters here: 0.085" in joined(imbalance_text(rows, models))
