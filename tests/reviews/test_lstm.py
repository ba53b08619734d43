"""A one-epoch LSTM smoke run on a few dozen real reviews, and the variants' parameters."""

import numpy as np
import pytest

from pipelines.common.params import parse_section
from pipelines.common.paths import ROOT
from pipelines.reviews.data import load_reviews
from pipelines.reviews.lstm import Variant, build_model, configure, predict, train
from pipelines.reviews.settings import VariantParams
from pipelines.reviews.word_vectors import build_vocabulary, encode
from stages.reviews.preprocess import process


def variant(**changes) -> Variant:
    settings = {
        "architecture": "lstm",
        "units": 8,
        "layers": 1,
        "trainable_embeddings": True,
        "dropout": 0.0,
        "optimizer": "adam",
        "learning_rate": 0.01,
    } | changes
    return Variant.from_params("lstm_test", parse_section(VariantParams, settings, "reviews.lstm.variants.lstm_test"))


@pytest.fixture(scope="module")
def few_reviews():
    splits, _ = load_reviews(ROOT / "data/external/reviews/allocine")
    train = process(splits["train"].head(48), keep_negations=True, negation_scope=False)
    validation = process(splits["validation"].head(16), keep_negations=True, negation_scope=False)
    tokens = [t.split() for t in train["tokens"]]
    vocabulary = build_vocabulary(tokens, min_count=1, max_size=2000)
    matrix = np.random.default_rng(0).normal(0, 0.1, (len(vocabulary), 16)).astype(np.float32)
    data = {
        "train": (encode(tokens, vocabulary, 24, "pre"), train["polarity"].to_numpy(np.float32)),
        "validation": (
            encode([t.split() for t in validation["tokens"]], vocabulary, 24, "pre"),
            validation["polarity"].to_numpy(np.float32),
        ),
    }
    return matrix, data


def test_one_epoch_smoke_run(few_reviews):
    matrix, data = few_reviews
    configure(threads=2, seed=1)
    model, summary = train(variant(), matrix, data, batch_size=16, max_epochs=1, patience=1, seed=1)
    assert summary["epochs_run"] == 1 and 0 <= summary["validation_accuracy"] <= 1
    assert set(summary["history"]) >= {"loss", "val_loss", "accuracy", "val_accuracy"}
    scores = predict(model, data["validation"][0])
    assert scores.shape == (16,) and ((scores >= 0) & (scores <= 1)).all()


def test_frozen_embeddings_keep_their_pretrained_rows(few_reviews):
    matrix, data = few_reviews
    model, summary = train(
        variant(trainable_embeddings=False), matrix, data, batch_size=16, max_epochs=1, patience=1, seed=1
    )
    np.testing.assert_array_equal(model.get_layer("embedding").get_weights()[0], matrix)
    assert summary["trainable_parameters"] < summary["parameters"] - matrix.size + 1


def test_bidirectional_stacked_dropout_model_builds():
    matrix = np.zeros((10, 4), dtype=np.float32)
    model = build_model(variant(architecture="bilstm", layers=2, dropout=0.3, optimizer="rmsprop"), matrix, 12)
    names = [layer.name for layer in model.layers]
    assert {"bilstm_1", "bilstm_2", "embedding_dropout", "dropout_2"} <= set(names)
    assert model.output_shape == (None, 1)


def test_same_seed_same_weights_another_seed_other_weights(few_reviews):
    matrix, data = few_reviews
    runs = []
    for seed in (5, 5, 6):
        configure(threads=2, seed=seed)
        model, summary = train(variant(dropout=0.2), matrix, data, batch_size=16, max_epochs=2, patience=2, seed=seed)
        runs.append((model.get_weights(), summary["history"]))
    (first, history_a), (second, history_b), (other, _) = runs
    assert all(np.array_equal(x, y) for x, y in zip(first, second, strict=True)) and history_a == history_b
    assert not all(np.array_equal(x, y) for x, y in zip(first, other, strict=True))
