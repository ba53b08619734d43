"""What the split protocol alone does to the scores: the client's protocol against ours, same model, same seeds.

The client's report does not publish its split; the usual notebook protocol is a random row split of every
row (duplicates kept) after an outlier rule computed on all prices. Here both protocols are run with the
same default Gradient Boosting (price, squared error on the price in thousands of PKR, as the client's) and
the same decision tree (bands, edges at the terciles of the fitting rows), over several seeds:

- `client`: random 80/20 row split of all rows, IQR fence and band edges from all prices;
- `leak_free`: duplicates dropped, near-duplicate groups kept on one side, fence and edges from training only.

This is a diagnosis of the protocols, not a model choice: it reads every row by design, and nothing it
computes is used by the served models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from pipelines.common.seeds import spread
from pipelines.freelance.features import feature_frame, make_features
from pipelines.freelance.split import (
    assign_bands,
    band_edges,
    drop_duplicates,
    group_split,
    near_duplicate_groups,
    outlier_fence,
)
from pipelines.freelance.text import band_accuracy, price_metrics


def _score(train: pd.DataFrame, test: pd.DataFrame, edges, text: dict, prior_reviews: float, seed: int) -> dict:
    price_model = Pipeline(
        [("features", make_features(text, prior_reviews)), ("model", GradientBoostingRegressor(random_state=seed))]
    ).fit(feature_frame(train), train["price"])
    band_model = Pipeline(
        [
            ("features", make_features(text, prior_reviews)),
            ("model", DecisionTreeClassifier(max_depth=5, random_state=seed)),
        ]
    ).fit(feature_frame(train), assign_bands(train["price"], edges))
    scores = price_metrics(test["price"], price_model.predict(feature_frame(test)))
    bands = band_model.predict(feature_frame(test))
    return scores | {"band_accuracy": band_accuracy(assign_bands(test["price"], edges), bands)}


def client_split(gigs: pd.DataFrame, k: float, seed: int):
    kept = gigs[gigs["price"] <= outlier_fence(gigs["price"].to_numpy(), k)]
    train, test = train_test_split(kept, test_size=0.2, random_state=seed)
    return train, test, band_edges(kept["price"].to_numpy())


def leak_free_split(gigs: pd.DataFrame, k: float, seed: int, cosine: float):
    unique, _ = drop_duplicates(gigs)
    train_rows, test_rows = group_split(unique, near_duplicate_groups(unique["title"], cosine), 0.2, seed)
    train, test = unique.iloc[train_rows], unique.iloc[test_rows]
    fence = outlier_fence(train["price"].to_numpy(), k)
    train, test = train[train["price"] <= fence], test[test["price"] <= fence]
    return train, test, band_edges(train["price"].to_numpy())


def compare_protocols(
    gigs: pd.DataFrame, seeds: list[int], k: float, cosine: float, text: dict, prior_reviews: float
) -> dict:
    """Mean and std over `seeds` of MAE, RMSE, R² and band accuracy under each protocol, and how many test
    rows had an exact copy among the training rows."""
    results: dict = {}
    for name in ("client", "leak_free"):
        runs, copies = [], []
        for seed in seeds:
            if name == "client":
                train, test, edges = client_split(gigs, k, seed)
            else:
                train, test, edges = leak_free_split(gigs, k, seed, cosine)
            runs.append(_score(train, test, edges, text, prior_reviews, seed))
            seen = set(train["title"].str.lower())
            copies.append(float(test["title"].str.lower().isin(seen).mean()))
        results[name] = {
            metric: spread([run[metric] for run in runs], digits=4) for metric in ("mae", "rmse", "r2", "band_accuracy")
        }
        results[name]["test_titles_seen_in_training"] = round(float(np.mean(copies)), 4)
    results["seeds"] = list(seeds)
    return results
