"""The freelance figures: exploration of the training split, and the evaluation's comparisons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.freelance.data import LEVEL_ORDER
from pipelines.freelance.features import bayesian_rating
from pipelines.freelance.split import BANDS
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure


def price_distribution(prices: np.ndarray, fence: float, edges: tuple[float, float], path: Path, source: str) -> Figure:
    """Histogram of log prices with the outlier fence and the band edges."""
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.hist(np.log10(prices * 1000), bins=40, color="tab:blue", alpha=0.8)
    ax.axvline(np.log10(fence * 1000), color="tab:red", linestyle="--", label=f"outlier fence {fence:.1f} k PKR")
    for edge, name in zip(edges, ("Low | Medium", "Medium | High")):
        ax.axvline(np.log10(edge * 1000), color="0.3", linestyle=":", label=f"band edge {name}: {edge:.2f} k PKR")
    ticks = [1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6]
    ax.set_xticks(np.log10(ticks), [f"{t / 1000:g}k" for t in ticks])
    ax.set(
        title="Gig prices (training split, before removing outliers)",
        xlabel="starting price (PKR, log scale)",
        ylabel="gigs",
    )
    ax.legend()
    return Figure(
        save_figure(fig, path, source, tight_layout=True),
        "Distribution of the training prices: a few package values and a long right tail.",
    )


def price_vs_reliability(
    frame: pd.DataFrame, prior_mean: float, prior_reviews: float, path: Path, source: str
) -> Figure:
    """Price against the Bayesian-average rating, coloured by log reviews."""
    reliability = bayesian_rating(frame["rating"], frame["reviews"], prior_mean, prior_reviews)
    fig, ax = plt.subplots(figsize=(9, 4.2))
    points = ax.scatter(reliability, frame["price"], c=np.log10(1 + frame["reviews"]), cmap="viridis", s=14, alpha=0.75)
    ax.set_yscale("log")
    ax.set(
        title="Price against seller reliability (training split, outliers removed)",
        xlabel=f"reliability: rating averaged with {prior_reviews:g} prior reviews at the mean {prior_mean:.2f}",
        ylabel="price (thousands of PKR, log scale)",
    )
    fig.colorbar(points, ax=ax, label="log10(1 + reviews)")
    return Figure(
        save_figure(fig, path, source, tight_layout=True), "Each dot is a gig; unrated gigs sit at the prior mean."
    )


def price_by_level(frame: pd.DataFrame, path: Path, source: str) -> Figure:
    """Box plot of prices per seller level."""
    levels = [level for level in LEVEL_ORDER if (frame["level"] == level).any()]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    data = [frame.loc[frame["level"] == level, "price"] for level in levels]
    ax.boxplot(data, showfliers=True)
    ax.set_xticks(range(1, len(levels) + 1), [f"{level}\n(n={len(d)})" for level, d in zip(levels, data)])
    ax.set_yscale("log")
    ax.set(
        title="Price by seller level (training split, outliers removed)",
        xlabel="seller level ('none': no badge shown)",
        ylabel="price (thousands of PKR, log scale)",
    )
    return Figure(
        save_figure(fig, path, source, tight_layout=True),
        "Median, quartiles and extremes of the price for each seller level.",
    )


def model_comparison(table: pd.DataFrame, metric: str, label: str, path: Path, source: str, title: str) -> Figure:
    """Horizontal bars of one metric per model: cross-validated (mean ± std) and test."""
    table = table.sort_values(f"{metric}_cv")
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(table) + 1.5))
    positions = np.arange(len(table))
    ax.barh(positions - 0.2, table[f"{metric}_cv"], 0.4, xerr=table[f"{metric}_cv_std"], label="CV (training folds)")
    ax.barh(positions + 0.2, table[metric], 0.4, label="test split")
    ax.set_yticks(positions, table.index)
    ax.set(title=title, xlabel=label, ylabel="model")
    ax.legend(loc="lower right")
    return Figure(
        save_figure(fig, path, source, tight_layout=True),
        f"{label}: mean ± std over the CV folds, and on the test split.",
    )


def predicted_vs_actual(actual: np.ndarray, predicted: np.ndarray, model: str, path: Path, source: str) -> Figure:
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.scatter(actual, predicted, s=12, alpha=0.6)
    top = max(float(np.max(actual)), float(np.max(predicted)))
    ax.plot([0, top], [0, top], color="0.4", linestyle="--", label="perfect")
    ax.set(title=f"{model}: predicted against actual price (test)", xlabel="actual (k PKR)", ylabel="predicted (k PKR)")
    ax.legend()
    return Figure(
        save_figure(fig, path, source, tight_layout=True), "Points below the diagonal are under-priced by the model."
    )


def band_confusion(matrix: np.ndarray, model: str, path: Path, source: str) -> Figure:
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, str(value), ha="center", va="center", color="black")
    ax.set_xticks(range(3), BANDS)
    ax.set_yticks(range(3), BANDS)
    ax.grid(False)
    ax.set(title=f"{model}: price bands (test)", xlabel="predicted band", ylabel="actual band")
    return Figure(save_figure(fig, path, source, tight_layout=True), "Rows: actual band; columns: predicted band.")
