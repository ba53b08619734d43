"""The three price models, from the expert's rule to gradient boosting, and their tuning on validation.

- `ExpertRule`: the client's depreciation curve (−20 %, −15 %, −10 %, −10 %, −7 %, −5 % a year, then
  `tail_rate` a year) applied to a reference new price per make/model learnt from training rows only.
- `linear`: ridge regression of log price on one-hot make/model/fuel/gear/offer type, age, age²,
  log mileage and log power.
- `xgboost`: gradient-boosted trees on log price, native categories, monotone constraints that make an
  older or more driven car never dearer, all else equal; optional derived inputs (`BOOSTING_FEATURES`), each
  computed from the training rows only: the make/model pair as one category, the power relative to the
  model's median power, the model's number of training listings, and target encodings of the make, the
  make/model, the make/model/power and the make/model/fuel/gear groups (scikit-learn's `TargetEncoder`,
  cross-fitted on the training rows). None of them reads `year` or `mileage`, so the constraints still hold.

Every model takes the raw listing fields (`schema.FEATURES`) and predicts a price in EUR.
"""

from __future__ import annotations

from itertools import product
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin, clone
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler, TargetEncoder
from xgboost import XGBRegressor

from pipelines.cars.schema import CATEGORICAL, FEATURES
from pipelines.common.errors import ParamError

MODELS = ("expert", "linear", "xgboost")
FAMILIES = {"expert": "expert rule (baseline)", "linear": "linear (log price)", "xgboost": "gradient boosting"}
# Model inputs after CarFeatures without derived inputs, in this order.
MODEL_COLUMNS = ("age", "mileage", "hp", *CATEGORICAL)
# −1: the price may only fall as the value grows, all else equal.
MONOTONE = {"age": -1, "mileage": -1}
# The derived inputs `make_boosting` may add (params.yaml `cars.train.xgboost.features`); none reads year or
# mileage, which keeps the monotone constraints on age and mileage a guarantee on the raw listing.
DERIVED = ("make_model", "hp_relative", "model_count")
TARGET_ENCODED = {
    "make": ("make",),
    "make_model": ("make", "model"),
    "make_model_hp": ("make", "model", "hp"),
    "make_model_fuel_gear": ("make", "model", "fuel", "gear"),
}
BOOSTING_FEATURES = (*DERIVED, "target_encoding")


def ages(year: pd.Series | np.ndarray, listing_year: int) -> np.ndarray:
    """Whole years between the first registration and the year the listings were collected (≥ 0)."""
    return np.clip(listing_year - np.asarray(year, dtype=float), 0, None)


def depreciation_factor(age: np.ndarray | float, rates: list[float], tail_rate: float) -> np.ndarray:
    """The share of the new price a car keeps after `age` whole years under the expert rule:
    the product of (1 − rate) over each year lived, `rates` for the first years, `tail_rate` after them."""
    age = np.asarray(age, dtype=float)
    whole = np.floor(np.clip(age, 0, None)).astype(int)
    horizon = int(whole.max(initial=0)) + 1
    yearly = np.array(list(rates) + [tail_rate] * max(0, horizon - len(rates)), dtype=float)
    kept = np.concatenate([[1.0], np.cumprod(1 - yearly)])
    return kept[whole]


def _make_model(X: pd.DataFrame) -> pd.Series:
    return X["make"].astype(str) + " | " + X["model"].astype(str)


def _by_group(stats: pd.Series, X: pd.DataFrame, keys: list[str]) -> np.ndarray:
    index = pd.MultiIndex.from_frame(X[keys].astype(str)) if len(keys) > 1 else X[keys[0]].astype(str)
    return stats.reindex(index).to_numpy(dtype=float)


