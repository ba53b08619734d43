"""What the client's published code does to the scores, step by step from their protocol to ours.

The client's repository (github.com/lululafrite/ia.follaco.fr) publishes how its figures were built:
`code/preprocessing.py` (and `01_pre-processing.ipynb`) drops the rows whose level is the `Clients` artefact,
then fills the missing seller levels, ratings and review counts with a `KNNImputer(n_neighbors=5)` fitted on
all rows over `[Prix, Evaluation, Rating_Count, Level]`: **the price is one of the imputer's columns**, so an
unrated gig without a badge gets the level, rating and review count of the five gigs closest in price. Their
reliability `Fiabilite = rating/5 · (1 − 1/(1 + ln(1 + reviews))) · level` is then computed from those
values, the IQR fence (Q1 − 1.5·IQR, Q3 + 1.5·IQR) is applied to all prices, `02_model_regression.ipynb`
trains on sentence embeddings of the cleaned title + the standardised `Fiabilite`, with `log1p(price)` as the
target (Gradient Boosting, 100 trees), `03_model_classification.ipynb` labels the bands with
`pd.qcut(Prix, 3)` over all kept rows and fits a default decision tree, both on
`train_test_split(test_size=0.2, random_state=42)` of the rows: no deduplication anywhere.

This module re-runs that protocol on the project's copy of the gigs and walks from it to ours one change at
a time, with the same two models (the client's: Gradient Boosting on log1p(price), default decision tree)
and the same seeds, so the change that moves the scores is named by the numbers:

1. `client_code`: their protocol as published (TF-IDF of the title in place of their MiniLM embeddings,
   which cannot be downloaded here);
2. `no_price_in_imputation`: the same, with the price removed from the imputer's columns;
3. `leak_free_split`: the same features, but duplicates dropped, near-duplicate titles on one side, the
   imputer, the outlier fence and the band terciles fitted on the training rows only;
4. `ours`: that split with the project's features (Bayesian reliability, log reviews, level one-hot) and
   band edges (training terciles placed between two distinct prices).

A diagnosis of protocols that reads every row by design: no served model or choice depends on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.impute import KNNImputer
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from pipelines.common.errors import DataError
from pipelines.common.seeds import spread
from pipelines.freelance.features import feature_frame, make_features, title_tfidf
from pipelines.freelance.split import (
    KEY_COLUMNS,
    assign_bands,
    band_edges,
    drop_duplicates,
    group_split,
    near_duplicate_groups,
    outlier_fence,
    title_key,
)
from pipelines.freelance.text import band_accuracy, price_metrics

STEPS = ("client_code", "no_price_in_imputation", "leak_free_split", "ours")
STEP_CHANGES = {
    "no_price_in_imputation": "the price removed from the imputation of level, rating and reviews",
    "leak_free_split": "deduplication, near-duplicate groups and a fence, imputer and terciles from training rows",
    "ours": "the project's reliability features and band edges",
}
METRICS = ("mae", "rmse", "r2", "band_accuracy", "band_macro_f1", "majority_accuracy", "median_mae")
CLIENT_NEIGHBOURS = 5  # KNNImputer(n_neighbors=5) in code/preprocessing.py
CLIENT_IQR_K = 1.5  # their fence, both sides
CLIENT_TEST_SIZE = 0.2
LEVEL_NUMBER = {"level_1": 1.0, "level_2": 2.0, "top_rated": 3.0}  # their manual encoding; no badge → missing
FIABILITE = "fiabilite"


def client_inputs(gigs: pd.DataFrame) -> pd.DataFrame:
    """price, rating, reviews, level (1–3) as the client's preprocessing reads them: unrated → rating and
    reviews missing, no badge → level missing."""
    rated = gigs["rating"].notna()
    return pd.DataFrame(
        {
            "price": gigs["price"].to_numpy(dtype=float),
            "rating": gigs["rating"].to_numpy(dtype=float),
            "reviews": np.where(rated, gigs["reviews"].to_numpy(dtype=float), np.nan),
            "level": gigs["level"].map(LEVEL_NUMBER).to_numpy(dtype=float),
        },
        index=gigs.index,
    )


def client_reliability(fit: pd.DataFrame, apply: pd.DataFrame, with_price: bool) -> np.ndarray:
    """The client's `Fiabilite` for the rows of `apply`, the missing values filled by KNN imputers fitted on
    `fit` (two passes as in their code: the level first, then rating and reviews). `with_price` keeps the
    price among the imputers' columns, as they did."""
    price = ["price"] if with_price else []
    first = [*price, "rating", "reviews", "level"]
    level = KNNImputer(n_neighbors=CLIENT_NEIGHBOURS).fit(fit[first]).transform(apply[first])[:, -1]
    level = np.clip(np.round(level), 1, 3)
    second = [*price, "rating", "reviews"]
    filled = KNNImputer(n_neighbors=CLIENT_NEIGHBOURS).fit(fit[second]).transform(apply[second])
    rating, reviews = filled[:, -2], filled[:, -1]
    return rating / 5 * (1 - 1 / (1 + np.log1p(reviews))) * level


