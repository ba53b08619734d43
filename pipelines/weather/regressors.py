"""The ML regressors, built from params: each predicts the 8 steps of a day at once.

Hyper-parameters are tuned on the validation period only: every candidate of `weather.ml.tuning.<regressor>`
is fitted on the training days and scored on the validation days; the winner is refitted on everything
before the test period to forecast it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import ParameterGrid
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBRegressor

from pipelines.common.errors import ParamError
from pipelines.weather.data import Problem
from pipelines.weather.features import build_features, uses_climatology
from pipelines.weather.forecasting import STEPS_PER_DAY, errors_between

REGRESSORS = ("ridge", "random_forest", "xgboost", "mlp")
_CLASSES = {"ridge": Ridge, "random_forest": RandomForestRegressor, "xgboost": XGBRegressor, "mlp": MLPRegressor}
_INTEGER_SETTINGS = ("n_estimators", "max_depth", "min_samples_leaf", "max_iter")


class AnomalyTarget(RegressorMixin, BaseEstimator):
    """Fit `estimator` on the target minus the first STEPS_PER_DAY feature columns (day D's climatology of
    each step, `features.uses_climatology`) and add them back to its predictions."""

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        self.estimator_ = clone(self.estimator).fit(X, y - X[:, :STEPS_PER_DAY])
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        return self.estimator_.predict(X) + X[:, :STEPS_PER_DAY]


def check_settings(name: str, settings: dict, where: str) -> None:
    """Refuse unknown or non-positive settings before anything is fitted (the message names the parameter)."""
    if name not in REGRESSORS:
        raise ParamError("weather.ml.models", f"unknown regressor {name!r}; known: {', '.join(REGRESSORS)}")
    accepted = set(_CLASSES[name]().get_params())
    for key, value in settings.items():
        if key not in accepted:
            raise ParamError(f"{where}.{key}", f"not a setting of {name}")
        if key in _INTEGER_SETTINGS and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ParamError(f"{where}.{key}", f"must be an integer >= 1, got {value!r}")


def make_regressor(name: str, settings: dict, seed: int, n_jobs: int = 2):
    """A fresh, unfitted multi-output regressor with the given settings."""
    if name not in REGRESSORS:
        raise ParamError("weather.ml.models", f"unknown regressor {name!r}; known: {', '.join(REGRESSORS)}")
    if name == "ridge":
        return make_pipeline(StandardScaler(), Ridge(**settings))
    if name == "random_forest":
        return RandomForestRegressor(random_state=seed, n_jobs=n_jobs, **settings)
    if name == "mlp":
        # One network for the 8 steps; inputs and targets standardised, early stopping on a held-out tenth
        # of the training rows (never the validation period).
        settings = {"hidden_layer_sizes": (64,), "alpha": 1.0, "early_stopping": True, "max_iter": 500} | settings
        if isinstance(settings["hidden_layer_sizes"], list):
            settings["hidden_layer_sizes"] = tuple(settings["hidden_layer_sizes"])
        network = make_pipeline(StandardScaler(), MLPRegressor(random_state=seed, **settings))
        return TransformedTargetRegressor(regressor=network, transformer=StandardScaler())
    # One booster per step: XGBoost's native multi-output trees are slower to fit here.
    return MultiOutputRegressor(XGBRegressor(random_state=seed, n_jobs=n_jobs, verbosity=0, **settings))


def fit_regressor(
    problem: Problem,
    regressor_name: str,
    feature_set: str,
    settings: dict,
    seed: int,
    before: pd.Timestamp,
    features: pd.DataFrame | None = None,
):
    """Fit a regressor on every day before `before` whose features and 8 targets are complete.

    Returns the fitted model, the features of every day (to predict any later day) and the days it was fitted on.
    """
    if features is None:
        features = problem_features(problem, feature_set)
    targets = problem.target.reindex(features.index)
    train = (features.index < before) & features.notna().all(axis=1) & targets.notna().all(axis=1)
    model = make_regressor(regressor_name, settings, seed)
    if uses_climatology(feature_set):
        model = AnomalyTarget(model)
    model.fit(features[train].to_numpy(), targets[train].to_numpy())
    return model, features, features.index[train]


def problem_features(problem: Problem, feature_set: str) -> pd.DataFrame:
    """`build_features` of a problem; a climatology is fitted on the training days only (before validation)."""
    return build_features(problem.target, problem.exog, feature_set, problem.split.validation_start)


def predict_days(model, features: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    return pd.DataFrame(model.predict(features.reindex(days).to_numpy()), index=days)


def rmse(predicted: pd.DataFrame, observed: pd.DataFrame) -> float:
    return errors_between(predicted.to_numpy(), observed.reindex(predicted.index).to_numpy(), decimals=None)["rmse"]


def candidates(base: dict, grid: dict | None) -> list[dict]:
    """The settings to try: the base settings overridden by each point of the grid (just the base if none)."""
    if not grid:
        return [dict(base)]
    return [base | point for point in ParameterGrid({key: list(values) for key, values in grid.items()})]


def tune_on_validation(
    problem: Problem, regressor_name: str, feature_set: str, base: dict, grid: dict | None, seed: int
) -> tuple[dict, pd.DataFrame, list[dict], pd.DataFrame]:
    """Fit every candidate on the training days, score it on the validation days, keep the lowest RMSE.

    Returns the chosen settings, their validation forecasts, every candidate's validation RMSE, and the features.
    """
    features = problem_features(problem, feature_set)
    days = problem.split.validation_days
    tried, best = [], None
    for settings in candidates(base, grid):
        model, _, _ = fit_regressor(
            problem, regressor_name, feature_set, settings, seed, problem.split.validation_start, features
        )
        predicted = predict_days(model, features, days)
        score = rmse(predicted, problem.target)
        tried.append({"settings": settings, "validation_rmse": round(score, 4)})
        if best is None or score < best[0]:
            best = (score, settings, predicted)
    return best[1], best[2], tried, features
