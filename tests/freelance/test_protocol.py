"""The client's protocol as re-run by freelance_protocols: their imputation, their bands, their split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.common.errors import DataError
from pipelines.freelance.protocol import (
    client_inputs,
    client_reliability,
    compare_protocols,
    imputation_counts,
    qcut_bands,
    qcut_edges,
)
from tests.freelance.conftest import GIGS_FILE, TEXT


def gigs_frame(rows: list[tuple]) -> pd.DataFrame:
    """(title, rating, reviews, level, price, level_artefact) per row, as read_gigs + the stage give them."""
    return pd.DataFrame(rows, columns=["title", "rating", "reviews", "level", "price", "level_artefact"])


def test_client_inputs_mark_unrated_and_badgeless_gigs_missing():
    frame = gigs_frame([("a", 4.8, 12, "level_2", 2.0, False), ("b", np.nan, 0, "none", 5.0, False)])
    inputs = client_inputs(frame)
    assert inputs.loc[0, ["rating", "reviews", "level"]].tolist() == [4.8, 12.0, 2.0]
    assert inputs.loc[1, ["rating", "reviews", "level"]].isna().all()


def test_with_the_price_an_unrated_badgeless_gig_copies_its_price_neighbours():
    cheap = [(f"c{i}", 4.0, 1, "level_1", 1.0 + i * 0.01, False) for i in range(5)]
    dear = [(f"d{i}", 5.0, 500, "top_rated", 20.0 + i * 0.01, False) for i in range(5)]
    blanks = [("x", np.nan, 0, "none", 1.02, False), ("y", np.nan, 0, "none", 20.02, False)]
    inputs = client_inputs(gigs_frame(cheap + dear + blanks))
    leaky = client_reliability(inputs, inputs, with_price=True)
    expected_cheap = 4.0 / 5 * (1 - 1 / (1 + np.log1p(1.0))) * 1
    expected_dear = 5.0 / 5 * (1 - 1 / (1 + np.log1p(500.0))) * 3
    assert leaky[-2] == pytest.approx(expected_cheap) and leaky[-1] == pytest.approx(expected_dear)
    blind = client_reliability(inputs, inputs, with_price=False)
    assert blind[-2] == pytest.approx(blind[-1])  # without the price nothing tells the two blanks apart


def test_qcut_edges_and_bands_match_pandas_on_tied_prices():
    prices = np.array([1.088] * 30 + [2.176] * 30 + [4.351] * 20 + [8.701] * 20)
    expected = pd.qcut(prices, 3, labels=False)
    assert (qcut_bands(prices, qcut_edges(prices)) == expected).all()
    with pytest.raises(DataError, match="two distinct edges"):
        qcut_edges(np.array([1.0] * 10 + [2.0]))


def test_compare_protocols_needs_the_artefact_column():
    with pytest.raises(DataError, match="level_artefact"):
        compare_protocols(gigs_frame([])[["title", "price"]], [0], 1.5, 0.8, TEXT, 10.0)


@pytest.mark.slow
def test_on_the_shipped_gigs_the_price_imputation_is_what_lifts_the_scores():
    from pipelines.freelance.data import read_gigs

    raw = pd.read_csv(GIGS_FILE, dtype=str, keep_default_na=False)["seller_level"].str.strip()
    gigs = read_gigs(GIGS_FILE, ("Clients",)).assign(level_artefact=raw.eq("Clients").to_numpy())
    counts = imputation_counts(gigs)
    assert counts["rows"] == len(gigs) - int(raw.eq("Clients").sum()) and counts["filled_from_price_alone"] > 0
    result = compare_protocols(gigs, [42], 1.5, 0.8, TEXT, 10.0)
    assert result["client_code"]["r2"]["mean"] > result["no_price_in_imputation"]["r2"]["mean"] + 0.1
    assert result["leak_free_split"]["test_rows_copied_in_training"] == 0.0
    assert result["client_code"]["test_rows_copied_in_training"] > 0.0
