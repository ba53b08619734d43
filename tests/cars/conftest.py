"""Fixtures of the cars tests: real listings from the shipped file, small fitted models, a registered model."""

from __future__ import annotations

import hashlib
from pathlib import Path

import joblib
import pandas as pd
import pytest

from pipelines.cars.data import OutlierRule, apply_outlier_rule, read_listings, remove_exact_duplicates, split_listings
from pipelines.cars.models import BOOSTING_FEATURES, ExpertRule, make_boosting
from pipelines.cars.registry import build_card
from pipelines.cars.schema import FEATURES, TARGET
from pipelines.cars.training import train_families
from pipelines.common.io import write_json
from pipelines.common.paths import EXTERNAL_DIR
from pipelines.common.provenance import file_sha256

LISTINGS_FILE = EXTERNAL_DIR / "cars" / "autoscout24_germany.csv.gz"
LISTING_YEAR = 2021
RULE = OutlierRule(
    min_price=500, max_price=250_000, min_hp=30, max_hp=800, max_mileage=1_000_000, listing_year=LISTING_YEAR
)
SMALL_BOOSTING = {"n_estimators": 60, "max_depth": 4, "learning_rate": 0.2, "max_bin": 64}
# The small models use every derived input, so the behavioural tests cover them too.
SMALL_FEATURES = BOOSTING_FEATURES


@pytest.fixture(scope="session")
def listings() -> pd.DataFrame:
    """Every real listing of the shipped file, checked by the loader."""
    return read_listings(LISTINGS_FILE)


@pytest.fixture(scope="session")
def small_split(listings) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """4,000 real listings (cleaned, deduplicated) split 70/15/15 by listing group."""
    kept, _ = apply_outlier_rule(listings, RULE)
    unique, _ = remove_exact_duplicates(kept)
    return split_listings(unique.sample(4000, random_state=0), 0.15, 0.15, seed=0)


def fit_small_boosting(train: pd.DataFrame):
    return make_boosting(SMALL_BOOSTING, LISTING_YEAR, seed=0, threads=1, features=SMALL_FEATURES).fit(
        train[list(FEATURES)], train[TARGET]
    )


@pytest.fixture(scope="session")
def small_boosting(small_split):
    return fit_small_boosting(small_split[0])


def register_small_model(directory: Path, train: pd.DataFrame, validation: pd.DataFrame) -> Path:
    """What cars_register writes (model.joblib + model_card.json), from a small boosting model: seconds."""
    candidates = {
        "expert": {"rule": ({}, ExpertRule(listing_year=LISTING_YEAR))},
        "xgboost": {
            "small": (
                SMALL_BOOSTING,
                make_boosting(SMALL_BOOSTING, LISTING_YEAR, seed=0, threads=1, features=SMALL_FEATURES),
            )
        },
    }
    fitted, summary = train_families(candidates, train, validation, "mape", 0.9)
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(fitted["xgboost"], directory / "model.joblib")
    scores = {name: info["validation"] for name, info in summary["models"].items()}
    metrics = {"test": scores, "selection": "lowest validation mape", "interval": {"test_coverage": 0.9}}
    data = {
        "source": "autoscout24-germany",
        "description": "test sample",
        "kind": "real-sample",
        "sha256": file_sha256(LISTINGS_FILE),
        "rows": {"train": len(train)},
    }
    card = build_card(
        "xgboost",
        summary["models"]["xgboost"],
        metrics,
        data,
        train,
        hashlib.sha256(train.to_csv(index=False).encode()).hexdigest(),
        directory / "model.joblib",
        LISTING_YEAR,
        0.9,
    )
    write_json(directory / "model_card.json", card)
    return directory


@pytest.fixture(scope="session")
def registered_dir(tmp_path_factory, small_split) -> Path:
    return register_small_model(tmp_path_factory.mktemp("cars_model"), small_split[0], small_split[1])
