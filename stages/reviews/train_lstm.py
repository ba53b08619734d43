"""Stage: LSTM variants over the pretrained embeddings, early-stopped on validation.

Each variant runs once per seed (`reviews.lstm.seeds` consecutive seeds from `reviews.seed`). Writes the
validation and test scores of each variant's first-seed run (data/processed/reviews/predictions/lstm.csv.gz),
the configurations, every seed's scores with their mean ± std and the kept runs' curves
(models/reviews/lstm.json), and the primary data set's best variant on mean validation accuracy, then ROC AUC
(models/reviews/lstm_best.keras + lstm_best_vocabulary.json). Durations go to logs/reviews_train_lstm.json.
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from pipelines.common.io import read_json, write_json
from pipelines.common.keras_files import save_model
from pipelines.common.logs import get_logger
from pipelines.common.provenance import library_versions
from pipelines.common.runlog import write_run_log
from pipelines.common.seeds import seed_list, spread
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
from pipelines.reviews.predictions import classification_metrics, prediction_rows, selection_key, write_predictions
from pipelines.reviews.settings import LstmParams, reviews_params
from pipelines.reviews.word_vectors import encode

log = get_logger("reviews.train_lstm")
FULL_TRAIN_ROWS = 160_000  # training reviews of the full Allociné data


def sequence_length(lengths: pd.Series, cap: int, percentile: float) -> int:
    """The given percentile of training lengths, at most `cap` (padding beyond it only costs time)."""
    return int(min(cap, max(8, math.ceil(float(np.percentile(lengths, percentile))))))


def variants(settings: LstmParams) -> list[Variant]:
    return [Variant.from_params(name, variant) for name, variant in settings.variants.items()]


def seed_summary(runs: list[dict], split: str) -> dict:
    """Mean accuracy, ROC AUC and F1 of `split` over the seeds, with the accuracy's spread."""
    accuracy = spread([run[split]["accuracy"] for run in runs])
    return {
        "accuracy": accuracy["mean"],
        "std": accuracy["std"],
        "seeds": accuracy["seeds"],
        **{key: spread([run[split][key] for run in runs])["mean"] for key in ("roc_auc", "f1")},
    }


def train_dataset(dataset: str, settings: LstmParams, seed: int, on_model=None):
    """Every variant on one data set, once per seed: (prediction frames of the kept runs, summary, durations).

    The first seed's run of each variant is kept (its predictions, curves and model); every seed's validation
    and test scores are in the summary. `on_model(name, model, key)` sees each variant's kept model with its
    selection key (mean validation accuracy, then ROC AUC) to keep the best without holding them all."""
    stored = np.load(embeddings_file(dataset))
    vocabulary, matrix = stored["vocabulary"].tolist(), stored["matrix"]
    splits = {split: read_reviews(processed_split(dataset, split)) for split in ("train", "validation", "test")}
    tokens = {split: frame["tokens"].str.split().tolist() for split, frame in splits.items()}
    truncating = settings.truncating
    length = sequence_length(splits["train"]["n_tokens"], settings.max_len, settings.length_percentile)
    data = {
        split: (encode(tokens[split], vocabulary, length, truncating), frame[LABEL].to_numpy(dtype=np.float32))
        for split, frame in splits.items()
    }
    truncated = float((splits["train"]["n_tokens"] > length).mean())
    log.info("%s: sequences of %d tokens (%.0f %% of training reviews truncated)", dataset, length, 100 * truncated)
    predictions, summaries, timing = [], {}, {}
    seeds = seed_list(seed, settings.seeds, "reviews.lstm.seeds")
    for variant in variants(settings):
        runs, kept = [], None
        for run_seed in seeds:
            model, summary = train(
                variant,
                matrix,
                {split: data[split] for split in ("train", "validation")},
                batch_size=settings.batch_size,
                max_epochs=settings.max_epochs,
                patience=settings.patience,
                seed=run_seed,
            )
            timing.setdefault(variant.name, []).append(
                {key: summary.pop(key) for key in ("fit_seconds", "seconds_per_epoch_per_1000_reviews")}
            )
            run = {"seed": run_seed, "epochs_run": summary["epochs_run"], "best_epoch": summary["best_epoch"]}
            scores = {}
            for split in ("validation", "test"):
                scores[split] = predict(model, data[split][0])
                labels = splits[split][LABEL]
                metrics = classification_metrics(labels, scores[split] >= 0.5, scores[split])
                run[split] = {key: metrics[key] for key in ("accuracy", "roc_auc", "f1")}
            runs.append(run)
            log.info(
                "%s %s seed %d: validation accuracy %.3f after %d epochs",
                dataset,
                variant.name,
                run_seed,
                run["validation"]["accuracy"],
                summary["epochs_run"],
            )
            if kept is None:  # the first seed's run is the kept one: its model, predictions and curves
                kept = (model, summary)
                for split in ("validation", "test"):
                    predictions.append(
                        prediction_rows(
                            dataset, variant.name, split, splits[split][LABEL], scores[split], scores[split] >= 0.5
                        )
                    )
        model, summary = kept
        summary["seeds"] = seeds
        summary["runs"] = runs
        for split in ("validation", "test"):
            summary[split] = seed_summary(runs, split)
        summaries[variant.name] = summary
        if on_model:
            on_model(variant.name, model, selection_key(summary["validation"]))
    return (
        predictions,
        {
            "sequence_length": length,
            "truncating": truncating,
            "share_of_train_reviews_truncated": round(truncated, 4),
            "train_rows": len(splits["train"]),
            "variants": summaries,
        },
        timing,
    )


