"""Pricing one listing with the registered model (what `POST /cars/estimate` serves).

`CarListing` is the request: each field typed and bounded, so a bad one is refused naming it (422).
`CarPricer` reads models/cars/{model.joblib, model_card.json} once and answers a price, an interval from the
validation residuals (the card's `interval`), and warnings when the listing is outside what training saw
(an unknown make or model, a value beyond the training range): the model still answers, flagged.
Only numpy, pandas, scikit-learn, XGBoost and joblib are imported (the API image has them)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Literal

import joblib
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from pipelines.cars.schema import FEATURES
from pipelines.common.errors import DataError
from pipelines.common.provenance import library_versions

log = logging.getLogger("pipelines.cars.serving")
CHECKED_LIBRARIES = ("scikit-learn", "xgboost", "numpy", "pandas")
ROUND_TO_EUR = 10

EXAMPLE = {
    "make": "Volkswagen",
    "model": "Golf",
    "year": 2017,
    "mileage": 60000,
    "fuel": "Gasoline",
    "gear": "Manual",
    "offer_type": "Used",
    "hp": 110,
}


class CarListing(BaseModel):
    """One used car as listed on AutoScout24 Germany."""

    # strict: no true → 1 km, no "60000" → 60000 (JSON numbers still fill the float field `hp`)
    model_config = ConfigDict(
        extra="forbid", strict=True, str_strip_whitespace=True, json_schema_extra={"examples": [EXAMPLE]}
    )

    make: str = Field(min_length=1, max_length=60, description="Manufacturer, as AutoScout24 spells it")
    model: str = Field(min_length=1, max_length=80, description="Model name, as AutoScout24 spells it")
    year: int = Field(ge=1950, le=2100, description="Year of first registration (at most the model card's year)")
    mileage: int = Field(ge=0, le=1_000_000, description="Odometer reading, km")
    fuel: str = Field(min_length=1, max_length=40, description="Energy: Gasoline, Diesel, Electric, LPG…")
    gear: Literal["Manual", "Automatic", "Semi-automatic"] = Field(description="Gearbox")
    offer_type: Literal["Used", "Demonstration", "Employee's car", "Pre-registered", "New"] = Field(
        "Used", description="Kind of offer"
    )
    hp: float = Field(ge=30, le=800, description="Power, horsepower (the training data's 30–800 hp)")


class CarInputError(ValueError):
    """A listing whose fields are valid one by one but that the model cannot price; names the field."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


class CarEstimate(BaseModel):
    price: float = Field(description="Estimated asking price, EUR (rounded to 10 EUR)")
    lower: float = Field(description="Lower end of the price interval, EUR")
    upper: float = Field(description="Upper end of the price interval, EUR")
    interval_coverage: float = Field(description="Share of validation prices such intervals held (nominal)")
    currency: Literal["EUR"] = "EUR"
    age_years: int = Field(description="Age the model priced: the card's listing year − year")
    model: str = Field(description="Model family of the registered estimator")
    model_version: str
    warnings: list[str] = Field(description="Where the listing is outside what training saw (still priced)")


def _round(value: float) -> float:
    return float(ROUND_TO_EUR * round(value / ROUND_TO_EUR))


class CarPricer:
    """The registered car-price model and its card, loaded once."""

    def __init__(self, model_dir: str | Path):
        model_dir = Path(model_dir)
        files = {name: model_dir / name for name in ("model.joblib", "model_card.json")}
        missing = [name for name, path in files.items() if not path.is_file()]
        if missing:
            raise DataError(f"{', '.join(missing)} missing from {model_dir} (run `dvc repro cars_register`)")
        self.card: dict[str, Any] = json.loads(files["model_card.json"].read_text(encoding="utf-8"))
        self.model = joblib.load(files["model.joblib"])
        self.version = str(self.card["version"])
        self.listing_year = int(self.card["listing_year"])
        self.low, self.high = (float(q) for q in self.card["interval"]["log_residual_quantiles"])
        self.coverage = float(self.card["interval"]["coverage"])
        self.ranges = self.card["training_ranges"]
        self.vocabulary = self.card["vocabulary"]
        trained = self.card.get("library_versions", {})
        self.version_mismatches = {
            name: {"trained_with": trained.get(name), "running": running}
            for name, running in library_versions(CHECKED_LIBRARIES).items()
            if name in CHECKED_LIBRARIES and trained.get(name) not in (None, running)
        }
        if self.version_mismatches:
            log.warning("cars model %s loaded with other library versions: %s", self.version, self.version_mismatches)

    def warnings(self, listing: CarListing) -> list[str]:
        found = []
        models = self.vocabulary["makes"].get(listing.make)
        if models is None:
            found.append(f"make: {listing.make!r} was not in the training data; priced without its make effect")
        elif listing.model not in models:
            found.append(f"model: {listing.model!r} was not among the training {listing.make} models")
        if listing.fuel not in self.vocabulary["fuel"]:
            found.append(f"fuel: {listing.fuel!r} was not in the training data")
        for name in ("year", "mileage", "hp"):
            low, high = self.ranges[name]
            value = getattr(listing, name)
            if not low <= value <= high:
                found.append(f"{name}: {value:g} is outside the training range {low:g}–{high:g}")
        return found

    def estimate(self, listing: CarListing | dict) -> dict[str, Any]:
        """The price of one listing with its interval and warnings; CarInputError naming the field when
        the model cannot price it."""
        if isinstance(listing, dict):
            listing = CarListing.model_validate(listing)
        if listing.year > self.listing_year:
            raise CarInputError(
                "year", f"{listing.year} is after {self.listing_year}, the year the training listings were collected"
            )
        row = listing.model_dump()
        row["offerType"] = row.pop("offer_type")
        frame = pd.DataFrame([row])[list(FEATURES)]
        price = float(self.model.predict(frame)[0])
        if not np.isfinite(price) or price <= 0:
            raise CarInputError("listing", f"the model gave no usable price ({price!r})")
        return {
            "price": _round(price),
            "lower": _round(price * np.exp(self.low)),
            "upper": _round(price * np.exp(self.high)),
            "interval_coverage": self.coverage,
            "currency": "EUR",
            "age_years": self.listing_year - listing.year,
            "model": str(self.card["model"]),
            "model_version": self.version,
            "warnings": self.warnings(listing),
        }
