"""Stage: read and validate each configured review data set → data/interim/reviews/<dataset>/<split>.csv.gz."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipelines.common.errors import ParamError
from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import Params, load_params
from pipelines.common.paths import resolve, shown
from pipelines.common.provenance import DATA_KINDS
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

log = get_logger("reviews.prepare")


def configured_datasets(data: Params) -> list[str]:
    """The data sets to run, primary first; each must have a source entry."""
    datasets = data.string_list("datasets")
    primary = data.get("primary", type_=str)
    if primary not in datasets:
        raise ParamError(data.name("primary"), f"{primary!r} is not in {data.name('datasets')} {datasets}")
    sources = data.section("sources")
    for name in datasets:
        sources.section(name)
    return [primary, *[name for name in datasets if name != primary]]


def prepare_dataset(data: Params, name: str, seed: int) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Load one data set, drop cross-split repeats, optionally subsample train; return splits and provenance."""
    source = data.section("sources").section(name)
    folder = resolve(source.get("path", type_=str))
    if not folder.is_dir():
        raise ParamError(source.name("path"), f"folder not found: {folder}")
    splits, read = load_reviews(folder)
    dropped: dict[str, int] = {}
    if data.get("drop_cross_split_duplicates", True, type_=bool):
        splits, dropped = drop_cross_split_duplicates(splits)
    max_train = data.get("max_train_rows", None, type_=(int, type(None)))
    if max_train is not None:
        if max_train < 100:
            raise ParamError(data.name("max_train_rows"), f"must be null or >= 100, got {max_train}")
        splits["train"] = stratified_sample(splits["train"], max_train, seed)
    rows = {split: len(frame) for split, frame in splits.items()}
    log.info("%s: %s rows (train/validation/test) from %s", name, "/".join(f"{n:,}" for n in rows.values()), folder)
    provenance = {
        "description": source.get("description", name, type_=str),
        "kind": source.choice("kind", DATA_KINDS, "real-sample"),
        "licence": source.get("licence", "see the data README", type_=str),
        "path": shown(folder),
        **read,
        "rows": rows,
        "labels": {split: frame[LABEL].value_counts().sort_index().to_dict() for split, frame in splits.items()},
        "cross_split_duplicates_dropped": dropped,
        "max_train_rows": max_train,
    }
    return splits, provenance


def main() -> None:
    reviews = load_params("reviews")
    data = reviews.section("data")
    seed = reviews.integer("seed")
    provenance = {"primary": data.get("primary", type_=str), "datasets": {}}
    for name in configured_datasets(data):
        splits, provenance["datasets"][name] = prepare_dataset(data, name, seed)
        for split in SPLITS:
            write_reviews(interim_split(name, split), splits[split])
    write_json(INTERIM_SOURCE, provenance)


if __name__ == "__main__":
    run_stage(main, "reviews.prepare")
