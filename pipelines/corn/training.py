"""Training and scoring shared by the own-CNN and transfer stages: one protocol for every experiment."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines.common.errors import ParamError
from pipelines.common.io import atomic_path
from pipelines.common.keras_files import save_model as save_keras
from pipelines.common.logs import get_logger
from pipelines.common.paths import shown
from pipelines.common.seeds import spread
from pipelines.corn.data import Split, class_subset, class_weights, make_dataset
from pipelines.corn.settings import TrainParams

log = get_logger("corn.training")


@dataclass
class Problem:
    """The 3- or 4-class version of the prepared splits."""

    class_names: list[str]
    train: Split
    validation: Split
    test: Split
    test_index: np.ndarray  # position of each test image in the full test split

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def make_problem(splits: dict[str, Split], class_names: list[str]) -> Problem:
    test_index = np.flatnonzero(np.isin(splits["test"].labels, [_index(name) for name in class_names]))
    return Problem(
        class_names,
        class_subset(splits["train"], class_names),
        class_subset(splits["validation"], class_names),
        class_subset(splits["test"], class_names),
        test_index,
    )


def _index(name: str) -> int:
    from pipelines.corn.layout import CLASSES

    return CLASSES.index(name)


def classes_for(n_classes: int, three_classes: list[str]) -> list[str]:
    from pipelines.corn.layout import CLASSES

    if n_classes == 4:
        return list(CLASSES)
    if n_classes == 3:
        return list(three_classes)
    raise ParamError("classes", f"must be 3 or 4, got {n_classes}")


@dataclass
class Outcome:
    history: dict[str, list[float]]
    test_accuracy: float
    test_loss: float
    probabilities: np.ndarray
    epochs_run: int
    best_epoch: int
    seconds: float
    validation_accuracy: float = float("nan")
    validation_loss: float = float("nan")
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FitSettings:
    batch_size: int
    epochs: int
    patience: int
    class_weight_max_ratio: float
    seed: int

    @classmethod
    def from_params(cls, train: TrainParams, seed: int) -> FitSettings:
        return cls(
            batch_size=train.batch_size,
            epochs=train.epochs,
            patience=train.patience,
            class_weight_max_ratio=train.class_weight_max_ratio,
            seed=seed,
        )


def datasets(problem: Problem, settings: FitSettings, augment=None):
    train = make_dataset(
        problem.train, problem.n_classes, settings.batch_size, training=True, seed=settings.seed, augment=augment
    )
    validation = make_dataset(problem.validation, problem.n_classes, settings.batch_size, training=False, seed=0)
    test = make_dataset(problem.test, problem.n_classes, settings.batch_size, training=False, seed=0)
    return train, validation, test


def fit(model, optimizer, problem: Problem, settings: FitSettings, augment=None, epochs: int | None = None) -> dict:
    """Compile and fit with early stopping on validation loss (best weights restored); return the history."""
    import keras

    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    train, validation, _ = datasets(problem, settings, augment)
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=settings.patience, restore_best_weights=True, verbose=0
    )
    weights = class_weights(problem.train.labels, problem.n_classes, settings.class_weight_max_ratio)
    history = model.fit(
        train,
        validation_data=validation,
        epochs=epochs or settings.epochs,
        callbacks=[stop],
        class_weight=weights,
        shuffle=False,  # the tf.data pipeline shuffles; Keras' own flag would only warn
        verbose=0,
    )
    return {key: [float(v) for v in values] for key, values in history.history.items()}


def score(model, problem: Problem, settings: FitSettings, split: str = "test") -> tuple[float, float, np.ndarray]:
    """Accuracy, mean cross-entropy and the probability matrix of `split` (images in stored order)."""
    _, validation, test = datasets(problem, settings)
    probabilities = model.predict(test if split == "test" else validation, verbose=0)
    labels = (problem.test if split == "test" else problem.validation).labels
    accuracy = float((probabilities.argmax(axis=1) == labels).mean())
    loss = float(-np.mean(np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1.0))))
    return accuracy, loss, probabilities


def best_epoch(history: dict[str, list[float]]) -> int:
    return int(np.argmin(history["val_loss"])) + 1


def concat_histories(first: dict[str, list[float]], second: dict[str, list[float]]) -> dict[str, list[float]]:
    return {key: first.get(key, []) + second.get(key, []) for key in dict.fromkeys([*first, *second])}


def train_and_score(model, optimizer, problem: Problem, settings: FitSettings, augment=None) -> Outcome:
    start = time.perf_counter()
    history = fit(model, optimizer, problem, settings, augment)
    accuracy, loss, probabilities = score(model, problem, settings)
    validation_accuracy, validation_loss, _ = score(model, problem, settings, "validation")
    return Outcome(
        history,
        accuracy,
        loss,
        probabilities,
        len(history["loss"]),
        best_epoch(history),
        time.perf_counter() - start,
        validation_accuracy,
        validation_loss,
    )


def save_model(model, path: Path) -> None:
    """`path`.keras, the same bytes for the same weights (pipelines/common/keras_files.py)."""
    save_keras(model, path.with_suffix(".keras"))


def save_predictions(path: Path, problems: dict[str, Problem], outcomes: dict[str, Outcome]) -> None:
    """Per experiment: test probabilities, true labels and the images' positions in the full test split."""
    arrays = {}
    for name, outcome in outcomes.items():
        arrays[f"{name}__probabilities"] = outcome.probabilities.astype(np.float32)
        arrays[f"{name}__labels"] = problems[name].test.labels
        arrays[f"{name}__index"] = problems[name].test_index
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)