def iqr_bounds(prices: np.ndarray, k: float) -> tuple[float, float]:
    q1, q3 = np.quantile(np.asarray(prices, dtype=float), [0.25, 0.75])
    return float(q1 - k * (q3 - q1)), float(q3 + k * (q3 - q1))


def qcut_edges(prices: np.ndarray) -> tuple[float, float]:
    """The tercile edges `pd.qcut(prices, 3)` uses (a price equal to an edge falls in the lower band)."""
    low, high = np.quantile(np.asarray(prices, dtype=float), [1 / 3, 2 / 3])
    if not low < high:
        raise DataError(f"qcut terciles need two distinct edges, got {low}, {high}")
    return float(low), float(high)


def qcut_bands(prices: np.ndarray, edges: tuple[float, float]) -> np.ndarray:
    return np.digitize(np.asarray(prices, dtype=float), edges, right=True).astype(int)


def _client_split(gigs: pd.DataFrame, seed: int, with_price: bool):
    """Steps 1–2: imputation over every row, fence and terciles on every kept price, random row split."""
    rows = gigs[~gigs["level_artefact"]].reset_index(drop=True)
    inputs = client_inputs(rows)
    rows = rows.assign(**{FIABILITE: client_reliability(inputs, inputs, with_price)})
    low, high = iqr_bounds(rows["price"].to_numpy(), CLIENT_IQR_K)
    rows = rows[(rows["price"] >= low) & (rows["price"] <= high)].reset_index(drop=True)
    edges = qcut_edges(rows["price"].to_numpy())
    rows = rows.assign(band=qcut_bands(rows["price"].to_numpy(), edges))
    train, test = train_test_split(rows, test_size=CLIENT_TEST_SIZE, random_state=seed)
    return train, test


def _leak_free_split(gigs: pd.DataFrame, seed: int, cosine: float, k: float, ours: bool):
    """Steps 3–4: duplicates dropped, near-duplicate groups on one side, everything fitted on training rows."""
    kept = gigs if ours else gigs[~gigs["level_artefact"]]
    unique, _ = drop_duplicates(kept.reset_index(drop=True))
    train_rows, test_rows = group_split(unique, near_duplicate_groups(unique["title"], cosine), CLIENT_TEST_SIZE, seed)
    train, test = unique.iloc[train_rows], unique.iloc[test_rows]
    fence = outlier_fence(train["price"].to_numpy(), k)
    train, test = train[train["price"] <= fence].copy(), test[test["price"] <= fence].copy()
    if ours:
        edges = band_edges(train["price"].to_numpy())
        for frame in (train, test):
            frame["band"] = assign_bands(frame["price"].to_numpy(), edges)
        return train, test
    edges = qcut_edges(train["price"].to_numpy())
    fit = client_inputs(train)
    for frame in (train, test):
        frame[FIABILITE] = client_reliability(fit, client_inputs(frame), with_price=False)
        frame["band"] = qcut_bands(frame["price"].to_numpy(), edges)
    return train, test


def _features(step: str, text: dict, prior_reviews: float):
    if step == "ours":
        return make_features(text, prior_reviews), feature_frame
    columns = ColumnTransformer(
        [("text", title_tfidf(text), "title"), ("reliability", StandardScaler(), [FIABILITE])], sparse_threshold=1.0
    )
    return columns, lambda frame: frame[["title", FIABILITE]]


