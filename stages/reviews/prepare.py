"""Stage: read and validate each configured review data set → data/interim/reviews/<dataset>/<split>.csv.gz."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipelines.common.errors import ParamError
from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.paths import resolve, shown
from pipelines.common.stage import run_stage
from pipelines.reviews.data import (
    LABEL,
    SPLITS,
    drop_cross_split_duplicates,
    load_reviews,
    stratified_sample,
    write_reviews,
)
from pipelines.reviews.paths import INTERIM_SOURCE, interim_split
from pipelines.reviews.settings import DataParams, reviews_params

log = get_logger("reviews.prepare")


def prepare_dataset(data: DataParams, name: str, seed: int) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Load one data set, drop cross-split repeats, optionally subsample train; return splits and provenance."""
    source = data.sources[name]
    folder = resolve(source.path)
    if not folder.is_dir():
        raise ParamError(f"reviews.data.sources.{name}.path", f"folder not found: {folder}")
    splits, read = load_reviews(folder)
    dropped: dict[str, int] = {}
    if data.drop_cross_split_duplicates:
        splits, dropped = drop_cross_split_duplicates(splits)
    max_train = data.max_train_rows
    if max_train is not None:
        splits["train"] = stratified_sample(splits["train"], max_train, seed)
    rows = {split: len(frame) for split, frame in splits.items()}
    log.info("%s: %s rows (train/validation/test) from %s", name, "/".join(f"{n:,}" for n in rows.values()), folder)
    provenance = {
        "description": source.description or name,
        "kind": source.kind,
        "licence": source.licence,
        "path": shown(folder),
        **read,
        "rows": rows,
        "labels": {split: frame[LABEL].value_counts().sort_index().to_dict() for split, frame in splits.items()},
        "cross_split_duplicates_dropped": dropped,
        "max_train_rows": max_train,
    }
    return splits, provenance


def main() -> None:
    reviews = reviews_params()
    data = reviews.data
    seed = reviews.seed
    provenance = {"primary": data.primary, "datasets": {}}
    for name in data.ordered():
        splits, provenance["datasets"][name] = prepare_dataset(data, name, seed)
        for split in SPLITS:
            write_reviews(interim_split(name, split), splits[split])
    write_json(INTERIM_SOURCE, provenance)


if __name__ == "__main__":
    run_stage(main, "reviews.prepare")