class CarFeatures(TransformerMixin, BaseEstimator):
    """Raw listing fields → model inputs: the age from `year`, categories with the training levels, and the
    derived inputs named in `derived` (a subset of DERIVED), their statistics from the rows `fit` saw.

    `categorical=True` gives pandas categories with the levels seen in training (XGBoost's native
    categories; a level unseen in training becomes missing); otherwise text (for the one-hot encoder).
    `hp_relative` is the power over the median power of the make/model's training listings (else the make's,
    else every listing's); `model_count` is how many training listings the make/model has (0 if unseen)."""

    def __init__(self, listing_year: int = 2021, categorical: bool = True, derived: tuple[str, ...] = ()):
        self.listing_year = listing_year
        self.categorical = categorical
        self.derived = derived

    def fit(self, X: pd.DataFrame, y: Any = None) -> CarFeatures:
        unknown = sorted(set(self.derived) - set(DERIVED))
        if unknown:
            raise ParamError("cars.train.xgboost.features", f"unknown {unknown}; known: {', '.join(DERIVED)}")
        self.levels_ = {name: sorted(X[name].dropna().astype(str).unique()) for name in CATEGORICAL}
        self.make_model_levels_ = sorted(_make_model(X).unique())
        text = X[["make", "model"]].astype(str).assign(hp=X["hp"].to_numpy(dtype=float))
        self.hp_median_ = {
            "model": text.groupby(["make", "model"])["hp"].median(),
            "make": text.groupby("make")["hp"].median(),
            "all": float(text["hp"].median()),
        }
        self.model_count_ = text.groupby(["make", "model"]).size()
        return self

    def _derived(self, X: pd.DataFrame) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "make_model" in self.derived:
            out["make_model"] = pd.Categorical(_make_model(X), categories=self.make_model_levels_)
        if "hp_relative" in self.derived:
            median = pd.Series(_by_group(self.hp_median_["model"], X, ["make", "model"]))
            median = median.fillna(pd.Series(_by_group(self.hp_median_["make"], X, ["make"])))
            out["hp_relative"] = X["hp"].to_numpy(dtype=float) / median.fillna(self.hp_median_["all"]).to_numpy()
        if "model_count" in self.derived:
            out["model_count"] = np.nan_to_num(_by_group(self.model_count_, X, ["make", "model"]), nan=0.0)
        return out

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                "age": ages(X["year"], self.listing_year),
                "mileage": X["mileage"].to_numpy(dtype=float),
                "hp": X["hp"].to_numpy(dtype=float),
            },
            index=X.index,
        )
        for name in CATEGORICAL:
            values = X[name].astype(object).where(X[name].notna(), None)
            if self.categorical:
                out[name] = pd.Categorical(values, categories=self.levels_[name])
            else:
                out[name] = values.astype(str).where(values.notna(), "missing")
        for name, values in self._derived(X).items():
            out[name] = values
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array([*MODEL_COLUMNS, *(name for name in DERIVED if name in self.derived)], dtype=object)


class GroupTargetEncoding(TransformerMixin, BaseEstimator):
    """Adds, for each group of TARGET_ENCODED, scikit-learn's `TargetEncoder` value of the listing's group:
    the training target mean of the group, shrunk towards the overall mean (`smooth="auto"`). On the
    training rows (`fit_transform`) each value is cross-fitted (`cv` folds: a row's own price is never in
    its encoding); on other rows the encoder fitted on every training row is used; an unseen group gets the
    overall mean. `enabled=False` passes the inputs through unchanged."""

    def __init__(self, enabled: bool = True, cv: int = 5, seed: int = 0):
        self.enabled = enabled
        self.cv = cv
        self.seed = seed

    @staticmethod
    def _keys(X: pd.DataFrame) -> pd.DataFrame:
        text = {name: X[name].astype(str) for name in ("make", "model", "fuel", "gear")}
        text["hp"] = X["hp"].map("{:g}".format)

        def joined(keys: tuple[str, ...]) -> pd.Series:
            out = text[keys[0]]
            for key in keys[1:]:
                out = out + " | " + text[key]
            return out

        return pd.DataFrame({name: joined(keys) for name, keys in TARGET_ENCODED.items()}, index=X.index)

    def _encoder(self) -> TargetEncoder:
        folds = KFold(self.cv, shuffle=True, random_state=self.seed)
        return TargetEncoder(target_type="continuous", smooth="auto", cv=folds)

    def _join(self, X: pd.DataFrame, encoded: np.ndarray) -> pd.DataFrame:
        columns = {f"te_{name}": encoded[:, i] for i, name in enumerate(TARGET_ENCODED)}
        return X.assign(**columns)

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> GroupTargetEncoding:
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: pd.DataFrame, y: np.ndarray = None, **fit_params: Any) -> pd.DataFrame:
        if not self.enabled:
            return X
        self.encoder_ = self._encoder()
        return self._join(X, self.encoder_.fit_transform(self._keys(X), y))

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        if not self.enabled:
            return X
        return self._join(X, self.encoder_.transform(self._keys(X)))


