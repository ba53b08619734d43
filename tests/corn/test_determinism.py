"""Same seed, same numbers: two trainings with augmentation, shuffling and dropout give identical weights;
another seed gives other weights (so the seeds of a comparison are really different runs)."""

import numpy as np

from pipelines.corn import models
from pipelines.corn.data import configure_tensorflow
from pipelines.corn.training import FitSettings, make_problem, train_and_score
from tests.corn.test_training import tiny_splits


def run(seed: int):
    configure_tensorflow(threads=2, seed=seed)
    problem = make_problem(tiny_splits(np.random.default_rng(0)), ["Chao", "Ervas", "Milho", "Milho_ervas"])
    model = models.build_cnn(16, 4, models.CnnConfig(filters=(4, 8), dense_units=8, dropout=0.3))
    augment = models.make_augmentation(True, 0.1, 0.1, 0.1, seed)
    settings = FitSettings(batch_size=8, epochs=2, patience=2, class_weight_max_ratio=1.2, seed=seed)
    outcome = train_and_score(model, models.make_optimizer("adam", 0.01), problem, settings, augment)
    return model.get_weights(), outcome


def test_two_runs_with_one_seed_are_identical_and_another_seed_differs():
    (first, a), (second, b), (other, _) = run(3), run(3), run(4)
    assert all(np.array_equal(x, y) for x, y in zip(first, second, strict=True))
    assert a.history == b.history and np.array_equal(a.probabilities, b.probabilities)
    assert (a.validation_accuracy, a.test_accuracy) == (b.validation_accuracy, b.test_accuracy)
    assert not all(np.array_equal(x, y) for x, y in zip(first, other, strict=True))
