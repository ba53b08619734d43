"""The ML sections of the weather params (`weather.ml`, `weather.horizon`) as typed models.

weather_train_ml, weather_horizon and weather_batch read `weather.ml` through `MlParams`, so a regressor's
setting has one bound wherever it is read, and its tuning candidates (`weather.ml.tuning.<regressor>`) are held
to the same bound as the setting itself (the grid models are derived from the settings models). An unknown key
(`weather.ml.ridge.alpah`) or a bad value (`weather.ml.xgboost.n_estimators: -5`) is refused naming it, before
anything is fitted. Only the settings declared here are accepted: add one here to tune it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, create_model, model_validator

from pipelines.common.params import SectionModel
from pipelines.weather.features import FEATURE_SETS, LEAD1_FEATURE_SETS

REGRESSORS = ("ridge", "random_forest", "xgboost")
# An unset setting keeps the library's default: the regressors get only the settings params.yaml gives.
Share = Annotated[float, Field(gt=0, le=1)]


class RidgeSettings(SectionModel):
    """scikit-learn Ridge (on standardised features)."""

    alpha: float = Field(None, gt=0)


class RandomForestSettings(SectionModel):
    """scikit-learn RandomForestRegressor."""

    n_estimators: int = Field(None, ge=1)
    max_depth: int = Field(None, ge=1)
    min_samples_leaf: int = Field(None, ge=1)
    min_samples_split: int = Field(None, ge=2)
    max_features: Share = None


class XgboostSettings(SectionModel):
    """XGBRegressor, one per step of the day."""

    n_estimators: int = Field(None, ge=1)
    max_depth: int = Field(None, ge=1)
    learning_rate: float = Field(None, gt=0, le=1)
    subsample: Share = None
    colsample_bytree: Share = None
    min_child_weight: float = Field(None, ge=0)
    gamma: float = Field(None, ge=0)
    reg_alpha: float = Field(None, ge=0)
    reg_lambda: float = Field(None, ge=0)


SETTINGS: dict[str, type[SectionModel]] = {
    "ridge": RidgeSettings,
    "random_forest": RandomForestSettings,
    "xgboost": XgboostSettings,
}


def _grid_of(model: type[SectionModel]) -> type[SectionModel]:
    """A model of candidate lists whose every value has the type and bounds of `model`'s setting."""
    fields: dict[str, Any] = {
        name: (list[Annotated[info.annotation, *info.metadata]], Field(None, min_length=1))
        for name, info in model.model_fields.items()
    }
    return create_model(model.__name__.replace("Settings", "Grid"), __base__=SectionModel, **fields)


GRIDS = {name: _grid_of(model) for name, model in SETTINGS.items()}
Tuning = create_model("Tuning", __base__=SectionModel, **{name: (grid | None, None) for name, grid in GRIDS.items()})


class MlParams(SectionModel):
    """`weather.ml`: the regressors × feature sets of weather_train_ml, their settings and tuning grids."""

    seed: int
    models: list[Literal[REGRESSORS]] = Field(min_length=1)  # type: ignore[valid-type]
    feature_sets: list[Literal[tuple(FEATURE_SETS)]] = Field(min_length=1)  # type: ignore[valid-type]
    observed_exog_upper_bound: bool = True  # also fit XGBoost on the observed exogenous values (not deployable)
    ridge: RidgeSettings | None = None
    random_forest: RandomForestSettings | None = None
    xgboost: XgboostSettings | None = None
    tuning: Tuning = Tuning()  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _settings_of_every_regressor_run(self) -> MlParams:
        needed = [*self.models, *(["xgboost"] if self.observed_exog_upper_bound else [])]
        missing = sorted({name for name in needed if getattr(self, name) is None})
        if missing:
            raise ValueError(f"no settings for {missing} (an empty mapping keeps the library's defaults)")
        return self

    def settings(self, regressor: str) -> dict:
        """The settings params.yaml gives `regressor`, in its order."""
        return getattr(self, regressor).model_dump(exclude_unset=True)

    def grid(self, regressor: str) -> dict[str, list]:
        """`weather.ml.tuning.<regressor>`: the candidate values of each tuned setting ({} when not tuned)."""
        grid = getattr(self.tuning, regressor)
        return grid.model_dump(exclude_unset=True) if grid is not None else {}


class HorizonParams(SectionModel):
    """`weather.horizon`: the feature set of the 3-hour-ahead regressors."""

    feature_set: Literal[tuple(LEAD1_FEATURE_SETS)]  # type: ignore[valid-type]
