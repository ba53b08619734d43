"""Metrics and the sentences of the freelance reports: every conclusion is computed from the numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error, r2_score

from pipelines.freelance.split import BANDS


def price_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        "mae": float(mean_absolute_error(actual, predicted)),
        "rmse": float(np.sqrt(mean_squared_error(actual, predicted))),
        "r2": float(r2_score(actual, predicted)),
    }


def band_accuracy(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(accuracy_score(actual, predicted))


def exploration_text(summary: dict, train: pd.DataFrame) -> list[str]:
    rows, missing = summary["rows"], summary["missing"]
    medians = train.groupby("level")["price"].median()
    order = medians.sort_values()
    text = [
        f"{rows['read']} gigs read; {rows['exact_duplicates']} exact duplicates dropped. The file has no seller "
        f"column, so reworded copies of one gig are found by their titles: {rows['near_duplicate_groups']} groups "
        f"of near-duplicate titles, {rows['rows_in_multi_gig_groups']} gigs in a group of two or more. The split "
        f"holds whole groups out ({summary['groups_shared_by_train_and_test']} groups on both sides).",
        f"Outlier rule: {summary['outlier_rule']}, i.e. above {summary['outlier_fence']:.2f} thousand PKR. It "
        f"removes {rows['outliers_train']} of {rows['train_before_outliers']} training gigs "
        f"({100 * rows['outliers_train'] / rows['train_before_outliers']:.1f} %) and "
        f"{rows['outliers_test']} of {rows['test_before_outliers']} test gigs; the highest training price was "
        f"{summary['price_train']['max_before_outliers']:.0f} thousand PKR. Left: {rows['train']} training and "
        f"{rows['test']} test gigs.",
        f"{missing['unrated']} gigs are unrated (their reliability is the training mean rating "
        f"{summary['reliability_prior']['mean_rating']:.3f}); {missing['level_empty']} have no seller level and "
        f"{missing['level_artefact']} carry a scraper artefact in its place "
        f"({', '.join(missing['level_artefact_values']) or 'none'}), "
        "both read as level `none`.",
        f"Band edges (training terciles, placed between two distinct prices): Low below "
        f"{summary['band_edges'][0]:.3f}, High from {summary['band_edges'][1]:.3f} thousand PKR; training counts "
        + ", ".join(f"{band} {count}" for band, count in summary["band_counts_train"].items())
        + ".",
        "Median training price by seller level: "
        + ", ".join(f"{level} {value:.2f}" for level, value in order.items())
        + f" thousand PKR; the {order.index[-1]} sellers' median is {order.iloc[-1] / order.iloc[0]:.1f}× the "
        f"{order.index[0]} sellers'.",
    ]
    return text


def target_verdicts(test: dict, best: str, baseline: str, targets: dict, rows: int = 0) -> list[str]:
    """Whether the chosen model meets each target on the test split, in words (and, given the number of test
    rows, how precise the accuracy is)."""
    entry, dummy = test[best], test[baseline]
    ratio = entry["mae"] / dummy["mae"]
    mae_met = ratio <= targets["mae_vs_baseline"]
    band_met = entry["band_accuracy"] >= targets["band_accuracy"]
    text = [
        f"Price: MAE {entry['mae']:.2f} thousand PKR against {dummy['mae']:.2f} for the median baseline, a ratio of "
        f"{ratio:.3f}: the target (≤ {targets['mae_vs_baseline']}) is "
        + (
            "met."
            if mae_met
            else f"not met (the MAE would have to be ≤ {targets['mae_vs_baseline'] * dummy['mae']:.2f})."
        ),
        f"Bands: accuracy {entry['band_accuracy']:.3f} against {dummy['band_accuracy']:.3f} for the majority band ("
        + ("above" if entry["band_accuracy"] > dummy["band_accuracy"] else "not above")
        + f" it): the target (≥ {targets['band_accuracy']}) is "
        + ("met." if band_met else "not met."),
    ]
    if rows:
        error = float(np.sqrt(entry["band_accuracy"] * (1 - entry["band_accuracy"]) / rows))
        text.append(
            f"With {rows} test gigs an accuracy carries a standard error of about {error:.3f}: differences between "
            f"band models smaller than {2 * error:.3f} are not resolved by the test split."
        )
    return text


def client_comparison(test: dict, best: str, keras: str, client: dict) -> list[str]:
    """Our test numbers against the client's report, and the sign of each difference."""
    ours, theirs = test[best], client["gradient_boosting"]
    text = [
        f"The client reports MAE {theirs['mae']:.2f} / RMSE {theirs['rmse']:.2f} / R² {theirs['r2']:.3f}; the chosen "
        f"regressor here has MAE {ours['mae']:.2f} / RMSE {ours['rmse']:.2f} / R² {ours['r2']:.3f} on the test split: "
        + (
            "lower error than the client's."
            if ours["mae"] < theirs["mae"]
            else f"{ours['mae'] - theirs['mae']:.2f} thousand PKR more MAE than the client's."
        ),
        f"Bands: the client's decision tree {client['decision_tree_bands']['band_accuracy']:.4f}, ours "
        f"{ours['band_accuracy']:.4f} ("
        + ("higher" if ours["band_accuracy"] > client["decision_tree_bands"]["band_accuracy"] else "lower")
        + ").",
    ]
    if keras in test:
        k = test[keras]
        text.append(
            f"Keras two-head model: the client's MAE {client['keras']['mae']:.2f} / R² {client['keras']['r2']:.3f}, "
            f"ours MAE {k['mae']:.2f} ± {k.get('mae_std', 0):.2f} / R² {k['r2']:.3f} ± {k.get('r2_std', 0):.3f} over "
            f"{k.get('seeds', 1)} seeds."
        )
    return text


