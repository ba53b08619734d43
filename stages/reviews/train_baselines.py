"""Stage: bag-of-words and TF-IDF baselines, every feature set × classifier, tuned on validation.

Writes the validation and test scores of every model (data/processed/reviews/predictions/baselines.csv.gz),
their configurations (models/reviews/baselines.json) and the primary data set's best baseline, chosen on
validation accuracy (models/reviews/baseline_best.joblib).
"""

from __future__ import annotations

import joblib
import pandas as pd

from pipelines.common.io import atomic_path, read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.progress import progress
from pipelines.common.provenance import library_versions
from pipelines.common.runlog import pop_run_time, write_run_log
from pipelines.common.selection import choose
from pipelines.common.stage import run_stage
from pipelines.reviews.classical import FeatureSpec, fit_tuned, positive_score
from pipelines.reviews.data import LABEL, read_reviews
from pipelines.reviews.paths import (
    BASELINE_MODEL,
    BASELINE_PREDICTIONS,
    BASELINE_SUMMARY,
    INTERIM_SOURCE,
    processed_split,
)
from pipelines.reviews.predictions import prediction_rows, write_predictions
from pipelines.reviews.settings import BaselinesParams, reviews_params

log = get_logger("reviews.train_baselines")


def feature_specs(settings: BaselinesParams) -> list[FeatureSpec]:
    return [FeatureSpec.from_params(name, features) for name, features in settings.features.items()]


def train_dataset(dataset: str, settings: BaselinesParams, seed: int):
    """Every baseline on one data set: (predictions, summaries, fitted models, run times by name)."""
    splits = {split: read_reviews(processed_split(dataset, split)) for split in ("train", "validation", "test")}
    candidates = {name: settings.grid(name) for name in settings.classifiers}
    predictions, summaries, models, timing = [], {}, {}, {}
    for spec in progress(feature_specs(settings), f"baselines {dataset}"):
        for classifier, (model, summary) in fit_tuned(
            spec, candidates, splits["train"], splits["validation"], seed
        ).items():
            name = f"{spec.name}_{classifier}"
            for split in ("validation", "test"):
                frame = splits[split]
                scores = positive_score(model, frame[spec.input])
                predicted = model.predict(frame[spec.input])
                predictions.append(prediction_rows(dataset, name, split, frame[LABEL], scores, predicted))
            timing[name] = pop_run_time(summary)
            summaries[name] = summary
            models[name] = model
            log.info("%s %s: validation accuracy %.3f", dataset, name, summary["validation_accuracy"])
    return predictions, summaries, models, timing


def best_on_validation(summaries: dict[str, dict]) -> str:
    """Highest validation accuracy; ties go to the model listed first (the simpler feature set)."""
    return choose(
        summaries, lambda name: summaries[name]["validation_accuracy"], split="validation", higher_is_better=True
    )


def main() -> None:
    reviews = reviews_params()
    settings = reviews.baselines
    seed = reviews.seed
    source = read_json(INTERIM_SOURCE)
    primary = source["primary"]
    predictions, summary, timing = [], {"seed": seed, "datasets": {}, "best": {}}, {}
    for dataset in source["datasets"]:
        rows, summaries, models, timing[dataset] = train_dataset(dataset, settings, seed)
        predictions.extend(rows)
        best = best_on_validation(summaries)
        summary["datasets"][dataset] = summaries
        summary["best"][dataset] = best
        if dataset == primary:
            with atomic_path(BASELINE_MODEL) as tmp:
                joblib.dump(models[best], tmp)
    summary["best_model_file"] = {
        "dataset": primary,
        "model": summary["best"][primary],
        "path": "models/reviews/baseline_best.joblib",
    }
    summary["library_versions"] = library_versions(("joblib",))
    write_predictions(BASELINE_PREDICTIONS, pd.concat(predictions, ignore_index=True))
    write_json(BASELINE_SUMMARY, summary)
    write_run_log("reviews_train_baselines", {"runs": timing})


if __name__ == "__main__":
    run_stage(main, "reviews.train_baselines")