class ExpertRule(RegressorMixin, BaseEstimator):
    """The client's depreciation rule: price = reference new price × depreciation_factor(age).

    The reference new price of a make/model is estimated from the training rows only: each training car's
    price is divided by the rule's factor at its age (its implied new price), and the median is taken over
    the group's youngest cars (ages up to the group's youngest + `youngest_span` years), when at least
    `min_cars` of them exist; otherwise the make's reference (same estimate over the make), otherwise the
    median over every training car. Mileage, power and the rest are ignored: that is the rule."""

    def __init__(
        self,
        rates: tuple[float, ...] = (0.20, 0.15, 0.10, 0.10, 0.07, 0.05),
        tail_rate: float = 0.05,
        youngest_span: int = 1,
        min_cars: int = 3,
        listing_year: int = 2021,
    ):
        self.rates = rates
        self.tail_rate = tail_rate
        self.youngest_span = youngest_span
        self.min_cars = min_cars
        self.listing_year = listing_year

    def _implied(self, X: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
        age = ages(X["year"], self.listing_year)
        return pd.DataFrame(
            {
                "make": X["make"].to_numpy(),
                "model": X["model"].to_numpy(),
                "age": age,
                "implied": np.asarray(y, dtype=float) / depreciation_factor(age, list(self.rates), self.tail_rate),
            }
        )

    def _reference(self, implied: pd.DataFrame, keys: list[str]) -> pd.Series:
        youngest = implied.groupby(keys)["age"].transform("min")
        young = implied[implied["age"] <= youngest + self.youngest_span]
        stats = young.groupby(keys)["implied"].agg(["median", "size"])
        return stats.loc[stats["size"] >= self.min_cars, "median"]

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> ExpertRule:
        implied = self._implied(X, y)
        self.model_reference_ = self._reference(implied, ["make", "model"])
        self.make_reference_ = self._reference(implied, ["make"])
        self.overall_reference_ = float(implied["implied"].median())
        return self

    def new_price(self, X: pd.DataFrame) -> np.ndarray:
        """The reference new price of each listing's make/model (with the fallbacks of the class doc)."""
        keys = pd.MultiIndex.from_arrays([X["make"].to_numpy(), X["model"].to_numpy()])
        by_model = pd.Series(self.model_reference_.reindex(keys).to_numpy(), index=X.index)
        by_make = pd.Series(self.make_reference_.reindex(X["make"].to_numpy()).to_numpy(), index=X.index)
        return by_model.fillna(by_make).fillna(self.overall_reference_).to_numpy()

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        factor = depreciation_factor(ages(X["year"], self.listing_year), list(self.rates), self.tail_rate)
        return self.new_price(X) * factor


def _log_columns(values: np.ndarray) -> np.ndarray:
    return np.log1p(np.asarray(values, dtype=float))


def _age_terms(values: np.ndarray) -> np.ndarray:
    age = np.asarray(values, dtype=float)
    return np.column_stack([age, age**2])


def make_linear(alpha: float, min_frequency: int, listing_year: int) -> TransformedTargetRegressor:
    """Ridge regression of log price: one-hot categories (rarer levels grouped), age and age², log1p of
    mileage and power, all scaled."""
    encoder = ColumnTransformer(
        [
            (
                "categories",
                OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=min_frequency),
                list(CATEGORICAL),
            ),
            ("age", Pipeline([("terms", FunctionTransformer(_age_terms)), ("scale", StandardScaler())]), ["age"]),
            (
                "log",
                Pipeline([("log1p", FunctionTransformer(_log_columns)), ("scale", StandardScaler())]),
                ["mileage", "hp"],
            ),
        ]
    )
    pipeline = Pipeline(
        [
            ("features", CarFeatures(listing_year, categorical=False)),
            ("encode", encoder),
            ("model", Ridge(alpha=alpha)),
        ]
    )
    return TransformedTargetRegressor(pipeline, func=np.log, inverse_func=np.exp, check_inverse=False)


