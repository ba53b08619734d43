"""The ML regressors, built from params: each predicts the 8 steps of a day at once.

Hyper-parameters are tuned on the validation period only: every candidate of `weather.ml.tuning.<regressor>`
is fitted on the training days and scored on the validation days; the winner is refitted on everything
before the test period to forecast it.
"""

from __future__ import annotations

import pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import ParameterGrid
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBRegressor

from pipelines.common.errors import ParamError
from pipelines.weather.data import Problem
from pipelines.weather.features import build_features
from pipelines.weather.forecasting import errors_between

REGRESSORS = ("ridge", "random_forest", "xgboost")
_CLASSES = {"ridge": Ridge, "random_forest": RandomForestRegressor, "xgboost": XGBRegressor}


def check_settings(name: str, settings: dict, where: str) -> None:
    """Refuse unknown or non-positive settings before anything is fitted (the message names the parameter)."""
    if name not in REGRESSORS:
        raise ParamError("weather.ml.models", f"unknown regressor {name!r}; known: {', '.join(REGRESSORS)}")
    accepted = set(_CLASSES[name]().get_params())
    for key, value in settings.items():
        if key not in accepted:
            raise ParamError(f"{where}.{key}", f"not a setting of {name}")
        if key in ("n_estimators", "max_depth", "min_samples_leaf") and (
            not isinstance(value, int) or isinstance(value, bool) or value < 1
        ):
            raise ParamError(f"{where}.{key}", f"must be an integer >= 1, got {value!r}")


def make_regressor(name: str, settings: dict, seed: int, n_jobs: int = 2):
    """A fresh, unfitted multi-output regressor with the given settings."""
    if name not in REGRESSORS:
        raise ParamError("weather.ml.models", f"unknown regressor {name!r}; known: {', '.join(REGRESSORS)}")
    if name == "ridge":
        return make_pipeline(StandardScaler(), Ridge(**settings))
    if name == "random_forest":
        return RandomForestRegressor(random_state=seed, n_jobs=n_jobs, **settings)
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
        features = build_features(problem.target, problem.exog, feature_set)
    targets = problem.target.reindex(features.index)
    train = (features.index < before) & features.notna().all(axis=1) & targets.notna().all(axis=1)
    model = make_regressor(regressor_name, settings, seed)
    model.fit(features[train].to_numpy(), targets[train].to_numpy())
    return model, features, features.index[train]


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
    features = build_features(problem.target, problem.exog, feature_set)
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
