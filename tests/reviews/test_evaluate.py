"""The reviews model choice (validation only, ROC AUC as tie-break) and the report's computed sentences."""

import numpy as np
import pandas as pd

from pipelines.reviews.predictions import prediction_rows, selection_key
from stages.reviews.evaluate import anchor_text, choose_best, contract, lstm_texts, score_all
from stages.reviews.train_lstm import BestKeeper


def frame(rng, models, n=200, noise_test=False):
    """Predictions of `models` ({name: skill}) on a validation and a test split of n reviews each."""
    parts = []
    labels = {split: rng.integers(0, 2, n) for split in ("validation", "test")}
    for model, skill in models.items():
        for split in ("validation", "test"):
            right = rng.uniform(size=n) < skill
            predicted = np.where(right, labels[split], 1 - labels[split])
            score = np.clip(predicted * 0.6 + rng.uniform(0, 0.4, n), 0, 1)
            truth = rng.integers(0, 2, n) if noise_test and split == "test" else labels[split]
            parts.append(prediction_rows("allocine", model, split, truth, score, predicted))
    return pd.concat(parts, ignore_index=True)


LSTM = {
    "lstm_a": {
        "validation": {"accuracy": 0.8, "std": 0.01, "seeds": 3, "roc_auc": 0.85, "f1": 0.8},
        "test": {"accuracy": 0.78, "std": 0.02, "seeds": 3, "roc_auc": 0.84, "f1": 0.77},
    }
}


def chosen(predictions):
    scores = score_all(predictions)["allocine"]
    validation = contract(scores["validation"], LSTM, "validation")
    return choose_best(validation, "tfidf_logreg", "lstm_a"), validation


def test_noise_in_the_test_labels_leaves_the_choice_unchanged():
    seed = 7
    clean = frame(np.random.default_rng(seed), {"tfidf_logreg": 0.85, "lstm_a": 0.8})
    noisy = frame(np.random.default_rng(seed), {"tfidf_logreg": 0.85, "lstm_a": 0.8}, noise_test=True)
    assert not clean[clean["split"] == "test"]["polarity"].equals(noisy[noisy["split"] == "test"]["polarity"])
    (best_clean, validation_clean), (best_noisy, validation_noisy) = chosen(clean), chosen(noisy)
    assert best_clean == best_noisy and validation_clean == validation_noisy


def test_the_contract_gives_every_model_the_same_shape():
    scores = score_all(frame(np.random.default_rng(0), {"tfidf_logreg": 0.9, "lstm_a": 0.8}))["allocine"]
    entries = contract(scores["test"], LSTM, "test")
    assert entries["lstm_a"] == {"accuracy": 0.78, "std": 0.02, "seeds": 3, "roc_auc": 0.84, "f1": 0.77}
    assert entries["tfidf_logreg"].keys() == entries["lstm_a"].keys() and entries["tfidf_logreg"]["seeds"] == 1


def test_validation_roc_auc_breaks_an_accuracy_tie_and_a_full_tie_goes_to_the_baseline():
    validation = {"tfidf_logreg": {"accuracy": 0.8, "roc_auc": 0.85}, "lstm_a": {"accuracy": 0.8, "roc_auc": 0.9}}
    assert choose_best(validation, "tfidf_logreg", "lstm_a") == "lstm_a"
    validation["lstm_a"]["roc_auc"] = 0.8
    assert choose_best(validation, "tfidf_logreg", "lstm_a") == "tfidf_logreg"
    validation["lstm_a"]["roc_auc"] = 0.85
    assert choose_best(validation, "tfidf_logreg", "lstm_a") == "tfidf_logreg"
    assert selection_key({"accuracy": 0.5, "roc_auc": float("nan")}) == (0.5, -1.0)


def test_the_lstm_keeper_uses_the_same_key(tmp_path, monkeypatch):
    saved = []
    monkeypatch.setattr("stages.reviews.train_lstm.save_model", lambda model, path: saved.append(model))
    keeper = BestKeeper()
    keeper("a", "model a", (0.8, 0.85))
    keeper("b", "model b", (0.8, 0.90))  # same accuracy, better ROC AUC: kept
    keeper("c", "model c", (0.8, 0.90))  # full tie: the earlier stays
    assert keeper.name == "b" and saved == ["model a", "model b"]


def test_anchor_sentence_follows_the_numbers():
    assert "stays 4.4 points below" in anchor_text(0.90, 1_600) and "100 times fewer" in anchor_text(0.9, 1_600)
    assert "within the range" in anchor_text(0.95, 1_600)
    assert "above every full-data anchor" in anchor_text(0.99, 1_600)


def variants_and_test(frozen, finetuned, std):
    variants = {name: {"variant": {}} for name in ("lstm_frozen", "lstm_finetuned")}
    test = {
        "lstm_frozen": {"accuracy": frozen, "std": std, "seeds": 3},
        "lstm_finetuned": {"accuracy": finetuned, "std": std, "seeds": 3},
    }
    return test, variants


def test_lstm_sentences_rank_only_beyond_the_spread():
    text = " ".join(lstm_texts(*variants_and_test(0.70, 0.80, 0.01)))
    assert "lstm_finetuned ahead of lstm_frozen" in text and "lstm_finetuned is ahead by 10.0 points" in text
    text = " ".join(lstm_texts(*variants_and_test(0.70, 0.80, 0.06)))
    assert "indistinguishable" in text and "ahead of" not in text
    assert lstm_texts({"lstm_frozen": {"accuracy": 0.7, "std": 0.0, "seeds": 1}}, {"lstm_frozen": {}}) == []
