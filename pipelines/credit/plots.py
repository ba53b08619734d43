"""The credit figures: cost curves, ROC, model comparison, overfitting, imbalance, confusion, reliability;
and the one extra need of the credit figures drawn by SHAP (the same bytes on every run)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from pipelines.credit.calibration import calibration_scores, reliability_table
from pipelines.credit.cost import CostWeights, cost_curve, threshold_grid
from pipelines.credit.paths import EVALUATION_FIGURES as FIGURES
from pipelines.credit.schema import TARGET
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure

COLOURS = {"dummy": "0.55", "logistic": "tab:blue", "xgboost": "tab:orange", "random_forest": "tab:green"}


def colour(model: str) -> str:
    return COLOURS.get(model, "tab:purple")


def plot_cost_curves(
    oof: pd.DataFrame, test: pd.DataFrame, models: dict, best: str, weights: CostWeights, steps: int, source: str
) -> tuple[Figure, pd.DataFrame]:
    grid = threshold_grid(steps)
    curves = pd.DataFrame({"threshold": grid})
    fig, ax = plt.subplots(figsize=(10, 5))
    for name, info in models.items():
        costs = cost_curve(oof[TARGET], oof[name], grid, weights)
        curves[name] = costs
        ax.plot(grid, costs, color=colour(name), lw=1.6, label=f"{name} (out-of-fold, training split)")
        if name != "dummy":
            ax.plot(info["threshold"], info["business_cost_oof"], "o", color=colour(name), ms=7)
    test_costs = cost_curve(test[TARGET], test[best], grid, weights)
    curves["best_model_test"] = test_costs
    curves["best_model"] = curves[best]
    ax.plot(grid, test_costs, color=colour(best), ls="--", lw=1.2, label=f"{best} on the test split")
    ax.axvline(models[best]["threshold"], color="black", lw=0.8, ls=":")
    ax.annotate(
        f"chosen threshold {models[best]['threshold']:.3f}",
        (models[best]["threshold"], ax.get_ylim()[1] * 0.95),
        xytext=(6, 0),
        textcoords="offset points",
        fontsize=8,
    )
    ax.set(
        title=f"Business cost per client ({weights.fn:g}·FN + {weights.fp:g}·FP) / n against the decision threshold",
        xlabel="threshold on the predicted probability of default (refuse when probability ≥ threshold)",
        ylabel="cost per client",
        ylim=(0, max(1.2, float(curves["dummy"].max()) * 1.05)),
    )
    ax.legend(fontsize=8, loc="upper right")
    caption = (
        "Dots: the threshold each model keeps, the minimum of its out-of-fold curve. The dashed line is the chosen "
        "model on the test split, never used to choose anything."
    )
    return Figure(save_figure(fig, FIGURES / "cost_curve.png", source, tight_layout=True), caption), curves


def plot_roc(curves: dict[str, tuple[np.ndarray, np.ndarray]], scores: dict, source: str) -> Figure:
    fig, ax = plt.subplots(figsize=(6.5, 6))
    for name, entry in scores.items():
        ax.plot(
            *curves[name],
            color=colour(name),
            label=f"{name}: AUC {entry['auc']:.3f} [{entry['auc_ci_low']:.3f}, {entry['auc_ci_high']:.3f}]",
        )
    ax.plot([0, 1], [0, 1], color="0.7", lw=0.8, ls=":")
    ax.set(
        title="ROC curves on the test split",
        xlabel="false-positive rate (good clients refused)",
        ylabel="true-positive rate (defaulters refused)",
    )
    ax.legend(fontsize=8, loc="lower right", title="test AUC [95 % bootstrap interval]", title_fontsize=8)
    return Figure(
        save_figure(fig, FIGURES / "roc_test.png", source, tight_layout=True),
        "ROC curves of every model on the test split.",
    )


def plot_comparison(scores: dict, source: str) -> Figure:
    names = list(scores)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.5 * len(names) + 2.2))
    for ax, key, label in (
        (left, "auc", "test AUC (higher is better)"),
        (right, "business_cost", "test cost per client (lower is better)"),
    ):
        values = [scores[n][key] for n in names]
        low = [scores[n][key] - scores[n][f"{key}_ci_low"] for n in names]
        high = [scores[n][f"{key}_ci_high"] - scores[n][key] for n in names]
        ax.barh(names, values, xerr=[low, high], color=[colour(n) for n in names], capsize=4)
        for y_pos, name in enumerate(names):
            ax.text(scores[name][f"{key}_ci_high"], y_pos, f"  {scores[name][key]:.3f}", fontsize=8, va="center")
        ax.set(xlabel=label, title=key.replace("_", " "))
    left.set_ylabel("model")
    left.set_xlim(0.45, 0.85)
    fig.suptitle("Models on the test split, with 95 % bootstrap intervals", fontweight="bold")
    return Figure(
        save_figure(fig, FIGURES / "model_comparison.png", source, tight_layout=True),
        "Error bars: 95 % percentile bootstrap intervals over test clients. The cost uses each model's "
        "out-of-fold threshold.",
    )


def plot_overfitting(scores: dict, leakage_auc: float, source: str) -> Figure:
    names = [n for n in scores if n != "dummy"]
    positions = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for offset, key, label, shade in (
        (-0.27, "auc_train", "train (refitted model, its own rows)", "0.75"),
        (0.0, "auc_cv", "cross-validation (mean of folds)", "tab:blue"),
        (0.27, "auc", "test split", "tab:orange"),
    ):
        bars = ax.bar(positions + offset, [scores[n][key] for n in names], width=0.27, label=label, color=shade)
        ax.bar_label(bars, fmt="%.3f", fontsize=8)
    ax.axhline(leakage_auc, color="red", ls="--", lw=1, label=f"leakage alarm: test AUC > {leakage_auc}")
    ax.set_xticks(positions, names)
    ax.set(title="Train, cross-validation and test AUC side by side", xlabel="model", ylabel="AUC", ylim=(0.5, 1.0))
    ax.legend(fontsize=8, loc="upper left")
    return Figure(
        save_figure(fig, FIGURES / "overfitting.png", source, tight_layout=True),
        "A large train-minus-CV gap is memorisation; CV and test close together means the CV estimate "
        "can be trusted; a test AUC above the alarm line would point to leakage.",
    )


def plot_imbalance(imbalance: pd.DataFrame, source: str) -> Figure | None:
    if imbalance.empty:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    table = imbalance.pivot(index="model", columns="strategy", values="auc_cv")
    table.plot.bar(ax=left, rot=0)
    left.set(
        title="CV AUC",
        xlabel="model",
        ylabel="mean fold AUC",
        ylim=(table.min().min() - 0.03, table.max().max() + 0.02),
    )
    left.legend(title="strategy", fontsize=8)
    costs = imbalance.pivot(index="model", columns="strategy", values="business_cost_oof")
    costs.plot.bar(ax=right, rot=0)
    right.set(
        title="Out-of-fold cost at each strategy's best threshold",
        xlabel="model",
        ylabel="cost per client",
        ylim=(costs.min().min() - 0.1, costs.max().max() + 0.05),
    )
    right.legend(title="strategy", fontsize=8)
    fig.suptitle("Class-imbalance strategies, cross-validated on the training split", fontweight="bold")
    return Figure(
        save_figure(fig, FIGURES / "imbalance.png", source, tight_layout=True),
        "Each strategy re-scored with the model's tuned hyper-parameters, on the same folds.",
    )


def plot_confusion(scores: dict, best: str, source: str) -> Figure:
    entry = scores[best]
    matrix = np.array(
        [[entry["true_negatives"], entry["false_positives"]], [entry["false_negatives"], entry["true_positives"]]]
    )
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.imshow(matrix, cmap="Blues")
    ax.grid(False)
    for (row, col), count in np.ndenumerate(matrix):
        ax.text(
            col,
            row,
            f"{count:,}",
            ha="center",
            va="center",
            fontsize=12,
            color="black" if count < matrix.max() / 2 else "white",
        )
    ax.set_xticks([0, 1], ["granted", "refused"])
    ax.set_yticks([0, 1], ["repaid (0)", "defaulted (1)"])
    ax.set(title=f"{best} on the test split at threshold {entry['threshold']:.3f}", xlabel="decision", ylabel="outcome")
    return Figure(
        save_figure(fig, FIGURES / "confusion_matrix.png", source, tight_layout=True),
        "Decisions against outcomes on the test split.",
    )


def plot_reliability(
    y: np.ndarray, proba: np.ndarray, uncalibrated: np.ndarray, best: str, bins: int, source: str
) -> Figure:
    """Observed default rate against mean predicted probability, per equal-count group of test clients."""
    fig, ax = plt.subplots(figsize=(6.5, 6))
    for values, label, shade, marker in (
        (uncalibrated, "score before calibration", "0.6", "s"),
        (proba, "served probability (calibrated on out-of-fold scores)", "tab:orange", "o"),
    ):
        table = pd.DataFrame(reliability_table(y, values, bins))
        scores = calibration_scores(y, values, bins)
        ax.plot(
            table["mean_probability"],
            table["observed_rate"],
            marker=marker,
            color=shade,
            label=f"{label}: ECE {scores['ece']:.3f}, Brier {scores['brier']:.4f}",
        )
    top = float(max(np.max(proba), np.max(uncalibrated), np.mean(y) * 3))
    ax.plot([0, top], [0, top], color="black", lw=0.8, ls=":", label="perfect calibration")
    rate = float(np.mean(y))
    ax.axhline(rate, color="tab:red", lw=0.8, ls="--", label=f"base rate {rate:.3f} (Brier {rate * (1 - rate):.4f})")
    ax.set(
        title=f"{best}: reliability on the test split ({bins} equal-count groups)",
        xlabel="mean predicted probability of default in the group",
        ylabel="observed default rate in the group",
    )
    ax.legend(fontsize=8, loc="upper left")
    return Figure(
        save_figure(fig, FIGURES / "reliability.png", source, tight_layout=True),
        "Each point is a tenth of the test clients ranked by probability. On the dotted diagonal, a group given 20 % "
        "defaults 20 % of the time. ECE: mean distance to the diagonal weighted by group size.",
    )


@contextmanager
def numpy_global_seed(seed: int) -> Iterator[None]:
    """numpy's global generator seeded for the block, then restored: for libraries that draw from it
    (SHAP's beeswarm jitter) without taking a generator, so their figures are the same on every run."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
