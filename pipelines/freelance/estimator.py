"""The registered freelance estimator: one gig's text, rating, reviews and level → price, band, interval.

`FreelanceEstimator` bundles what freelance_register chose on the CV folds: the price pipeline, the band
pipeline, the band edges and the half-width of the interval (a quantile of the price model's out-of-fold
absolute errors, so the interval is as wide as the model's errors were on gigs it had not seen). It is
pickled as `models/freelance/model.joblib`; `load_estimator` refuses a file whose SHA-256 is not the card's.

Needs scikit-learn and XGBoost only (no TensorFlow): the API image can serve it.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from pipelines.common.errors import DataError
from pipelines.freelance.data import LEVEL_ORDER, LEVELS, NO_LEVEL
from pipelines.freelance.features import feature_frame
from pipelines.freelance.models import band_probabilities
from pipelines.freelance.split import BANDS

MODEL_FILE = "model.joblib"
CARD_FILE = "model_card.json"
# What a client may send as `level`: the canonical names or the page's own text.
LEVEL_ALIASES = {name: name for name in LEVEL_ORDER} | dict(LEVELS) | {"": NO_LEVEL}


class EstimateInputError(ValueError):
    """A field the estimator cannot take; the message starts with the field's name."""


@dataclass
class FreelanceEstimator:
    price_model: Any
    band_model: Any
    price_name: str
    band_name: str
    edges: tuple[float, float]
    interval_half_width: float
    interval_coverage: float
    price_floor: float  # the lowest training price: the interval never goes below it
    version: str = ""
    extra: dict = field(default_factory=dict)
    # The candidates' files as freelance_train wrote them: pickled in their place, so the same models give the
    # same model.joblib (re-pickling a loaded forest does not: its tree nodes carry uninitialised padding bytes).
    sources: dict[str, bytes] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for key in self.sources:
            state[key] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for key, blob in self.sources.items():
            setattr(self, key, joblib.load(io.BytesIO(blob)))

    def frame(self, gigs: list[dict]) -> pd.DataFrame:
        rows = []
        for gig in gigs:
            text = str(gig.get("text", "")).strip()
            if not text:
                raise EstimateInputError("text: must not be empty")
            rating, reviews = gig.get("rating"), int(gig.get("reviews") or 0)
            if reviews < 0:
                raise EstimateInputError(f"reviews: must be ≥ 0, got {reviews}")
            if rating is not None and not 0 <= float(rating) <= 5:
                raise EstimateInputError(f"rating: must be between 0 and 5, got {rating}")
            if rating is None or reviews == 0:
                rating, reviews = np.nan, 0
            level = gig.get("level") or ""
            if level not in LEVEL_ALIASES:
                raise EstimateInputError(f"level: {level!r} is not one of {', '.join(LEVEL_ORDER)}")
            rows.append({"title": text, "rating": float(rating), "reviews": reviews, "level": LEVEL_ALIASES[level]})
        return feature_frame(pd.DataFrame(rows, columns=["title", "rating", "reviews", "level"]))

    def estimate_many(self, gigs: list[dict]) -> list[dict]:
        X = self.frame(gigs)
        prices = np.asarray(self.price_model.predict(X), dtype=float)
        probabilities = band_probabilities(self.band_model, X)
        answers = []
        for price, proba in zip(prices, probabilities):
            low = max(self.price_floor, price - self.interval_half_width)
            answers.append(
                {
                    "price": round(float(price), 3),
                    "price_interval": [round(float(low), 3), round(float(price + self.interval_half_width), 3)],
                    "interval_coverage": self.interval_coverage,
                    "band": BANDS[int(np.argmax(proba))],
                    "band_probabilities": {band: round(float(p), 4) for band, p in zip(BANDS, proba)},
                    "band_of_price": BANDS[int(np.digitize(price, self.edges))],
                    "band_edges": [round(edge, 4) for edge in self.edges],
                    "unit": "thousands of PKR",
                    "price_model": self.price_name,
                    "band_model": self.band_name,
                    "model_version": self.version,
                }
            )
        return answers

    def estimate(self, text: str, rating: float | None, reviews: int, level: str | None) -> dict:
        return self.estimate_many([{"text": text, "rating": rating, "reviews": reviews, "level": level}])[0]


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_estimator(model_dir: str | Path) -> tuple[FreelanceEstimator, dict]:
    """The estimator and its card from `model_dir`; DataError naming the missing or mismatched file."""
    model_dir = Path(model_dir)
    card_file, model_file = model_dir / CARD_FILE, model_dir / MODEL_FILE
    for path in (model_file, card_file):
        if not path.is_file():
            raise DataError(f"{path.name} missing in {model_dir} (run `dvc repro freelance_register`)")
    card = json.loads(card_file.read_text(encoding="utf-8"))
    expected = card.get("artefact_sha256")
    if expected != file_digest(model_file):
        raise DataError(f"{MODEL_FILE}: SHA-256 is not the card's artefact_sha256; refusing to unpickle it")
    estimator = joblib.load(model_file)
    if not isinstance(estimator, FreelanceEstimator):
        raise DataError(f"{MODEL_FILE} holds a {type(estimator).__name__}, not a FreelanceEstimator")
    estimator.version = str(card.get("version", ""))
    return estimator, card
