"""A split that cannot leak, the outlier rule and the price bands, all decided on training rows only.

- Exact duplicate gigs (same title, rating, reviews, level and price) are dropped before anything else.
- The source has no seller column (the seller's user name was dropped with the gig URL), and a seller often
  lists the same gig several times with small wording changes. Near-duplicate titles (TF-IDF cosine ≥
  `threshold` on word uni- and bigrams, linked transitively) form one group, and a group never straddles
  the train/test split nor two cross-validation folds.
- Outliers: a price above Q3 + k·IQR of the **training** prices is an outlier (Tukey's fence, k = 1.5 by
  default); those rows leave both splits, and how many is reported.
- Band edges: the training prices' terciles. Prices sit on a few package values (1,088, 2,176, 4,351 PKR…),
  so an edge is placed between two distinct training prices, where the share of training rows below it is
  closest to 1/3 (then 2/3): a gig on the edge value is never half Low, half Medium.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GroupShuffleSplit

from pipelines.common.errors import DataError
from pipelines.common.io import read_json
from pipelines.freelance.paths import PREPARE_SUMMARY

BANDS = ("Low", "Medium", "High")
KEY_COLUMNS = ["title_key", "rating", "reviews", "level", "price"]


def title_key(title: str) -> str:
    """Lower case, letters and digits only, single spaces: `I will do Excel, VBA!` → `i will do excel vba`."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", title.lower()).split())


def drop_duplicates(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The frame without exact duplicate gigs (title compared after `title_key`), and how many were dropped."""
    keyed = frame.assign(title_key=frame["title"].map(title_key))
    duplicated = keyed[KEY_COLUMNS].fillna(-1).duplicated(keep="first")
    return frame.loc[~duplicated.to_numpy()].reset_index(drop=True), int(duplicated.sum())


def near_duplicate_groups(titles: pd.Series, threshold: float) -> np.ndarray:
    """A group id per title: titles whose TF-IDF cosine similarity reaches `threshold` share one (transitively)."""
    if not 0 < threshold <= 1:
        raise DataError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
    keys = titles.map(title_key)
    vectors = TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b").fit_transform(keys)
    similar = (vectors @ vectors.T) >= threshold - 1e-9
    _, labels = connected_components(similar, directed=False)
    return labels.astype(int)


def group_split(frame: pd.DataFrame, groups: np.ndarray, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the training and test parts; every group lies wholly in one of them."""
    splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    train_rows, test_rows = next(splitter.split(np.zeros(len(frame)), groups=groups))
    return np.sort(train_rows), np.sort(test_rows)


def outlier_fence(train_prices: np.ndarray, k: float) -> float:
    """Tukey's upper fence of the training prices: Q3 + k·IQR."""
    q1, q3 = np.quantile(np.asarray(train_prices, dtype=float), [0.25, 0.75])
    return float(q3 + k * (q3 - q1))


def band_edges(train_prices: np.ndarray) -> tuple[float, float]:
    """The two tercile edges of the training prices, each between two distinct prices (module docstring)."""
    prices = np.sort(np.asarray(train_prices, dtype=float))
    distinct = np.unique(prices)
    if distinct.size < 3:
        raise DataError(f"price bands need at least 3 distinct training prices, got {distinct.size}")
    candidates = (distinct[:-1] + distinct[1:]) / 2
    share_below = np.searchsorted(prices, candidates) / prices.size
    low = candidates[np.argmin(np.abs(share_below - 1 / 3))]
    rest = candidates[candidates > low]
    high = rest[np.argmin(np.abs(np.searchsorted(prices, rest) / prices.size - 2 / 3))]
    return float(low), float(high)


def assign_bands(prices: np.ndarray, edges: tuple[float, float]) -> np.ndarray:
    """0 (Low) below the first edge, 1 (Medium) up to the second, 2 (High) above it."""
    low, high = edges
    if not low < high:
        raise DataError(f"band edges must increase, got {edges}")
    return np.digitize(np.asarray(prices, dtype=float), [low, high]).astype(int)


def read_split(
    path: str | Path, summary_path: str | Path = PREPARE_SUMMARY
) -> tuple[pd.DataFrame, tuple[float, float]]:
    """A split written by freelance_prepare, with the band edges it was labelled with."""
    frame = pd.read_csv(path, dtype={"title": str, "level": str}, keep_default_na=False, na_values={"rating": [""]})
    edges = read_json(summary_path)["band_edges"]
    return frame, (float(edges[0]), float(edges[1]))
