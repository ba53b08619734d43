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


STEPS = ["client_code", "no_price_in_imputation", "leak_free_split", "ours"]


def step(r2: float, accuracy: float, majority: float = 0.4, std: float = 0.02, copied: float = 0.0) -> dict:
    value = {"std": std}
    return {
        "mae": value | {"mean": 3.5},
        "rmse": value | {"mean": 5.0},
        "r2": value | {"mean": r2},
        "band_accuracy": value | {"mean": accuracy},
        "band_macro_f1": value | {"mean": accuracy - 0.01},
        "majority_accuracy": value | {"mean": majority},
        "median_mae": value | {"mean": 4.0},
        "test_rows_copied_in_training": copied,
        "test_titles_seen_in_training": copied,
        "rows_train": 700,
        "rows_test": 180,
    }


def protocols(*entries: dict) -> dict:
    return {
        "steps": STEPS,
        "changes": {name: f"change {name}" for name in STEPS[1:]},
        "seeds": [1, 2, 3],
        "imputation": {"rows": 996, "level_missing": 664, "unrated": 510, "filled_from_price_alone": 469},
        **dict(zip(STEPS, entries)),
    }


def test_the_protocol_text_names_the_step_that_moves_the_scores():
    from pipelines.freelance.text import largest_step, protocol_text

    leak = protocols(step(0.28, 0.64, copied=0.05), step(0.03, 0.40, copied=0.05), step(0.01, 0.38), step(0.0, 0.39))
    split = protocols(step(0.28, 0.64, copied=0.05), step(0.26, 0.62, copied=0.05), step(0.02, 0.40), step(0.0, 0.39))
    assert largest_step(leak, "r2")[0] == "no_price_in_imputation" and largest_step(split, "r2")[0] == "leak_free_split"
    leak_text, split_text = protocol_text(leak, CLIENT), protocol_text(split, CLIENT)
    assert "comes from change no_price_in_imputation" in leak_text[-1]
    assert leak_text[-1].endswith("the price-imputed reliability, not the split, explains the client's figures.")
    assert "comes from change leak_free_split" in split_text[-1] and "explains" not in split_text[-1]
    assert "is not above the majority band's 0.400" in leak_text[-1]
    assert "is above the majority band's 0.400" in split_text[-1]
    assert "(89 % of the R² change" in leak_text[-1] and "both moves exceed the seeds' spread" in leak_text[-1]
    noisy = protocols(
        step(0.28, 0.64, std=0.2), step(0.03, 0.40, std=0.2), step(0.01, 0.38, std=0.2), step(0.0, 0.39, std=0.2)
    )
    noisy_text = protocol_text(noisy, CLIENT)[-1]
    assert "within the seeds' spread" in noisy_text and "explains" not in noisy_text


def test_the_protocol_text_says_whether_the_client_code_reproduces_their_figures():
    from pipelines.freelance.text import protocol_text

    rest = (step(0.03, 0.40), step(0.01, 0.38), step(0.0, 0.39))
    reproduced = protocol_text(protocols(step(0.25, 0.61), *rest), CLIENT)[0]
    missed = protocol_text(protocols(step(0.10, 0.45), *rest), CLIENT)[0]
    assert reproduced.endswith("the published code reproduces the published figures.")
    assert "does not reach the client's R² 0.257" in missed and "does not reach their band accuracy" in missed
    assert missed.endswith("of its runs).")


def test_the_leak_target_sentence_flips_with_the_numbers():
    from pipelines.freelance.text import leak_target_text

    rest = (step(0.01, 0.38), step(0.0, 0.39))
    sentence = leak_target_text(protocols(step(0.28, 0.64), step(0.03, 0.40), *rest), TARGETS)
    assert "band accuracy 0.640 (meets the ≥ 0.62 target)" in sentence and "has 0.400 (does not meet it)" in sentence
    assert "0.875 × its median baseline's (does not meet" in sentence
    leaky = step(0.28, 0.64) | {"mae": {"mean": 3.0, "std": 0.1}}
    assert "0.750 × its median baseline's (meets" in leak_target_text(protocols(leaky, step(0.03, 0.6), *rest), TARGETS)


def test_the_band_verdict_gives_the_macro_f1_beside_the_majority_band():
    both = scores(3.0, 0.65)
    both["chosen"]["band_macro_f1"], both["dummy"]["band_macro_f1"] = 0.61, 0.19
    assert target_verdicts(both, "chosen", "dummy", TARGETS)[1].endswith(
        "Macro-F1 0.610 against 0.190 for the majority band."
    )
