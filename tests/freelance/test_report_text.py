"""Every conclusion of the freelance reports is computed from the numbers: each flips when they do."""

from __future__ import annotations

import numpy as np

from pipelines.freelance.text import band_order_text, client_comparison, target_verdicts

TARGETS = {"band_accuracy": 0.62, "mae_vs_baseline": 0.85}
CLIENT = {
    "gradient_boosting": {"mae": 3.21, "rmse": 4.90, "r2": 0.257},
    "decision_tree_bands": {"band_accuracy": 0.6175},
    "keras": {"mae": 3.17, "r2": 0.271},
}


def scores(mae: float, accuracy: float) -> dict:
    return {
        "chosen": {"mae": mae, "rmse": 5.0, "r2": 0.1, "band_accuracy": accuracy},
        "dummy": {"mae": 4.0, "rmse": 5.5, "r2": -0.05, "band_accuracy": 0.4},
    }


def test_target_verdicts_flip_with_the_numbers():
    met = target_verdicts(scores(3.0, 0.65), "chosen", "dummy", TARGETS)
    unmet = target_verdicts(scores(3.9, 0.45), "chosen", "dummy", TARGETS)
    assert met[0].endswith("is met.") and met[1].endswith("is met.")
    assert "not met (the MAE would have to be ≤ 3.40)" in unmet[0] and unmet[1].endswith("not met.")
    assert (
        "(above it)" in met[1] and "(not above it)" in target_verdicts(scores(3.9, 0.4), "chosen", "dummy", TARGETS)[1]
    )
    precision = target_verdicts(scores(3.0, 0.5), "chosen", "dummy", TARGETS, rows=100)[2]
    assert "standard error of about 0.050" in precision


def test_the_client_comparison_says_which_side_is_better():
    better = client_comparison(scores(3.0, 0.65), "chosen", "keras", CLIENT)
    worse = client_comparison(scores(3.9, 0.45), "chosen", "keras", CLIENT)
    assert better[0].endswith("lower error than the client's.") and "(higher)" in better[1]
    assert "0.69 thousand PKR more MAE" in worse[0] and "(lower)" in worse[1]


def test_band_order_sentence_flips():
    prices = np.array([1.0, 2.0, 5.0, 6.0, 9.0])
    assert band_order_text(prices, np.array([0, 0, 1, 1, 2])).endswith(": ordered like the bands.")
    assert band_order_text(prices, np.array([2, 2, 1, 1, 0])).endswith("NOT ordered like the bands.")


def protocols(r2: float, accuracy: float, std: float) -> dict:
    entry = {
        "mae": {"mean": 3.5, "std": 0.2},
        "rmse": {"mean": 5.0, "std": 0.3},
        "r2": {"mean": r2, "std": std},
        "band_accuracy": {"mean": accuracy, "std": std},
        "test_titles_seen_in_training": 0.08,
    }
    return {"client": entry, "leak_free": entry | {"test_titles_seen_in_training": 0.0}, "seeds": [1, 2, 3]}


def test_the_protocol_sentence_says_whether_the_protocol_explains_the_client_figures():
    from pipelines.freelance.text import protocol_text

    explained = protocol_text(protocols(0.25, 0.61, 0.02), CLIENT)[1]
    unexplained = protocol_text(protocols(0.03, 0.45, 0.02), CLIENT)[1]
    assert explained.endswith("the protocol alone explains their figures.")
    assert "does not reach the client's R² 0.257" in unexplained and "does not explain" in unexplained
