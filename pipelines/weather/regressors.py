"""The ML regressors, built from params: each predicts the 8 steps of a day at once."""

from __future__ import annotations

import pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBRegressor

from pipelines.common.errors import ParamError
from pipelines.common.params import Params
from pipelines.weather.data import Problem
from pipelines.weather.features import build_features

REGRESSORS = ("ridge", "random_forest", "xgboost")


def make_regressor(name: str, params: Params, seed: int, n_jobs: int = 2):
    """A fresh, unfitted multi-output regressor; its settings come from params `weather.ml.<name>`."""
    if name not in REGRESSORS:
        raise ParamError("weather.ml.models", f"unknown regressor {name!r}; known: {', '.join(REGRESSORS)}")
    settings = params.section(name).as_dict()
    if name == "ridge":
        return make_pipeline(StandardScaler(), Ridge(**settings))
    if name == "random_forest":
        return RandomForestRegressor(random_state=seed, n_jobs=n_jobs, **settings)
    # One booster per step: XGBoost's native multi-output trees are slower to fit here.
    return MultiOutputRegressor(XGBRegressor(random_state=seed, n_jobs=n_jobs, verbosity=0, **settings))


def fit_regressor(problem: Problem, regressor_name: str, feature_set: str, ml_params: Params, before: pd.Timestamp):
    """Fit a regressor on every day before `before` whose features and 8 targets are complete.

    Returns the fitted model, the features of every day (to predict any later day) and the days it was fitted on.
    """
    features = build_features(problem.target, problem.exog, feature_set)
    targets = problem.target.reindex(features.index)
    train = (features.index < before) & features.notna().all(axis=1) & targets.notna().all(axis=1)
    model = make_regressor(regressor_name, ml_params, ml_params.integer("seed"))
    model.fit(features[train].to_numpy(), targets[train].to_numpy())
    return model, features, features.index[train]