def score_step(step: str, train: pd.DataFrame, test: pd.DataFrame, text: dict, prior_reviews: float, seed: int):
    """The client's two models on one split: Gradient Boosting on log1p(price) and a default decision tree."""
    features, inputs = _features(step, text, prior_reviews)
    regressor = TransformedTargetRegressor(
        GradientBoostingRegressor(n_estimators=100, random_state=seed), func=np.log1p, inverse_func=np.expm1
    )
    price_model = Pipeline([("features", features), ("model", regressor)]).fit(inputs(train), train["price"])
    features, _ = _features(step, text, prior_reviews)
    band_model = Pipeline([("features", features), ("model", DecisionTreeClassifier(random_state=seed))])
    band_model.fit(inputs(train), train["band"])
    actual, bands = test["price"].to_numpy(), test["band"].to_numpy()
    predicted = band_model.predict(inputs(test))
    majority = np.bincount(train["band"].to_numpy(), minlength=3).argmax()
    return price_metrics(actual, price_model.predict(inputs(test))) | {
        "band_accuracy": band_accuracy(bands, predicted),
        "band_macro_f1": float(f1_score(bands, predicted, average="macro", labels=[0, 1, 2], zero_division=0)),
        "majority_accuracy": band_accuracy(bands, np.full(len(bands), majority)),
        "median_mae": float(np.mean(np.abs(actual - np.median(train["price"].to_numpy())))),
    }


def overlap(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, float]:
    """Share of test rows whose exact copy, or whose title, is also among the training rows."""

    def keys(frame: pd.DataFrame) -> pd.Series:
        keyed = frame.assign(title_key=frame["title"].map(title_key))[KEY_COLUMNS].fillna(-1)
        return keyed.astype(str).agg("|".join, axis=1)

    seen_titles = set(train["title"].map(title_key))
    return {
        "test_rows_copied_in_training": float(keys(test).isin(set(keys(train))).mean()),
        "test_titles_seen_in_training": float(test["title"].map(title_key).isin(seen_titles).mean()),
    }


def imputation_counts(gigs: pd.DataFrame) -> dict[str, int]:
    """How many rows the client's imputer fills: no level, unrated, and both (filled from the price alone)."""
    rows = client_inputs(gigs[~gigs["level_artefact"]])
    return {
        "rows": len(rows),
        "level_missing": int(rows["level"].isna().sum()),
        "unrated": int(rows["rating"].isna().sum()),
        "filled_from_price_alone": int((rows["level"].isna() & rows["rating"].isna()).sum()),
    }


def compare_protocols(
    gigs: pd.DataFrame, seeds: list[int], k: float, cosine: float, text: dict, prior_reviews: float
) -> dict:
    """Mean and std over `seeds` of every metric at each step of STEPS, the test rows' overlap with the
    training rows and the rows' counts. `gigs` needs a boolean `level_artefact` column (the `Clients` rows)."""
    if "level_artefact" not in gigs.columns:
        raise DataError("compare_protocols needs the `level_artefact` column (rows whose level was a badge text)")
    results: dict = {"steps": list(STEPS), "changes": STEP_CHANGES, "seeds": list(seeds)}
    for step in STEPS:
        runs, overlaps, sizes = [], [], []
        for seed in seeds:
            if step in ("client_code", "no_price_in_imputation"):
                train, test = _client_split(gigs, seed, with_price=step == "client_code")
            else:
                train, test = _leak_free_split(gigs, seed, cosine, k, ours=step == "ours")
            runs.append(score_step(step, train, test, text, prior_reviews, seed))
            overlaps.append(overlap(train, test))
            sizes.append((len(train), len(test)))
        results[step] = {metric: spread([run[metric] for run in runs], digits=4) for metric in METRICS}
        for key in overlaps[0]:
            results[step][key] = round(float(np.mean([entry[key] for entry in overlaps])), 4)
        results[step]["rows_train"], results[step]["rows_test"] = (int(np.mean(part)) for part in zip(*sizes))
    results["imputation"] = imputation_counts(gigs)
    return results
