"""Every conclusion the cars report states is computed from numbers, and flips when the numbers do."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.cars.evaluation import (
    age_bands,
    comparison_text,
    depreciation_text,
    error_tail_text,
    errors_by_group,
    interval_text,
    make_groups,
    price_bands,
    target_verdict,
    worst_group_text,
)


def test_the_target_verdict_flips_at_the_target():
    assert target_verdict("mape", 0.085, 0.09, lower_is_better=True).endswith(": met.")
    assert "**not met**" in target_verdict("mape", 0.104, 0.09, lower_is_better=True)
    assert "10.40 %" in target_verdict("mape", 0.104, 0.09, lower_is_better=True)
    assert (
        target_verdict("r2", 0.94, 0.93, lower_is_better=False)
        == "R²: 0.940 on the test split, target at least 0.930: met."
    )
    assert "**not met**" in target_verdict("r2", 0.92, 0.93, lower_is_better=False)


def test_the_comparison_with_the_rule_says_lower_or_higher():
    scores = {"xgboost": {"mape": 0.10, "r2": 0.94}, "expert": {"mape": 0.30, "r2": 0.7}}
    assert "67 % lower than the expert rule's 30.00 %" in comparison_text(scores, "xgboost", "expert")
    scores["xgboost"]["mape"] = 0.36
    assert "20 % higher than" in comparison_text(scores, "xgboost", "expert")


def _curves(learnt: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [0, 3],
            "expert_rule": [1.0, 0.612],
            "model_age_only": [1.0, 0.8],
            "model_typical_mileage": [1.0, learnt],
            "typical_mileage_km": [50.0, 44_000.0],
        }
    )


def test_the_depreciation_sentence_says_which_curve_is_steeper():
    assert "lose value faster than the rule" in depreciation_text(_curves(0.55), 3)
    assert "lose value more slowly than the rule" in depreciation_text(_curves(0.70), 3)
    assert "keeps 70 % of its price at age 0" in depreciation_text(_curves(0.70), 3)
    assert depreciation_text(_curves(0.70), 3).endswith("At no age does the learnt curve fall below the rule.")
    assert depreciation_text(_curves(0.55), 3).endswith("below the rule from age 3 on (1 of the ages).")


def test_the_interval_sentence_flips_with_the_observed_coverage():
    assert "as calibrated" in interval_text(0.9, 0.895)
    assert "too narrow" in interval_text(0.9, 0.80)
    assert "too wide" in interval_text(0.9, 0.97)


def test_errors_by_group_and_the_worst_group_sentence():
    actual = np.array([1_000.0, 2_000.0, 30_000.0, 50_000.0])
    predicted = {"m": np.array([1_100.0, 2_000.0, 30_000.0, 40_000.0])}
    bands = price_bands(pd.Series(actual), [0, 10_000, 40_000])
    assert list(bands.astype(str)) == ["0–10,000 EUR", "0–10,000 EUR", "10,000–40,000 EUR", "40,000+ EUR"]
    table = errors_by_group(actual, predicted, bands)
    assert table.loc["0–10,000 EUR", "m_mape"] == 5.0 and table.loc["40,000+ EUR", "m_mape"] == 20.0
    assert worst_group_text(table, "m", "price range").endswith("to 20.0 % (40,000+ EUR, 1 listings).")
    predicted["m"][3] = 50_000.0
    flipped = worst_group_text(errors_by_group(actual, predicted, bands), "m", "price range")
    assert "to 5.0 % (0–10,000 EUR" in flipped


def test_age_bins_and_make_groups():
    assert list(age_bands(np.array([0, 1, 3, 10, 12]), [0, 1, 2, 4, 11]).astype(str)) == [
        "0 years",
        "1 year",
        "2–3 years",
        "4+ years",
        "4+ years",
    ]
    groups = make_groups(pd.Series(["VW", "Lada", "Opel"]), pd.Series(["VW", "VW", "Opel", "Lada"]), top=2)
    assert list(groups) == ["VW", "other", "Opel"]


def test_the_error_tail_sentence_follows_the_far_off_listings():
    actual = np.full(10, 10_000.0)
    close = actual * 1.05
    text = error_tail_text(actual, close, "m")
    assert "median absolute percentage error is 5.0 %" in text and "The 0.0 % of listings" in text
    one_far = close.copy()
    one_far[0] = 20_000.0  # 100 % off
    text = error_tail_text(actual, one_far, "m")
    assert "The 10.0 % of listings priced more than 25 % off carry 69 % of the total" in text
    assert "without them the MAPE would be 5.0 %" in text