def selection_text(cv_table: pd.DataFrame, chosen_price: str, chosen_band: str, dummy_price: str) -> list[str]:
    """Which models were chosen on the CV folds, and by how much they beat the dummy there."""
    price = cv_table.loc[chosen_price]
    dummy = cv_table.loc[dummy_price]
    gap = dummy["mae_cv"] - price["mae_cv"]
    resolved = gap > price["mae_cv_std"] + dummy["mae_cv_std"]
    return [
        f"Chosen on the CV folds only: {chosen_price} for the price (CV MAE {price['mae_cv']:.3f} ± "
        f"{price['mae_cv_std']:.3f}, the median baseline {dummy['mae_cv']:.3f} ± {dummy['mae_cv_std']:.3f}: "
        + ("a gap larger than the fold spread)" if resolved else "a gap within the fold spread)")
        + f" and {chosen_band} for the band.",
    ]


def band_order_text(predicted_price: np.ndarray, predicted_band: np.ndarray) -> str:
    """Whether the served bands are ordered like the served prices (mean predicted price per predicted band)."""
    means = [
        float(predicted_price[predicted_band == band].mean()) if (predicted_band == band).any() else np.nan
        for band in range(3)
    ]
    present = [m for m in means if not np.isnan(m)]
    ordered = all(a < b for a, b in zip(present, present[1:]))
    return (
        "Mean predicted price per predicted band: "
        + ", ".join(f"{BANDS[i]} {m:.2f}" for i, m in enumerate(means) if not np.isnan(m))
        + (": ordered like the bands." if ordered else ": NOT ordered like the bands.")
    )


def protocol_text(protocols: dict, client: dict) -> list[str]:
    """The client's protocol against ours (same default models, same seeds), and whether the protocol alone
    reaches the client's figures (within two standard deviations of the client-protocol runs)."""
    ours, theirs = protocols["leak_free"], protocols["client"]
    seeds = len(protocols["seeds"])

    def shown(entry: dict, metric: str) -> str:
        return f"{entry[metric]['mean']:.3f} ± {entry[metric]['std']:.3f}"

    reached = {
        metric: abs(theirs[metric]["mean"] - value) <= 2 * theirs[metric]["std"]
        for metric, value in (
            ("r2", client["gradient_boosting"]["r2"]),
            ("band_accuracy", client["decision_tree_bands"]["band_accuracy"]),
        )
    }
    text = [
        f"Same default Gradient Boosting and decision tree, {seeds} seeds each. Client-like protocol (random row "
        f"split of every row, duplicates kept, fence and band edges from all prices): MAE {shown(theirs, 'mae')}, "
        f"R² {shown(theirs, 'r2')}, band accuracy {shown(theirs, 'band_accuracy')}; "
        f"{100 * theirs['test_titles_seen_in_training']:.1f} % of its test titles also appear in its training rows. "
        f"Leak-free protocol (ours): MAE {shown(ours, 'mae')}, R² {shown(ours, 'r2')}, band accuracy "
        f"{shown(ours, 'band_accuracy')}, {100 * ours['test_titles_seen_in_training']:.1f} % of test titles seen.",
        (
            "The client-like protocol "
            + ("reaches" if reached["r2"] else "does not reach")
            + f" the client's R² {client['gradient_boosting']['r2']:.3f} and "
            + ("reaches" if reached["band_accuracy"] else "does not reach")
            + f" their band accuracy {client['decision_tree_bands']['band_accuracy']:.4f} (within two standard "
            "deviations of its runs)"
            + (
                ": the protocol alone explains their figures."
                if all(reached.values())
                else ": the split protocol alone does not explain the client's figures; their exact split, rows "
                "(the source has 1,259) and features are not published."
            )
        ),
    ]
    return text
