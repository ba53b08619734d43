"""Stage: LSTM variants over the pretrained embeddings, early-stopped on validation.

Writes the validation and test scores of every variant (data/processed/reviews/predictions/lstm.csv.gz),
their configurations and training curves (models/reviews/lstm.json), and the primary data set's best
variant on validation accuracy (models/reviews/lstm_best.keras + lstm_best_vocabulary.json).
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.common.io import read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import Params, load_params
from pipelines.common.provenance import library_versions, utc_now
from pipelines.common.stage import run_stage
from pipelines.reviews.data import LABEL, read_reviews
from pipelines.reviews.lstm import Variant, configure, predict, train
from pipelines.reviews.paths import (
    INTERIM_SOURCE,
    LSTM_MODEL,
    LSTM_PREDICTIONS,
    LSTM_SUMMARY,
    LSTM_VOCABULARY,
    embeddings_file,
    processed_split,
)
from pipelines.reviews.predictions import prediction_rows, write_predictions
from pipelines.reviews.word_vectors import encode

log = get_logger("reviews.train_lstm")
TRUNCATING = ("pre", "post")


def sequence_length(lengths: pd.Series, cap: int, percentile: float) -> int:
    """The given percentile of training lengths, at most `cap` (padding beyond it only costs time)."""
    return int(min(cap, max(8, math.ceil(float(np.percentile(lengths, percentile))))))


def variants(settings: Params) -> list[Variant]:
    section = settings.section("variants")
    return [Variant.from_params(name, section.section(name)) for name in section.as_dict()]


def train_dataset(dataset: str, settings: Params, seed: int, on_model=None):
    """Every variant on one data set: (prediction frames, summary). `on_model(name, model, accuracy)` sees
    each fitted model (to keep the best one without holding them all in memory)."""
    stored = np.load(embeddings_file(dataset))
    vocabulary, matrix = stored["vocabulary"].tolist(), stored["matrix"]
    splits = {split: read_reviews(processed_split(dataset, split)) for split in ("train", "validation", "test")}
    tokens = {split: frame["tokens"].str.split().tolist() for split, frame in splits.items()}
    truncating = settings.choice("truncating", TRUNCATING)
    length = sequence_length(
        splits["train"]["n_tokens"],
        settings.integer("max_len", minimum=8),
        settings.number("length_percentile", minimum=1, maximum=100),
    )
    data = {
        split: (encode(tokens[split], vocabulary, length, truncating), frame[LABEL].to_numpy(dtype=np.float32))
        for split, frame in splits.items()
    }
    truncated = float((splits["train"]["n_tokens"] > length).mean())
    log.info("%s: sequences of %d tokens (%.0f %% of training reviews truncated)", dataset, length, 100 * truncated)
    predictions, summaries = [], {}
    for variant in variants(settings):
        model, summary = train(
            variant,
            matrix,
            {split: data[split] for split in ("train", "validation")},
            batch_size=settings.integer("batch_size", minimum=1),
            max_epochs=settings.integer("max_epochs", minimum=1),
            patience=settings.integer("patience", minimum=0),
            seed=seed,
        )
        for split in ("validation", "test"):
            scores = predict(model, data[split][0])
            predictions.append(
                prediction_rows(dataset, variant.name, split, splits[split][LABEL], scores, scores >= 0.5)
            )
        summaries[variant.name] = summary
        log.info(
            "%s %s: validation accuracy %.3f after %d epochs (%.0f s)",
            dataset,
            variant.name,
            summary["validation_accuracy"],
            summary["epochs_run"],
            summary["fit_seconds"],
        )
        if on_model:
            on_model(variant.name, model, summary["validation_accuracy"])
    return predictions, {
        "sequence_length": length,
        "truncating": truncating,
        "share_of_train_reviews_truncated": round(truncated, 4),
        "train_rows": len(splits["train"]),
        "variants": summaries,
    }


def save_model(model, path: Path) -> None:
    """Save a Keras model atomically (Keras needs the .keras extension, so atomic_path's name won't do)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.partial.keras")
    try:
        model.save(partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


class BestKeeper:
    """Saves a model when its validation accuracy beats the best so far (ties keep the earlier one)."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.accuracy = -1.0

    def __call__(self, name: str, model, accuracy: float) -> None:
        if accuracy > self.accuracy:
            self.name, self.accuracy = name, accuracy
            save_model(model, LSTM_MODEL)


def train_one(dataset: str, settings: Params, seed: int, threads: int, keep_best: bool):
    """Train every variant on one data set in this process; save its best model when `keep_best`."""
    configure(threads, seed)
    keeper = BestKeeper() if keep_best else None
    predictions, summary = train_dataset(dataset, settings, seed, keeper)
    return pd.concat(predictions, ignore_index=True), summary, keeper.name if keeper else None


def train_all(datasets: list[str], primary: str, settings: Params, seed: int, threads: int):
    """One process per data set (up to `threads`): a small LSTM's step is too short to use two cores, two
    data sets at once do. Returns {dataset: (predictions, summary)} and the saved model's name."""
    workers = min(threads, len(datasets))
    if workers == 1:
        results = {name: train_one(name, settings, seed, threads, name == primary) for name in datasets}
    else:
        context = multiprocessing.get_context("spawn")  # TensorFlow does not survive fork
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {name: pool.submit(train_one, name, settings, seed, 1, name == primary) for name in datasets}
            results = {name: future.result() for name, future in futures.items()}
    return {name: result[:2] for name, result in results.items()}, results[primary][2]


def main() -> None:
    reviews = load_params("reviews")
    settings = reviews.section("lstm")
    seed = reviews.integer("seed")
    variants(settings)  # a bad variant fails now, not after the first ones have trained
    source = read_json(INTERIM_SOURCE)
    primary = source["primary"]
    results, best_name = train_all(
        list(source["datasets"]), primary, settings, seed, settings.integer("threads", minimum=1)
    )
    summary = {"trained_at": utc_now(), "seed": seed, "datasets": {}, "best": {}}
    for dataset, (_, dataset_summary) in results.items():
        summary["datasets"][dataset] = dataset_summary
        scores = dataset_summary["variants"]
        summary["best"][dataset] = max(scores, key=lambda name: scores[name]["validation_accuracy"])
    vocabulary = np.load(embeddings_file(primary))["vocabulary"].tolist()
    write_json(
        LSTM_VOCABULARY,
        {
            "model": best_name,
            "dataset": primary,
            "sequence_length": summary["datasets"][primary]["sequence_length"],
            "truncating": summary["datasets"][primary]["truncating"],
            "vocabulary": vocabulary,
        },
    )
    summary["best_model_file"] = {"dataset": primary, "model": best_name, "path": "models/reviews/lstm_best.keras"}
    summary["library_versions"] = library_versions(("keras", "tensorflow-cpu"))
    write_predictions(LSTM_PREDICTIONS, pd.concat([frame for frame, _ in results.values()], ignore_index=True))
    write_json(LSTM_SUMMARY, summary)


if __name__ == "__main__":
    run_stage(main, "reviews.train_lstm")
