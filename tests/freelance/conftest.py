"""Shared helpers of the freelance tests: small gig frames built here, and a small estimator fitted on the
shipped gigs with the pipeline's own functions (seconds, no DVC)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.common.paths import ROOT
from pipelines.freelance.data import read_gigs
from pipelines.freelance.estimator import FreelanceEstimator
from pipelines.freelance.features import feature_frame
from pipelines.freelance.models import make_pipeline
from pipelines.freelance.split import assign_bands, band_edges, drop_duplicates, outlier_fence

GIGS_FILE = ROOT / "data/external/freelance/fiverr_gigs.csv.gz"
TEXT = {"max_features": 500, "min_df": 2, "ngram_max": 2, "sublinear_tf": True}


def raw_gigs(rows: list[tuple]) -> pd.DataFrame:
    """A frame in the source's layout: (Title, gigrating, seller_level, Price) per row, None = empty."""
    return pd.DataFrame(rows, columns=["Title", "gigrating", "seller_level", "Price"])


def write_gigs(path: Path, rows: list[tuple]) -> Path:
    raw_gigs(rows).to_csv(path, index=False)
    return path


def fit_estimator(gigs: pd.DataFrame, price_model: str = "ridge", band_model: str = "logistic_regression"):
    """A FreelanceEstimator fitted on `gigs` (outliers above the fence removed), as freelance_register builds it."""
    gigs = gigs[gigs["price"] <= outlier_fence(gigs["price"].to_numpy(), 1.5)].reset_index(drop=True)
    edges = band_edges(gigs["price"].to_numpy())
    X, bands = feature_frame(gigs), assign_bands(gigs["price"].to_numpy(), edges)
    price = make_pipeline("price", price_model, TEXT, 10.0, 0, True).fit(X, gigs["price"].to_numpy())
    band = make_pipeline("band", band_model, TEXT, 10.0, 0, False).fit(X, bands)
    errors = np.abs(price.predict(X) - gigs["price"].to_numpy())
    return FreelanceEstimator(
        price, band, price_model, band_model, edges, float(np.quantile(errors, 0.8)), 0.8, float(gigs["price"].min())
    )


@pytest.fixture(scope="session")
def gigs() -> pd.DataFrame:
    return drop_duplicates(read_gigs(GIGS_FILE, ("Clients",)))[0]


@pytest.fixture(scope="session")
def estimator(gigs) -> FreelanceEstimator:
    return fit_estimator(gigs)


def register_small_estimator(directory: Path) -> Path:
    """A registered estimator in `directory` (model.joblib + a card with its SHA-256), fitted in about a second
    on the shipped gigs: what the API tests serve in a checkout without `dvc repro freelance_register`."""
    import json

    import joblib

    from pipelines.common.provenance import file_sha256, library_versions

    directory.mkdir(parents=True, exist_ok=True)
    estimator = fit_estimator(drop_duplicates(read_gigs(GIGS_FILE, ("Clients",)))[0])
    joblib.dump(estimator, directory / "model.joblib")
    card = {
        "name": "freelance-price-estimator",
        "version": "test-small",
        "artefact_sha256": file_sha256(directory / "model.joblib"),
        "library_versions": library_versions(("xgboost", "joblib")),
    }
    (directory / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    return directory
