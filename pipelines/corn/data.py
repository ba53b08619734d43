"""Paths, cached arrays and the tf.data input pipeline of the corn pipeline (one place for each)."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.common.errors import DataError
from pipelines.corn.layout import CLASS_LABELS, CLASSES

SYNTHETIC_WARNING = "SYNTHETIC images: accuracy on them says nothing about real corn fields"


def configure_tensorflow(threads: int, seed: int) -> None:
    """Quiet logs, a fixed number of CPU threads (the machine is shared), deterministic ops and every seed set.

    With `enable_op_determinism` and the seeds set, two runs on the same inputs write the same weights and
    scores (tests/corn/test_determinism.py). Must run before TensorFlow is first imported for the log level
    to apply.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # reproducible float summation order
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # already initialised in this process (tests): the first setting stays
        pass
    tf.config.experimental.enable_op_determinism()
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    import keras

    keras.utils.set_random_seed(seed)


@dataclass
class Split:
    images: np.ndarray  # uint8 (n, size, size, 3)
    labels: np.ndarray  # int64 index into CLASSES
    paths: np.ndarray  # str, relative to the data set root

    def __len__(self) -> int:
        return len(self.labels)


def save_split(path: Path, split: Split) -> None:
    from pipelines.common.io import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, images=split.images, labels=split.labels, paths=split.paths.astype(str))


def load_split(path: Path) -> Split:
    try:
        with np.load(path, allow_pickle=False) as data:
            return Split(data["images"], data["labels"], data["paths"])
    except (OSError, KeyError, ValueError) as error:
        raise DataError(f"cannot read prepared images {path}: {error} (run the corn_prepare stage)") from error


def class_subset(split: Split, class_names: list[str]) -> Split:
    """Keep the images of `class_names` and renumber their labels 0..k-1 in that order."""
    unknown = set(class_names) - set(CLASSES)
    if unknown:
        raise DataError(f"unknown classes {sorted(unknown)}; expected names among {CLASSES}")
    mapping = {CLASSES.index(name): new for new, name in enumerate(class_names)}
    keep = np.isin(split.labels, list(mapping))
    labels = np.asarray([mapping[label] for label in split.labels[keep]], dtype=np.int64)
    return Split(split.images[keep], labels, split.paths[keep])


def english(class_names: list[str]) -> list[str]:
    return [f"{CLASS_LABELS[name]} ({name})" for name in class_names]


def make_dataset(
    split: Split,
    n_classes: int,
    batch_size: int,
    *,
    training: bool,
    seed: int,
    augment=None,
    size: int | None = None,
):
    """tf.data: float images 0–255 (resized to `size` if given), one-hot labels; cached, shuffled, prefetched.

    The decoded arrays are cached after the (deterministic) cast and resize; augmentation runs after
    the cache so every epoch sees new random variants. Every map runs in order (`deterministic=True`, no
    parallel calls for the augmentation, whose seeded random state would otherwise be consumed in whatever
    order the threads reach it) and the shuffle is seeded: the same seed gives the same batches.
    """
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((split.images, split.labels))

    def prepare(image, label):
        image = tf.cast(image, tf.float32)
        if size is not None and size != image.shape[0]:
            image = tf.image.resize(image, (size, size))
        return image, tf.one_hot(label, n_classes)

    dataset = dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).cache()
    if training:
        dataset = dataset.shuffle(len(split), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if training and augment is not None:
        dataset = dataset.map(lambda x, y: (augment(x, training=True), y), deterministic=True)
    return dataset.prefetch(tf.data.AUTOTUNE)


def class_weights(labels: np.ndarray, n_classes: int, max_ratio: float) -> dict[int, float] | None:
    """Inverse-frequency weights when the largest class is more than `max_ratio` times the smallest."""
    counts = np.bincount(labels, minlength=n_classes).astype(float)
    if counts.min() == 0:
        raise DataError(f"a class has no training image (counts {counts.astype(int).tolist()})")
    if counts.max() / counts.min() <= max_ratio:
        return None
    weights = counts.sum() / (n_classes * counts)
    return {i: float(w) for i, w in enumerate(weights)}
