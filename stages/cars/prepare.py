"""Stage `cars_prepare`: read and check the listings, apply the outlier rule, remove exact duplicates, then
split into train / validation / test by listing group (pipelines/cars/data.py says why in this order)."""

from __future__ import annotations

from pipelines.cars.data import (
    OutlierRule,
    apply_outlier_rule,
    listing_groups,
    read_listings,
    remove_exact_duplicates,
    split_listings,
    write_split,
)
from pipelines.cars.paths import DATA_SUMMARY, TEST, TRAIN, VALIDATION
from pipelines.cars.schema import TARGET
from pipelines.common.errors import ParamError
from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.paths import resolve
from pipelines.common.provenance import DATA_KINDS, file_sha256
from pipelines.common.stage import run_stage

log = get_logger("cars.prepare")


def main() -> None:
    cars = load_params("cars")
    data, clean, split = cars.section("data"), cars.section("clean"), cars.section("split")
    path = resolve(data.get("path", type_=str))
    if not path.exists():
        raise ParamError(data.name("path"), f"{path} does not exist")
    listing_year = data.integer("listing_year", minimum=1990)
    rule = OutlierRule(
        min_price=clean.number("min_price", minimum=0),
        max_price=clean.number("max_price", minimum=1),
        min_hp=clean.number("min_hp", minimum=0),
        max_hp=clean.number("max_hp", minimum=1),
        max_mileage=clean.number("max_mileage", minimum=1),
        listing_year=listing_year,
    )
    raw = read_listings(path)
    kept, dropped = apply_outlier_rule(raw, rule)
    unique, duplicates = remove_exact_duplicates(kept)
    train, validation, test = split_listings(
        unique,
        split.number("validation_size", minimum=0.05, maximum=0.4),
        split.number("test_size", minimum=0.05, maximum=0.4),
        split.integer("seed"),
    )
    for target, frame in ((TRAIN, train), (VALIDATION, validation), (TEST, test)):
        write_split(target, frame)
    groups = listing_groups(unique)
    summary = {
        "source": data.get("source", type_=str),
        "description": data.get("description", type_=str),
        "kind": data.choice("kind", DATA_KINDS),
        "path": str(data.get("path")),
        "sha256": file_sha256(path),
        "listing_year": listing_year,
        "rows": {
            "read": len(raw),
            "dropped_by_rule": sum(dropped.values()),
            "exact_duplicates": duplicates,
            "used": len(unique),
            "train": len(train),
            "validation": len(validation),
            "test": len(test),
        },
        "dropped": dropped,
        "rule": clean.as_dict(),
        "repeated_listings": int(len(unique) - len(set(groups))),
        "price_median": {name: float(frame[TARGET].median()) for name, frame in (("train", train), ("test", test))},
        "split": split.as_dict(),
    }
    write_json(DATA_SUMMARY, summary)
    log.info(
        "%d listings: %d dropped by the outlier rule, %d exact duplicates → %d train / %d validation / %d test",
        len(raw),
        sum(dropped.values()),
        duplicates,
        len(train),
        len(validation),
        len(test),
    )


if __name__ == "__main__":
    run_stage(main, "cars.prepare")
