"""The split cannot leak: duplicates dropped, near-duplicate titles on one side, fence and edges from training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.common.errors import DataError
from pipelines.freelance.models import group_folds
from pipelines.freelance.split import (
    assign_bands,
    band_edges,
    drop_duplicates,
    group_split,
    near_duplicate_groups,
    outlier_fence,
    title_key,
)


def test_exact_duplicates_are_dropped_even_with_other_punctuation_or_case():
    frame = pd.DataFrame(
        {
            "title": ["I will do Excel, VBA", "i will do excel vba!", "I will do excel vba"],
            "rating": [5.0, 5.0, 5.0],
            "reviews": [3, 3, 4],
            "level": ["none"] * 3,
            "price": [1.0, 1.0, 1.0],
        }
    )
    unique, dropped = drop_duplicates(frame)
    assert dropped == 1 and len(unique) == 2
    assert title_key("I will do Excel, VBA!") == "i will do excel vba"


def test_near_duplicate_titles_share_a_group_and_different_ones_do_not():
    titles = pd.Series(
        [
            "I will do web scraping, data mining with python",
            "I will do web scraping and data mining with python",
            "I will design a logo for your brand",
        ]
    )
    groups = near_duplicate_groups(titles, 0.8)
    assert groups[0] == groups[1] != groups[2]


def test_a_group_never_straddles_the_split_nor_two_folds(gigs):
    groups = near_duplicate_groups(gigs["title"], 0.8)
    train, test = group_split(gigs, groups, 0.2, 42)
    assert np.intersect1d(groups[train], groups[test]).size == 0
    assert (np.bincount(groups) > 1).sum() > 10  # the shipped data does have reworded copies
    for fit_rows, valid_rows in group_folds(groups[train], 5, 42):
        assert np.intersect1d(groups[train][fit_rows], groups[train][valid_rows]).size == 0


def test_the_outlier_fence_is_tukeys_and_ignores_other_rows():
    prices = np.array([1, 2, 3, 4, 5, 6, 7, 8, 100.0])
    q1, q3 = np.quantile(prices, [0.25, 0.75])
    assert outlier_fence(prices, 1.5) == pytest.approx(q3 + 1.5 * (q3 - q1))


def test_band_edges_are_training_terciles_between_distinct_prices():
    prices = np.array([1.0] * 30 + [2.0] * 35 + [4.0] * 30 + [8.0] * 5)
    low, high = band_edges(prices)
    assert 1.0 < low < 2.0 and 2.0 < high < 4.0
    bands = assign_bands(prices, (low, high))
    assert np.bincount(bands).tolist() == [30, 35, 35]
    assert not np.isin([low, high], prices).any()


def test_bands_follow_the_price_order():
    assert assign_bands(np.array([0.5, 1.5, 9.0]), (1.0, 2.0)).tolist() == [0, 1, 2]
    with pytest.raises(DataError):
        assign_bands(np.array([1.0]), (2.0, 1.0))
    with pytest.raises(DataError):
        band_edges(np.array([1.0, 1.0, 2.0]))