class BestKeeper:
    """Saves a variant's kept model when its selection key (mean validation accuracy over the seeds, then mean
    validation ROC AUC) beats the best so far (ties keep the earlier one)."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.key: tuple[float, ...] = (-1.0,)

    def __call__(self, name: str, model, key: tuple[float, ...]) -> None:
        if key > self.key:
            self.name, self.key = name, key
            save_model(model, LSTM_MODEL)


def train_one(dataset: str, settings: LstmParams, seed: int, threads: int, keep_best: bool):
    """Train every variant on one data set in this process; save its best model when `keep_best`."""
    configure(threads, seed)
    keeper = BestKeeper() if keep_best else None
    predictions, summary, timing = train_dataset(dataset, settings, seed, keeper)
    return pd.concat(predictions, ignore_index=True), summary, keeper.name if keeper else None, timing


def train_all(datasets: list[str], primary: str, settings: LstmParams, seed: int, threads: int):
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
    timing = {name: result[3] for name, result in results.items()}
    return {name: result[:2] for name, result in results.items()}, results[primary][2], timing


def main() -> None:
    reviews = reviews_params()
    settings = reviews.lstm
    seed = reviews.seed
    source = read_json(INTERIM_SOURCE)
    primary = source["primary"]
    results, best_name, timing = train_all(list(source["datasets"]), primary, settings, seed, settings.threads)
    summary = {
        "seed": seed,
        "selection": "highest mean validation accuracy over the seeds, then mean validation ROC AUC; ties go to "
        "the variant listed first",
        "datasets": {},
        "best": {},
    }
    for dataset, (_, dataset_summary) in results.items():
        summary["datasets"][dataset] = dataset_summary
        scores = dataset_summary["variants"]
        summary["best"][dataset] = max(scores, key=lambda name: selection_key(scores[name]["validation"]))
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
    write_run_log(
        "reviews_train_lstm",
        {
            "runs": timing,
            "full_data_estimate": full_data_estimate(timing[primary], summary["datasets"][primary]),
        },
    )


def full_data_estimate(timing: dict[str, list[dict]], info: dict) -> str:
    """Expected time of one seed of every variant on the full 160k training reviews, scaled from the
    measured speed (a run-time value: it goes to the run log, not into the outputs)."""
    per_epoch = sum(runs[0]["seconds_per_epoch_per_1000_reviews"] for runs in timing.values()) * FULL_TRAIN_ROWS
    epochs = max(v["epochs_run"] for v in info["variants"].values())
    return (
        f"at the speed measured here, one epoch of all {len(timing)} variants (one seed) on {FULL_TRAIN_ROWS:,} "
        f"training reviews takes about {per_epoch / 1000 / 60:.0f} min ({per_epoch / 1000 * epochs / 3600:.1f} h "
        f"for {epochs} epochs at {info['sequence_length']} tokens; time grows linearly with reviews, sequence "
        "length and seeds)"
    )


if __name__ == "__main__":
    run_stage(main, "reviews.train_lstm")
