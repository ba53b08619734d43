"""The ML regressors, built from params: each predicts the 8 steps of a day at once."""

from __future__ import annotations

from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBRegressor

from stages.common.errors import ParamError
from stages.common.params import Params

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