def make_boosting(
    params: dict[str, Any], listing_year: int, seed: int, threads: int, features: tuple[str, ...] = ()
) -> TransformedTargetRegressor:
    """XGBoost on log price with native categories, the derived inputs named in `features` (a subset of
    BOOSTING_FEATURES) and the monotone constraints of MONOTONE (given by column name)."""
    unknown = sorted(set(features) - set(BOOSTING_FEATURES))
    if unknown:
        raise ParamError("cars.train.xgboost.features", f"unknown {unknown}; known: {', '.join(BOOSTING_FEATURES)}")
    model = XGBRegressor(
        **params,
        enable_categorical=True,
        tree_method="hist",
        monotone_constraints=dict(MONOTONE),
        random_state=seed,
        n_jobs=threads,
    )
    derived = tuple(name for name in DERIVED if name in features)
    pipeline = Pipeline(
        [
            ("features", CarFeatures(listing_year, categorical=True, derived=derived)),
            ("encode", GroupTargetEncoding(enabled="target_encoding" in features, seed=seed)),
            ("model", model),
        ]
    )
    return TransformedTargetRegressor(pipeline, func=np.log, inverse_func=np.exp, check_inverse=False)


def regression_metrics(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MAE (EUR), MAPE (share, 0.09 = 9 %), median absolute percentage error, R² and RMSE, on prices."""
    y, predicted = np.asarray(y, dtype=float), np.asarray(predicted, dtype=float)
    relative = np.abs(predicted - y) / y
    return {
        "mae": float(mean_absolute_error(y, predicted)),
        "mape": float(relative.mean()),
        "median_ape": float(np.median(relative)),
        "r2": float(r2_score(y, predicted)),
        "rmse": float(np.sqrt(np.mean((predicted - y) ** 2))),
    }


def grid(space: dict[str, list]) -> list[dict[str, Any]]:
    """Every combination of a {name: [values]} grid (one candidate for an empty grid)."""
    for name, values in space.items():
        if not isinstance(values, list) or not values:
            raise ParamError(f"cars.train grid {name}", f"expected a non-empty list, got {values!r}")
    names = list(space)
    return [dict(zip(names, values, strict=True)) for values in product(*(space[name] for name in names))]


def tune_on_validation(
    candidates: dict[str, Any],
    train: tuple[pd.DataFrame, np.ndarray],
    validation: tuple[pd.DataFrame, np.ndarray],
    select_by: str = "mape",
) -> tuple[str, Any, list[dict[str, Any]]]:
    """Fit every candidate on the training split, score it on validation; the lowest `select_by` wins.
    Returns the winner's name, the fitted winner and every candidate's validation scores."""
    history, best = [], None
    for name, estimator in candidates.items():
        fitted = clone(estimator).fit(train[0][list(FEATURES)], train[1])
        scores = regression_metrics(validation[1], fitted.predict(validation[0][list(FEATURES)]))
        history.append({"candidate": name, **scores})
        if best is None or scores[select_by] < best[2]:
            best = (name, fitted, scores[select_by])
    assert best is not None
    return best[0], best[1], history


def residual_quantiles(y: np.ndarray, predicted: np.ndarray, coverage: float) -> tuple[float, float]:
    """The (1 − coverage)/2 and (1 + coverage)/2 quantiles of log(actual / predicted): the interval
    predicted × exp(q) held `coverage` of these prices."""
    log_ratio = np.log(np.asarray(y, dtype=float) / np.asarray(predicted, dtype=float))
    low, high = np.quantile(log_ratio, [(1 - coverage) / 2, (1 + coverage) / 2])
    return float(low), float(high)
