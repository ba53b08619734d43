"""The cars report's figures: titled, labelled, with the data's source line under each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.cars.models import ages
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure

COLOURS = {"expert": "0.45", "linear": "tab:blue", "xgboost": "tab:orange"}


def plot_exploration(train: pd.DataFrame, listing_year: int, path: Path, source: str) -> Figure:
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.hist(np.log10(train["price"]), bins=60, color="tab:blue", alpha=0.8)
    ticks = [1_000, 3_000, 10_000, 30_000, 100_000]
    left.set_xticks(np.log10(ticks), [f"{tick:,}" for tick in ticks])
    left.set(title="Asking prices (training split)", xlabel="price (EUR, log scale)", ylabel="listings")
    by_age = train.assign(age=ages(train["year"], listing_year)).groupby("age")
    right.plot(by_age["price"].median().index, by_age["price"].median(), marker="o", label="median price")
    right.set(title="Median price and mileage by age (training split)", xlabel="age (years)", ylabel="EUR")
    twin = right.twinx()
    twin.plot(by_age["mileage"].median().index, by_age["mileage"].median() / 1000, color="tab:green", marker="s")
    twin.set_ylabel("median mileage (1,000 km)", color="tab:green")
    twin.grid(False)
    right.legend(loc="upper center")
    caption = "Left: asking prices span two orders of magnitude (hence models of log price). Right: the median "
    caption += "price falls with age while the median mileage grows: age and mileage are confounded."
    return Figure(save_figure(fig, path, source, tight_layout=True), caption)


def plot_predicted_vs_actual(actual: np.ndarray, predicted: np.ndarray, model: str, path: Path, source: str) -> Figure:
    fig, ax = plt.subplots(figsize=(6.5, 6))
    ax.scatter(actual, predicted, s=4, alpha=0.3, color=COLOURS.get(model, "tab:purple"))
    limits = [min(actual.min(), predicted.min()), max(actual.max(), predicted.max())]
    ax.plot(limits, limits, color="black", linewidth=1, label="predicted = actual")
    ax.set(xscale="log", yscale="log", title=f"{model}: predicted against asking price (test split)")
    ax.set(xlabel="asking price (EUR)", ylabel="predicted price (EUR)")
    ax.legend()
    return Figure(
        save_figure(fig, path, source, tight_layout=True),
        f"Every test listing; points on the diagonal are priced exactly ({model}).",
    )


def plot_errors_by_group(tables: dict[str, pd.DataFrame], models: list[str], path: Path, source: str) -> Figure:
    fig, axes = plt.subplots(1, len(tables), figsize=(5 * len(tables), 4.8))
    for ax, (what, table) in zip(np.atleast_1d(axes), tables.items(), strict=True):
        positions = np.arange(len(table))
        width = 0.8 / len(models)
        for offset, model in enumerate(models):
            ax.bar(positions + offset * width, table[f"{model}_mape"], width, label=model, color=COLOURS.get(model))
        ax.set_xticks(positions + width * (len(models) - 1) / 2, [str(label) for label in table.index], rotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
        ax.set(title=f"MAPE by {what} (test split)", xlabel=what, ylabel="MAPE (%)")
    np.atleast_1d(axes)[0].legend()
    caption = "Mean absolute percentage error of each model within each group of test listings (groups: "
    caption += "price bands and age bins from params.yaml, makes by training frequency)."
    return Figure(save_figure(fig, path, source, tight_layout=True), caption)


def plot_depreciation(curves: pd.DataFrame, best: str, path: Path, source: str) -> Figure:
    fig, ax = plt.subplots(figsize=(9, 4.8))
    ax.plot(curves["age"], 100 * curves["expert_rule"], color="black", marker="o", label="expert rule")
    ax.plot(
        curves["age"],
        100 * curves["model_typical_mileage"],
        color="tab:orange",
        marker="s",
        label=f"{best}: typical mileage for the age",
    )
    ax.plot(
        curves["age"], 100 * curves["model_age_only"], color="tab:orange", linestyle="--", label=f"{best}: age alone"
    )
    ax.set(
        title="Depreciation: share of the age-0 price kept, learnt from the data against the expert rule",
        xlabel="age (years since first registration)",
        ylabel="% of the price at age 0",
        ylim=(0, 105),
    )
    ax.legend()
    caption = "Partial dependence of the chosen model on age, averaged over test listings and divided by its "
    caption += "value at age 0: with each car's own mileage (age alone) and with the training median mileage of "
    caption += "each age (a typical car); the expert rule is −20, −15, −10, −10, −7, −5 % a year then the tail rate."
    return Figure(save_figure(fig, path, source, tight_layout=True), caption)


def plot_partial_dependence(curves: dict[str, pd.DataFrame], model: str, path: Path, source: str) -> Figure:
    labels = {"year": "first registration (year)", "mileage": "mileage (km)", "hp": "power (hp)"}
    fig, axes = plt.subplots(1, len(curves), figsize=(5 * len(curves), 4))
    for ax, (feature, curve) in zip(np.atleast_1d(axes), curves.items(), strict=True):
        ax.plot(curve["value"], curve["price"], color=COLOURS.get(model, "tab:purple"))
        ax.set(title=f"Partial dependence on {feature}", xlabel=labels.get(feature, feature), ylabel="price (EUR)")
    caption = f"{model}: geometric-mean predicted price of the sampled test listings with one field set to each "
    caption += "value (1st–99th training percentiles), everything else as listed. Year and mileage are "
    caption += "constrained monotone: the curves never rise with age or kilometres."
    return Figure(save_figure(fig, path, source, tight_layout=True), caption)
