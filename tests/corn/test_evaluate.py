"""The baseline, the choice of the best model and the metrics contract's written interpretation."""

import numpy as np
import pandas as pd

from pipelines.corn.data import Split
from stages.corn.evaluate import _models_text, choose_best, colour_baseline, interpretation, mean_colour


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


def entry(family, n_classes, val, test, val_loss=0.5, std=0.01):
    return {
        "family": family,
        "n_classes": n_classes,
        "validation": {"accuracy": val, "loss": val_loss, "std": std, "seeds": 3},
        "test": {"accuracy": test, "loss": 0.5, "std": std, "seeds": 3},
    }


def test_best_model_is_chosen_on_validation_ignores_baselines_and_breaks_ties_on_validation_loss():
    catalogue = {
        "baseline_mean_colour_4c": entry("baseline", 4, 0.99, 0.99),
        "a": entry("own_cnn", 4, 0.7, 0.95, val_loss=0.8),
        "b": entry("transfer", 4, 0.7, 0.60, val_loss=0.6),
        "c": entry("own_cnn", 3, 0.95, 0.2),
        "d": entry("own_cnn", 3, 0.90, 0.99),
    }
    assert choose_best(catalogue, 4) == "b" and choose_best(catalogue, 3) == "c"


def test_noise_in_the_test_labels_leaves_the_choice_and_the_baseline_unchanged(rng):
    catalogue = {f"m{i}": entry("own_cnn", 4, float(v), 0.5) for i, v in enumerate(rng.uniform(0.3, 0.9, 8))}
    chosen = choose_best(catalogue, 4)
    for _ in range(20):  # test scores as if the test labels were noise: the choice stays
        noisy = {
            name: {**e, "test": {"accuracy": float(rng.uniform()), "loss": float(rng.uniform(0, 3)), "std": 0.1}}
            for name, e in catalogue.items()
        }
        assert choose_best(noisy, 4) == chosen
    colours = [(120, 90, 60), (40, 160, 40), (200, 200, 200)]
    train, validation, test = (coloured(colours, n, rng) for n in (10, 4, 4))
    noise = Split(test.images, rng.permutation(test.labels), test.paths)
    (val_clean, _), (test_clean, _) = (r[:2] for r in colour_baseline(train, test, 3, 1.0, validation=validation))
    (val_noisy, _), (test_noisy, _) = (r[:2] for r in colour_baseline(train, noise, 3, 1.0, validation=validation))
    assert val_clean == val_noisy == 1.0  # the fitted baseline does not see the test labels
    assert test_clean == 1.0 and test_noisy < 1.0


TABLE_INDEX = ["baseline_mean_colour_4c", "cnn4_adam", "cnn4_sgdm", "lite0_frozen", "lite0_finetuned", "cnn3_adam"]


def table(test, std, val=None):
    return pd.DataFrame(
        {
            "family": ["baseline", "own_cnn", "own_cnn", "transfer", "transfer", "own_cnn"],
            "n_classes": [4, 4, 4, 4, 4, 3],
            "optimizer": ["lbfgs", "adam", "sgd_momentum", "adam", "adam", "adam"],
            "pretrained": [False, False, False, True, True, False],
            "dropout": [np.nan, 0.3, 0.3, 0.2, 0.2, 0.3],
            "batchnorm": [np.nan, True, True, True, True, True],
            "augment": [np.nan, True, True, False, True, True],
            "seeds": [1, 3, 3, 3, 3, 3],
            "val_accuracy": val or test,
            "val_std": std,
            "accuracy": test,
            "std": std,
            "loss": [1.2, 0.9, 1.0, 0.5, 0.6, 0.7],
        },
        index=TABLE_INDEX,
    )


MATRIX = np.array([[10, 0, 0, 0], [0, 9, 1, 0], [0, 0, 6, 4], [0, 1, 3, 6]])
CLASSES4 = ["Chao", "Ervas", "Milho", "Milho_ervas"]


def say(frame, best="lite0_frozen", matrix=MATRIX, synthetic=True):
    return interpretation(frame, {}, {best: (matrix, CLASSES4)}, best, synthetic=synthetic)


def test_interpretation_quotes_the_numbers_and_ranks_beyond_the_spread():
    sentences = say(table([0.4, 0.6, 0.5, 0.8, 0.7, 0.75], [0.0, 0.01, 0.01, 0.02, 0.02, 0.01]))
    text = " ".join(sentences)
    assert "Chosen on validation: lite0_frozen" in text and "80.0 % ± 2.0 (3 seeds)" in text and "40.0%" in text
    assert "colour alone does not solve the task" in text
    assert "adam 60.0 % ± 1.0 (3 seeds), sgd_momentum 50.0 % ± 1.0 (3 seeds)" in text
    assert "adam ahead of sgd_momentum" in text
    assert "lite0_frozen is ahead by 10.0 points" in text  # frozen 0.8 ± 0.02 against fine-tuned 0.7 ± 0.02
    assert "makes the task harder" in text  # 3 classes 0.75 ± 0.01 against 0.6 ± 0.01
    assert "true corn predicted as corn + weeds (4 of 10" in text
    assert "synthetic" in sentences[-1] and "nothing about accuracy on real" in sentences[-1]


def test_interpretation_flips_when_the_gaps_are_within_the_spread():
    text = " ".join(say(table([0.4, 0.6, 0.5, 0.8, 0.75, 0.55], [0.0, 0.1, 0.1, 0.05, 0.05, 0.1])))
    assert "these variants are indistinguishable" in text and "adam ahead of" not in text
    assert "the two are indistinguishable" in text  # frozen against fine-tuned, and transfer against own CNN
    assert "did not measurably change the task" in text
    text = " ".join(say(table([0.7, 0.6, 0.5, 0.71, 0.7, 0.55], [0.0, 0.01, 0.01, 0.02, 0.02, 0.01])))
    assert "no better than the mean colour" in text
    text = " ".join(say(table([0.9, 0.6, 0.5, 0.71, 0.7, 0.55], [0.0, 0.01, 0.01, 0.02, 0.02, 0.01])))
    assert "the baseline is better" in text
    text = " ".join(say(table([0.4, 0.8, 0.5, 0.71, 0.7, 0.55], [0.0, 0.01, 0.01, 0.02, 0.02, 0.01])))
    assert "cnn4_adam is ahead" in text and "the 4-class model is better" in text
    assert "makes no mistake" in " ".join(say(table([0.4, 0.6, 0.5, 0.8, 0.7, 0.75], [0.0] * 6), matrix=np.eye(4)))
    assert "synthetic" not in say(table([0.4, 0.6, 0.5, 0.8, 0.7, 0.75], [0.0] * 6), synthetic=False)[-1]


def test_model_texts_come_from_the_params():
    cnn, transfer = _models_text(
        {
            "a": {"family": "own_cnn", "filters": [8, 16]},
            "b": {"family": "transfer", "backbone": "MobileNetV2", "weights": None},
        }
    )
    assert cnn == "2 conv blocks (8, 16 filters)" and "MobileNetV2 with random initial weights" in transfer
    cnn, transfer = _models_text(
        {
            "a": {"family": "own_cnn", "filters": [8, 16, 32, 64]},
            "b": {"family": "transfer", "backbone": "EfficientNetLite0_ported", "weights": "imagenet"},
        }
    )
    assert cnn.startswith("4 conv blocks") and transfer.startswith("EfficientNet-Lite0 with ImageNet weights")
