"""Fixtures shared by the credit tests: real rows from the shipped sample, and a small fitted model."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from pipelines.common.paths import EXTERNAL_DIR
from pipelines.common.provenance import library_versions
from pipelines.credit.data import read_application, split_labelled, write_frame
from pipelines.credit.features import make_feature_pipeline
from pipelines.credit.models import make_classifier
from pipelines.credit.schema import FEATURE_NAMES, FEATURES, TARGET
from pipelines.credit.withholding import build_grid
from tests.weather.postgres import postgres_url, sql_url  # noqa: F401  (PostgreSQL, started on demand; a fresh database per test)

LABELLED_FILE = EXTERNAL_DIR / "credit" / "application_train_sample.csv.gz"
CURRENT_FILE = EXTERNAL_DIR / "credit" / "application_test_sample.csv.gz"
FEATURE_SETTINGS = {
    "onehot_max_levels": 10,
    "onehot_min_frequency": 20,
    "log_skew_threshold": 1.0,
    "target_encoding_smooth": 20,
}


@pytest.fixture(scope="session")
def labelled() -> pd.DataFrame:
    """Every real labelled row of the shipped sample, checked by the loader."""
    return read_application(LABELLED_FILE, labelled=True)


@pytest.fixture(scope="session")
def current() -> pd.DataFrame:
    return read_application(CURRENT_FILE, labelled=False)


@pytest.fixture(scope="session")
def small_split(labelled) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A stratified 3,000-row subsample split 80/20: fast enough to fit models in tests."""
    return split_labelled(labelled, test_size=0.2, seed=7, max_rows=3000)


def fit_pipeline(
    train: pd.DataFrame, model: str = "xgboost", params: dict | None = None, excluded=("CODE_GENDER",)
) -> Pipeline:
    kind = "linear" if model == "logistic" else "tree"
    encoder = make_feature_pipeline(kind, excluded, FEATURE_SETTINGS, seed=0)
    params = params if params is not None else ({"n_estimators": 40, "max_depth": 3} if model == "xgboost" else {})
    pipeline = Pipeline([*encoder.steps, ("model", make_classifier(model, params, "class_weight", 1.0, seed=0))])
    return pipeline.fit(train.drop(columns=[TARGET]), train[TARGET].to_numpy())


@pytest.fixture(scope="session")
def fitted_xgboost(small_split) -> Pipeline:
    return fit_pipeline(small_split[0])


def write_registered_model(
    directory, pipeline: Pipeline, train: pd.DataFrame, threshold: float, versions=None, grid=(21, 11, 201)
):
    """The four files the scoring service reads, as the register stage writes them (card reduced to what it uses)."""
    directory.mkdir(parents=True, exist_ok=True)
    optional = [c.name for c in FEATURES if not c.required and c.name != "CODE_GENDER"]
    (directory / "missing_value_grid.json").write_text(json.dumps(build_grid(train, optional, *grid)))
    joblib.dump(pipeline, directory / "model.joblib")
    write_frame(directory / "shap_background.csv.gz", train.drop(columns=[TARGET]).head(100))
    inputs = [name for name in FEATURE_NAMES if name != "CODE_GENDER"]
    card = {
        "model": type(pipeline[-1].estimator_).__name__,
        "version": "test-0001",
        "decision": {"threshold": threshold},
        "features": {"always_present_in_training": [n for n in inputs if train[n].notna().all()]},
        "library_versions": versions or library_versions(("xgboost", "shap")),
    }
    (directory / "model_card.json").write_text(json.dumps(card))
    return directory


@pytest.fixture(scope="session")
def registered_dir(tmp_path_factory, fitted_xgboost, small_split):
    return write_registered_model(tmp_path_factory.mktemp("registry"), fitted_xgboost, small_split[0], threshold=0.5)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
