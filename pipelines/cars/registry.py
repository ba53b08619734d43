"""The registered car-price model's card: what it is, how it was chosen, how it scored, what it knows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.cars.schema import CATEGORICAL, CLOSED
from pipelines.model_card import fingerprint_version, model_card

MODEL_NAME = "cars-price-estimator"


def model_version(best: str, params: dict, train_sha256: str) -> str:
    """Same model family, parameters and training rows → same version."""
    return fingerprint_version(best, [best, params, train_sha256])


def vocabulary(train: pd.DataFrame) -> dict[str, Any]:
    """The values seen in training: every make with its models, every fuel; the closed lists of the schema.
    The API warns (never refuses) when a listing's make or model is not among them."""
    models = train.groupby("make")["model"].agg(lambda values: sorted(set(values)))
    return {
        "makes": {make: list(names) for make, names in models.items()},
        "fuel": sorted(train["fuel"].unique()),
        **{name: list(values) for name, values in CLOSED.items()},
    }


def training_ranges(train: pd.DataFrame) -> dict[str, list[float]]:
    """Minimum and maximum of each number seen in training (outside them the model extrapolates flat)."""
    return {name: [float(train[name].min()), float(train[name].max())] for name in ("year", "mileage", "hp")}


def build_card(
    best: str,
    spec: dict,
    metrics: dict,
    data: dict,
    train: pd.DataFrame,
    train_sha256: str,
    artefact: Path,
    listing_year: int,
    coverage: float,
) -> dict[str, Any]:
    """The card of the model already written at `artefact` (shared fields: pipelines/model_card.py)."""
    low, high = spec["interval_log_residuals"]
    return model_card(
        name=MODEL_NAME,
        model=best,
        version=model_version(best, spec["params"], train_sha256),
        artefact=artefact,
        task="asking price (EUR) of a used car listed in Germany, from make, model, year, mileage, fuel, gear, "
        "offer type and power",
        family=spec["family"],
        chosen_on=f"{metrics['selection']} among {', '.join(metrics['test'])} (never the test split)",
        parameters=spec["params"],
        listing_year=listing_year,
        interval={
            "coverage": coverage,
            "log_residual_quantiles": [low, high],
            "method": "price × exp(q) for the validation split's (1 ± coverage)/2 quantiles of log(actual / predicted)",
            "test_coverage": metrics["interval"]["test_coverage"],
        },
        metrics={
            "validation": spec["validation"],
            "test": metrics["test"][best],
            "expert_test": metrics["test"]["expert"],
        },
        features={
            "inputs": [*CATEGORICAL, "year", "mileage", "hp"],
            "derived_from_training_rows": list(spec["params"].get("features", [])),
            "monotone_decreasing": ["age", "mileage"],
        },
        training_ranges=training_ranges(train),
        vocabulary=vocabulary(train),
        data={
            "source": data["source"],
            "description": data["description"],
            "kind": data["kind"],
            "sha256": data["sha256"],
            "train_split_sha256": train_sha256,
            "rows_train": data["rows"]["train"],
        },
        libraries=("xgboost", "joblib"),
        intended_use="a first estimate of a used car's asking price for a seller or a buyer; not an appraisal",
        limitations=[
            "AutoScout24 Germany asking prices of 2021 (not transaction prices, not other countries or years)",
            "first registrations 2011–2021 only: older cars are priced as the oldest seen",
            "condition, equipment, colour and accident history are not inputs",
        ],
    )
