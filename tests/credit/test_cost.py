"""The business cost, the threshold search and the bootstrap intervals."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from pipelines.credit.cost import (
    CostWeights,
    auc_from_counts,
    best_threshold,
    bootstrap,
    business_cost,
    cost_curve,
    threshold_grid,
)

WEIGHTS = CostWeights(fn=10, fp=1)


def test_cost_by_hand():
    y = np.array([1, 1, 0, 0, 0])
    proba = np.array([0.9, 0.2, 0.8, 0.1, 0.3])
    # threshold 0.5: refused = first and third; FN = second client, FP = third client
    assert business_cost(y, proba, 0.5, WEIGHTS) == (10 * 1 + 1 * 1) / 5
    assert business_cost(y, proba, 1.01, WEIGHTS) == 10 * 2 / 5  # grant everyone: every defaulter is a FN
    assert business_cost(y, proba, 0.0, WEIGHTS) == 3 / 5  # refuse everyone: every good client is a FP


def test_vectorised_curve_matches_the_definition(rng):
    y = rng.integers(0, 2, 500)
    proba = np.round(rng.random(500), 2)  # ties on purpose
    grid = threshold_grid(100)
    expected = [business_cost(y, proba, t, WEIGHTS) for t in grid]
    np.testing.assert_allclose(cost_curve(y, proba, grid, WEIGHTS), expected)


def test_calibrated_scores_give_the_textbook_threshold(rng):
    """For calibrated probabilities the cost-optimal threshold is fp / (fn + fp) = 1/11."""
    proba = rng.beta(1, 8, 200_000)
    y = (rng.random(proba.size) < proba).astype(int)
    threshold, cost = best_threshold(y, proba, WEIGHTS)
    assert abs(threshold - 1 / 11) < 0.01
    assert cost < business_cost(y, proba, 1.01, WEIGHTS)


def test_a_constant_score_grants_everyone_when_defaults_are_rare():
    y = np.array([1] * 8 + [0] * 92)
    threshold, cost = best_threshold(y, np.full(100, 0.08), WEIGHTS)
    assert threshold > 0.08 and cost == 10 * 0.08


def test_count_auc_equals_scikit_learn_with_ties(rng):
    y = rng.integers(0, 2, 1000)
    proba = np.round(rng.random(1000) * 0.5 + 0.3 * y, 2)
    values, level = np.unique(proba, return_inverse=True)
    positives = np.bincount(level[y == 1], minlength=len(values))
    negatives = np.bincount(level[y == 0], minlength=len(values))
    assert np.isclose(auc_from_counts(positives, negatives), roc_auc_score(y, proba))


def test_bootstrap_interval_brackets_the_estimate_and_shrinks_with_more_data(rng):
    def interval(n):
        y = rng.integers(0, 2, n)
        proba = np.clip(0.5 + 0.2 * (y - 0.5) + rng.normal(0, 0.2, n), 0, 1)
        result = bootstrap(y, proba, 0.5, WEIGHTS, n=300, seed=0)
        assert result["auc_ci_low"] <= roc_auc_score(y, proba) <= result["auc_ci_high"]
        assert (
            result["business_cost_ci_low"] <= business_cost(y, proba, 0.5, WEIGHTS) <= result["business_cost_ci_high"]
        )
        return result["auc_ci_high"] - result["auc_ci_low"]

    assert interval(4000) < interval(400)