def load_predictions(path: Path) -> dict[str, dict[str, np.ndarray]]:
    result: dict[str, dict[str, np.ndarray]] = {}
    with np.load(path, allow_pickle=False) as data:
        for key in data.files:
            name, _, part = key.rpartition("__")
            result.setdefault(name, {})[part] = data[key]
    return result


def seed_summary(runs: list[dict], split: str) -> dict:
    """Mean accuracy and loss of `split` over the runs of one experiment, with the accuracy's spread."""
    accuracy = spread([run[split]["accuracy"] for run in runs])
    loss = spread([run[split]["loss"] for run in runs])
    return {"accuracy": accuracy["mean"], "loss": loss["mean"], "std": accuracy["std"], "seeds": accuracy["seeds"]}


@dataclass
class Experiments:
    """What a training stage produced, experiment by experiment and seed by seed: the kept run's model saved
    under `models_dir` (the first seed's: choosing the best seed would pick on noise), its problem and
    outcome (for the predictions file), and the results entry with every seed's scores (results JSON).
    Durations stay in `seconds` (for the run log), out of the results."""

    models_dir: Path
    problems: dict[str, Problem] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    results: dict[str, dict] = field(default_factory=dict)
    runs: dict[str, list[dict]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, model, problem: Problem, outcome: Outcome, entry: dict, seed: int) -> None:
        log_outcome(name, outcome)
        runs = self.runs.setdefault(name, [])
        if not runs:  # the first seed's run is the kept one: its model, predictions and curves
            save_model(model, self.models_dir / name)
            self.problems[name], self.outcomes[name] = problem, outcome
        runs.append(
            {
                "seed": seed,
                "validation": {"accuracy": outcome.validation_accuracy, "loss": outcome.validation_loss},
                "test": {"accuracy": outcome.test_accuracy, "loss": outcome.test_loss},
                "epochs_run": outcome.epochs_run,
                "best_epoch": outcome.best_epoch,
            }
        )
        self.seconds[name] = self.seconds.get(name, 0.0) + outcome.seconds
        kept = self.outcomes[name]
        self.results[name] = {
            **entry,
            "classes": problem.class_names,
            "train_images": len(problem.train),
            "seeds": [run["seed"] for run in runs],
            "validation": seed_summary(runs, "validation"),
            "test": seed_summary(runs, "test"),
            "runs": runs,
            "kept_seed": runs[0]["seed"],
            "epochs_run": kept.epochs_run,
            "best_epoch": kept.best_epoch,
            "history": kept.history,
            "model_path": shown(self.models_dir / f"{name}.keras"),
        }

    def save_predictions(self, path: Path) -> None:
        save_predictions(path, self.problems, self.outcomes)


def log_outcome(name: str, outcome: Outcome) -> None:
    log.info(
        "%s: validation accuracy %.3f, test accuracy %.3f, loss %.3f (%d epochs, best %d, %.0f s)",
        name,
        outcome.validation_accuracy,
        outcome.test_accuracy,
        outcome.test_loss,
        outcome.epochs_run,
        outcome.best_epoch,
        outcome.seconds,
    )
