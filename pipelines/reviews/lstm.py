"""LSTM classifiers over pretrained word vectors (Keras on the TensorFlow backend).

Importing this module sets TensorFlow's log level and Keras's backend, so import it before
anything else that imports TensorFlow.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no INFO/WARNING chatter from TensorFlow's C++ side
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # no oneDNN notices; results reproducible on any CPU
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import logging  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from typing import Any  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from pipelines.reviews.settings import VariantParams  # noqa: E402


@dataclass(frozen=True)
class Variant:
    """One LSTM configuration; `layers` > 1 stacks LSTM layers, `bilstm` reads both directions."""

    name: str
    architecture: str
    units: int
    layers: int
    trainable_embeddings: bool
    dropout: float
    optimizer: str
    learning_rate: float

    @classmethod
    def from_params(cls, name: str, params: VariantParams) -> Variant:
        return cls(name=name, **params.model_dump())

    def describe(self) -> str:
        kind = "bidirectional LSTM" if self.architecture == "bilstm" else "LSTM"
        stack = f"{self.layers} stacked layers of {kind}" if self.layers > 1 else kind
        embeddings = "fine-tuned" if self.trainable_embeddings else "frozen"
        drop = f", dropout {self.dropout:g}" if self.dropout else ""
        return (
            f"{stack} ({self.units} units), {embeddings} embeddings{drop}, {self.optimizer} (lr {self.learning_rate:g})"
        )


def configure(threads: int, seed: int) -> None:
    """Use `threads` cores, deterministic ops and a fixed seed (Python, NumPy and TensorFlow): the same
    inputs give the same weights and scores. TensorFlow's Python logger only for errors (its retracing
    notices after each new model are expected here)."""
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # TensorFlow already started in this process (tests): the first setting stays
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9)
    if name == "adagrad":
        return keras.optimizers.Adagrad(learning_rate)
    raise ValueError(f"unknown optimizer {name!r}")


def build_model(variant: Variant, matrix: np.ndarray, max_len: int) -> keras.Model:
    """Embedding initialised from `matrix` (index 0 = padding, masked) → LSTM layer(s) → sigmoid."""
    inputs = keras.Input(shape=(max_len,), dtype="int32", name="token_ids")
    embedding = keras.layers.Embedding(
        matrix.shape[0], matrix.shape[1], mask_zero=True, trainable=variant.trainable_embeddings, name="embedding"
    )
    x = embedding(inputs)
    embedding.set_weights([matrix])
    if variant.dropout:
        x = keras.layers.SpatialDropout1D(variant.dropout, name="embedding_dropout")(x)
    for layer in range(variant.layers):
        last = layer == variant.layers - 1
        recurrent = keras.layers.LSTM(variant.units, return_sequences=not last, name=f"lstm_{layer + 1}")
        x = (
            keras.layers.Bidirectional(recurrent, name=f"bilstm_{layer + 1}")(x)
            if variant.architecture == "bilstm"
            else recurrent(x)
        )
        if variant.dropout:
            x = keras.layers.Dropout(variant.dropout, name=f"dropout_{layer + 1}")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="positive")(x)
    model = keras.Model(inputs, outputs, name=variant.name)
    model.compile(
        optimizer=make_optimizer(variant.optimizer, variant.learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def train(
    variant: Variant,
    matrix: np.ndarray,
    data: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    batch_size: int,
    max_epochs: int,
    patience: int,
    seed: int,
) -> tuple[keras.Model, dict[str, Any]]:
    """Fit on train with early stopping on validation loss (best weights restored); the test split is not seen."""
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_validation, y_validation) = data["train"], data["validation"]
    model = build_model(variant, matrix, x_train.shape[1])
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    started = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_validation, y_validation),
        epochs=max_epochs,
        batch_size=batch_size,
        callbacks=[stopper],
        shuffle=True,
        verbose=0,
    )
    seconds = time.perf_counter() - started
    curves = {key: [round(float(v), 5) for v in values] for key, values in history.history.items()}
    epochs = len(curves["loss"])
    validation_accuracy = float(((predict(model, x_validation) >= 0.5) == y_validation).mean())
    summary = {
        "variant": {**asdict(variant), "description": variant.describe()},
        "parameters": int(model.count_params()),
        "trainable_parameters": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
        "epochs_run": epochs,
        "best_epoch": int(np.argmin(curves["val_loss"])) + 1,
        "stopped_early": epochs < max_epochs,
        "validation_accuracy": round(validation_accuracy, 4),
        "history": curves,
        # run-time values: the training stage moves them to its run log, out of its outputs
        "fit_seconds": round(seconds, 1),
        "seconds_per_epoch_per_1000_reviews": round(seconds / epochs / len(x_train) * 1000, 3),
    }
    return model, summary


def predict(model: keras.Model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    return model.predict(x, batch_size=batch_size, verbose=0).reshape(-1)
