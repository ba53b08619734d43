"""The business cost of a decision rule and the threshold that minimises it.

A client is refused when the predicted probability of default is at least the threshold. A false
negative (a defaulter who was granted the loan) costs `fn_cost`, a false positive (a good client who
was refused) costs `fp_cost`; the cost is normalised per client, so 0.83 means "0.83 false-positive
units per application", whatever the number of clients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

from pipelines.common.params import Params, parse_section
from pipelines.credit.settings import CostParams


@dataclass(frozen=True)
class CostWeights:
    fn: float = 10.0
    fp: float = 1.0


def business_cost(y: np.ndarray, proba: np.ndarray, threshold: float, weights: CostWeights) -> float:
    y, refused = np.asarray(y), np.asarray(proba) >= threshold
    false_negatives = np.sum((y == 1) & ~refused)
    false_positives = np.sum((y == 0) & refused)
    return float((weights.fn * false_negatives + weights.fp * false_positives) / len(y))


def cost_curve(y: np.ndarray, proba: np.ndarray, thresholds: np.ndarray, weights: CostWeights) -> np.ndarray:
    """Normalised cost at every threshold (vectorised: two sorted arrays and binary searches)."""
    y, proba = np.asarray(y), np.asarray(proba)
    positives, negatives = np.sort(proba[y == 1]), np.sort(proba[y == 0])
    false_negatives = np.searchsorted(positives, thresholds, side="left")  # defaulters below the threshold
    false_positives = len(negatives) - np.searchsorted(negatives, thresholds, side="left")
    return (weights.fn * false_negatives + weights.fp * false_positives) / len(y)


def threshold_grid(steps: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, steps + 1)


def best_threshold(y: np.ndarray, proba: np.ndarray, weights: CostWeights, steps: int = 1000) -> tuple[float, float]:
    """(threshold, cost) minimising the cost; among equal costs, the middle of the first flat stretch."""
    grid = threshold_grid(steps)
    costs = cost_curve(y, proba, grid, weights)
    best = np.flatnonzero(np.isclose(costs, costs.min()))
    stretch = best[: np.argmax(np.diff(np.append(best, best[-1] + 2)) > 1) + 1]
    chosen = stretch[len(stretch) // 2]
    return float(grid[chosen]), float(costs[chosen])


def auc(y: np.ndarray, proba: np.ndarray) -> float:
    return float(roc_auc_score(y, proba))


def auc_from_counts(positives: np.ndarray, negatives: np.ndarray) -> float:
    """AUC from how many positives and negatives share each distinct score (scores in increasing order).

    Each positive beats the negatives below its score and ties with the negatives on it (one half).
    """
    negatives_below = np.cumsum(negatives) - negatives
    return float((positives * (negatives_below + 0.5 * negatives)).sum() / (positives.sum() * negatives.sum()))


def bootstrap(
    y: np.ndarray, proba: np.ndarray, threshold: float, weights: CostWeights, n: int, seed: int, level: float = 0.95
) -> dict[str, float]:
    """Percentile bootstrap intervals of the AUC and of the cost at a fixed threshold (rows resampled).

    Each resample is summarised by how many positives and negatives fall on each distinct score, so
    an AUC (ties count one half, as in roc_auc_score) costs one cumulative sum instead of a sort.
    """
    y, proba = np.asarray(y), np.asarray(proba)
    values, level_of_row = np.unique(proba, return_inverse=True)
    refused = values >= threshold
    rng = np.random.default_rng(seed)
    aucs, costs = [], []
    for _ in range(n):
        rows = rng.integers(0, len(y), len(y))
        positive = y[rows] == 1
        pos = np.bincount(level_of_row[rows][positive], minlength=len(values))
        neg = np.bincount(level_of_row[rows][~positive], minlength=len(values))
        if pos.sum() == 0 or neg.sum() == 0:
            continue
        aucs.append(auc_from_counts(pos, neg))
        costs.append(float((weights.fn * pos[~refused].sum() + weights.fp * neg[refused].sum()) / len(y)))
    tail = 100 * (1 - level) / 2
    return {
        "auc_ci_low": float(np.percentile(aucs, tail)),
        "auc_ci_high": float(np.percentile(aucs, 100 - tail)),
        "business_cost_ci_low": float(np.percentile(costs, tail)),
        "business_cost_ci_high": float(np.percentile(costs, 100 - tail)),
    }


def cost_weights(credit: Params) -> tuple[CostWeights, int]:
    """The weights and threshold steps of `credit.cost`, checked by pipelines/credit/settings.py CostParams."""
    cost = parse_section(CostParams, credit.get("cost"), credit.name("cost"))
    return CostWeights(fn=cost.fn, fp=cost.fp), cost.threshold_steps
