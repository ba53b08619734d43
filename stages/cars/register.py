"""Stage `cars_register`: the family chosen on validation → models/cars/model.joblib (the
`cars-price-estimator` artifact in dvc.yaml) and its card models/cars/model_card.json (version, parameters,
price interval, validation and test metrics, training vocabulary and ranges, library versions)."""

from __future__ import annotations

import hashlib
import shutil

from pipelines.cars.data import read_split
from pipelines.cars.paths import CANDIDATES, DATA_SUMMARY, METRICS, MODEL, MODEL_CARD, TRAIN, TRAIN_SUMMARY
from pipelines.cars.registry import build_card
from pipelines.common.io import atomic_path, read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.stage import run_stage

log = get_logger("cars.register")


def main() -> None:
    summary, metrics, data = read_json(TRAIN_SUMMARY), read_json(METRICS), read_json(DATA_SUMMARY)
    best = summary["best_model"]
    with atomic_path(MODEL) as tmp:
        shutil.copyfile(CANDIDATES / f"{best}.joblib", tmp)
    train = read_split(TRAIN)
    train_sha256 = hashlib.sha256(train.to_csv(index=False).encode()).hexdigest()
    card = build_card(
        best,
        summary["models"][best],
        metrics,
        data,
        train,
        train_sha256,
        MODEL,
        summary["listing_year"],
        summary["interval_coverage"],
    )
    write_json(MODEL_CARD, card)
    log.info("registered %s version %s", best, card["version"])


if __name__ == "__main__":
    run_stage(main, "cars.register")
