"""The baseline, the choice of the best model and the metrics contract's written interpretation."""

import numpy as np
import pandas as pd

from pipelines.corn.data import Split
from stages.corn.evaluate import choose_best, colour_baseline, interpretation, mean_colour


def coloured(colours, per_class, rng):
    labels = np.repeat(np.arange(len(colours)), per_class)
    images = np.stack([np.full((8, 8, 3), colours[label], dtype=np.uint8) for label in labels])
    noise = rng.integers(0, 10, images.shape).astype(np.uint8)
    return Split(images + noise, labels, np.asarray([""] * len(labels)))


def test_mean_colour_baseline_solves_pure_colour_classes(rng):
    colours = [(120, 90, 60), (40, 160, 40), (200, 200, 200)]
    accuracy, loss, probabilities = colour_baseline(coloured(colours, 10, rng), coloured(colours, 4, rng), 3, 1.0)
    assert accuracy == 1.0 and loss < 0.5 and probabilities.shape == (12, 3)
    assert mean_colour(np.full((2, 4, 4, 3), 255, dtype=np.uint8)).tolist() == [[1.0, 1.0, 1.0]] * 2


def test_best_model_ignores_baselines_and_breaks_ties_on_loss():
    catalogue = {
        "baseline_mean_colour_4c": {"family": "baseline", "n_classes": 4, "test": {"accuracy": 0.9, "loss": 0.1}},
        "a": {"family": "own_cnn", "n_classes": 4, "test": {"accuracy": 0.7, "loss": 0.8}},
        "b": {"family": "transfer", "n_classes": 4, "test": {"accuracy": 0.7, "loss": 0.6}},
        "c": {"family": "own_cnn", "n_classes": 3, "test": {"accuracy": 0.95, "loss": 0.2}},
    }
    assert choose_best(catalogue, 4) == "b" and choose_best(catalogue, 3) == "c"


def test_interpretation_quotes_the_numbers():
    table = pd.DataFrame(
        {
            "family": ["baseline", "own_cnn", "own_cnn", "transfer", "own_cnn"],
            "n_classes": [4, 4, 4, 4, 3],
            "optimizer": ["lbfgs", "adam", "sgd_momentum", "adam", "adam"],
            "pretrained": [False, False, False, True, False],
            "dropout": [np.nan, 0.3, 0.3, 0.2, 0.3],
            "batchnorm": [np.nan, True, True, True, True],
            "augment": [np.nan, True, True, True, True],
            "accuracy": [0.4, 0.6, 0.5, 0.8, 0.7],
            "loss": [1.2, 0.9, 1.0, 0.5, 0.7],
        },
        index=["baseline_mean_colour_4c", "cnn4_adam", "cnn4_sgdm", "lite0_ft", "cnn3_adam"],
    )
    matrix = np.array([[10, 0, 0, 0], [0, 9, 1, 0], [0, 0, 6, 4], [0, 1, 3, 6]])
    sentences = interpretation(
        table, {}, {"lite0_ft": (matrix, ["Chao", "Ervas", "Milho", "Milho_ervas"])}, "lite0_ft", synthetic=True
    )
    text = " ".join(sentences)
    assert "80.0%" in text and "40.0%" in text and "70.0%" in text
    assert "adam 60.0%, sgd_momentum 50.0%" in text
    assert "true corn predicted as corn + weeds (4 of 10" in text
    assert "synthetic" in sentences[-1] and "nothing about accuracy on real" in sentences[-1]
