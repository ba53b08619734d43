"""Feature engineering as scikit-learn transformers, so every statistic is learnt inside each CV fold.

`ApplicationFeatures` selects the application fields (never `SK_ID_CURR`, never `TARGET`: they are
not in its list) and adds ratios, the EXT_SOURCE summaries and the DAYS_EMPLOYED anomaly flag.
`make_preprocessor` then encodes and scales: one-hot for low-cardinality categories, target encoding
(cross-fitted by scikit-learn's `TargetEncoder`) for high-cardinality ones, and for linear models a
log transform of the skewed amounts, median imputation with missing-value indicators and scaling.
Tree models get the numbers untouched: XGBoost and the random forest handle missing values natively.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import skew
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from pipelines.common.errors import DataError
from pipelines.credit.schema import CATEGORICAL, DAYS_EMPLOYED_SENTINEL, FEATURE_NAMES

EXT_SOURCES = ["EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3"]
DOCUMENT_FLAGS = [f"FLAG_DOCUMENT_{i}" for i in range(2, 22)]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator).replace([np.inf, -np.inf], np.nan)


def _employed(frame: pd.DataFrame) -> pd.Series:
    return frame["DAYS_EMPLOYED"].where(frame["DAYS_EMPLOYED"] != DAYS_EMPLOYED_SENTINEL)


# name: (what it is, the application fields it reads, how to compute it from the raw fields)
ENGINEERED = {
    "DAYS_EMPLOYED_ANOMALY": (
        f"1 when DAYS_EMPLOYED is Kaggle's {DAYS_EMPLOYED_SENTINEL} sentinel (not employed), which then becomes "
        "a missing value",
        ["DAYS_EMPLOYED"],
        lambda f: (f["DAYS_EMPLOYED"] == DAYS_EMPLOYED_SENTINEL).astype(float),
    ),
    "CREDIT_INCOME_RATIO": (
        "AMT_CREDIT / AMT_INCOME_TOTAL",
        ["AMT_CREDIT", "AMT_INCOME_TOTAL"],
        lambda f: _ratio(f["AMT_CREDIT"], f["AMT_INCOME_TOTAL"]),
    ),
    "ANNUITY_INCOME_RATIO": (
        "AMT_ANNUITY / AMT_INCOME_TOTAL (debt-service ratio)",
        ["AMT_ANNUITY", "AMT_INCOME_TOTAL"],
        lambda f: _ratio(f["AMT_ANNUITY"], f["AMT_INCOME_TOTAL"]),
    ),
    "ANNUITY_CREDIT_RATIO": (
        "AMT_ANNUITY / AMT_CREDIT (payment rate, about 1 / loan term)",
        ["AMT_ANNUITY", "AMT_CREDIT"],
        lambda f: _ratio(f["AMT_ANNUITY"], f["AMT_CREDIT"]),
    ),
    "GOODS_CREDIT_RATIO": (
        "AMT_GOODS_PRICE / AMT_CREDIT",
        ["AMT_GOODS_PRICE", "AMT_CREDIT"],
        lambda f: _ratio(f["AMT_GOODS_PRICE"], f["AMT_CREDIT"]),
    ),
    "EMPLOYED_AGE_RATIO": (
        "DAYS_EMPLOYED / DAYS_BIRTH (share of life in the current job)",
        ["DAYS_EMPLOYED", "DAYS_BIRTH"],
        lambda f: _ratio(_employed(f), f["DAYS_BIRTH"]),
    ),
    "INCOME_PER_PERSON": (
        "AMT_INCOME_TOTAL / CNT_FAM_MEMBERS",
        ["AMT_INCOME_TOTAL", "CNT_FAM_MEMBERS"],
        lambda f: _ratio(f["AMT_INCOME_TOTAL"], f["CNT_FAM_MEMBERS"]),
    ),
    "EXT_SOURCE_MEAN": ("mean of the known EXT_SOURCE_1-3", EXT_SOURCES, lambda f: f[EXT_SOURCES].mean(axis=1)),
    "EXT_SOURCE_MIN": ("min of the known EXT_SOURCE_1-3", EXT_SOURCES, lambda f: f[EXT_SOURCES].min(axis=1)),
    "EXT_SOURCE_MAX": ("max of the known EXT_SOURCE_1-3", EXT_SOURCES, lambda f: f[EXT_SOURCES].max(axis=1)),
    "EXT_SOURCE_PROD": (
        "EXT_SOURCE_1 × EXT_SOURCE_2 × EXT_SOURCE_3 (missing unless all three are known)",
        EXT_SOURCES,
        lambda f: f[EXT_SOURCES].prod(axis=1, min_count=len(EXT_SOURCES)),
    ),
    "EXT_SOURCE_COUNT": (
        "how many EXT_SOURCE scores are known",
        EXT_SOURCES,
        lambda f: f[EXT_SOURCES].notna().sum(axis=1).astype(float),
    ),
    "DOCUMENT_COUNT": (
        "number of FLAG_DOCUMENT_* provided",
        DOCUMENT_FLAGS,
        lambda f: f[DOCUMENT_FLAGS].sum(axis=1).astype(float),
    ),
}
MISSING_COUNT = "MISSING_COUNT"  # number of missing application fields: thin files, little history


def _array_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    ratio[np.isinf(ratio)] = np.nan
    return ratio


def _array_employed(get) -> np.ndarray:
    days = get("DAYS_EMPLOYED")
    return np.where(days == DAYS_EMPLOYED_SENTINEL, np.nan, days)


def _array_ext(get) -> np.ndarray:
    """The three external scores as one (rows, 3) array, in EXT_SOURCES order."""
    return np.column_stack([get(name) for name in EXT_SOURCES])


def _array_ext_mean(get) -> np.ndarray:
    ext = _array_ext(get)
    known = (~np.isnan(ext)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(ext), 0.0, ext).sum(axis=1) / known  # pandas' nanmean: sum of the known / count


def _array_ext_extreme(get, reduce) -> np.ndarray:
    ext = _array_ext(get)
    known = ~np.isnan(ext).all(axis=1)
    out = np.full(len(ext), np.nan)
    out[known] = reduce(ext[known], axis=1)
    return out


def _array_ext_product(get) -> np.ndarray:
    ext = _array_ext(get)
    return np.where(np.isnan(ext).any(axis=1), np.nan, np.where(np.isnan(ext), 1.0, ext).prod(axis=1))


# The same features computed on arrays (`get(name)` returns one raw field as a float array, NaN for missing),
# for the scoring service's one-row fast path (pipelines/credit/encoding.py): the same operations in the same
# order, so the same bits; tests/credit/test_encoding.py checks every feature against ENGINEERED on real rows.
ENGINEERED_ARRAYS = {
    "DAYS_EMPLOYED_ANOMALY": lambda get: (get("DAYS_EMPLOYED") == DAYS_EMPLOYED_SENTINEL).astype(float),
    "CREDIT_INCOME_RATIO": lambda get: _array_ratio(get("AMT_CREDIT"), get("AMT_INCOME_TOTAL")),
    "ANNUITY_INCOME_RATIO": lambda get: _array_ratio(get("AMT_ANNUITY"), get("AMT_INCOME_TOTAL")),
    "ANNUITY_CREDIT_RATIO": lambda get: _array_ratio(get("AMT_ANNUITY"), get("AMT_CREDIT")),
    "GOODS_CREDIT_RATIO": lambda get: _array_ratio(get("AMT_GOODS_PRICE"), get("AMT_CREDIT")),
    "EMPLOYED_AGE_RATIO": lambda get: _array_ratio(_array_employed(get), get("DAYS_BIRTH")),
    "INCOME_PER_PERSON": lambda get: _array_ratio(get("AMT_INCOME_TOTAL"), get("CNT_FAM_MEMBERS")),
    "EXT_SOURCE_MEAN": _array_ext_mean,
    "EXT_SOURCE_MIN": lambda get: _array_ext_extreme(get, np.nanmin),
    "EXT_SOURCE_MAX": lambda get: _array_ext_extreme(get, np.nanmax),
    "EXT_SOURCE_PROD": _array_ext_product,
    "EXT_SOURCE_COUNT": lambda get: (~np.isnan(_array_ext(get))).sum(axis=1).astype(float),
    "DOCUMENT_COUNT": lambda get: np.nansum(np.column_stack([get(name) for name in DOCUMENT_FLAGS]), axis=1),
}


class ApplicationFeatures(TransformerMixin, BaseEstimator):
    """Application fields (minus `excluded`) plus engineered ones; the id and the target are never selected.

    An engineered feature that reads an excluded field is left out as well, so excluding a field
    (e.g. a protected attribute) really removes it from the model.
    """

    def __init__(self, excluded: tuple[str, ...] = ()):
        self.excluded = excluded

    def fit(self, X: pd.DataFrame, y=None):
        unknown = [name for name in self.excluded if name not in FEATURE_NAMES]
        if unknown:
            raise DataError(f"excluded column(s) {unknown} are not application fields")
        self.input_columns_ = [name for name in FEATURE_NAMES if name not in self.excluded]
        self.engineered_ = [
            name for name, (_, reads, _) in ENGINEERED.items() if not set(reads) & set(self.excluded)
        ] + [MISSING_COUNT]
        self._check(X)
        self.feature_names_out_ = np.array([*self.input_columns_, *self.engineered_], dtype=object)
        return self

    def _check(self, X: pd.DataFrame) -> None:
        if not isinstance(X, pd.DataFrame):
            raise DataError(f"expected a DataFrame of application fields, got {type(X).__name__}")
        missing = [name for name in self.input_columns_ if name not in X.columns]
        if missing:
            raise DataError(f"missing application field(s): {missing[:10]}")

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        self._check(X)
        raw = X[self.input_columns_]
        frame = raw.copy()
        for name in self.engineered_[:-1]:
            frame[name] = ENGINEERED[name][2](raw)
        if "DAYS_EMPLOYED" in frame:
            frame["DAYS_EMPLOYED"] = _employed(raw)
        frame[MISSING_COUNT] = raw.isna().sum(axis=1).astype(float)
        return frame

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return self.feature_names_out_


class SkewedLog(TransformerMixin, BaseEstimator):
    """log1p of the non-negative, non-binary columns whose training skewness exceeds `threshold`."""

    def __init__(self, threshold: float = 2.0):
        self.threshold = threshold

    def fit(self, X, y=None):
        values = np.asarray(X, dtype=float)
        self.n_features_in_ = values.shape[1]
        self.log_mask_ = np.zeros(values.shape[1], dtype=bool)
        for j in range(values.shape[1]):
            column = values[:, j][~np.isnan(values[:, j])]
            if column.min() >= 0 and np.unique(column).size > 2:  # binary flags stay 0/1
                self.log_mask_[j] = skew(column) > self.threshold
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def transform(self, X):
        values = np.array(X, dtype=float)
        values[:, self.log_mask_] = np.log1p(np.clip(values[:, self.log_mask_], 0, None))
        return values

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        names = input_features if input_features is not None else getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{j}" for j in range(self.n_features_in_)]
        return np.asarray(names, dtype=object)

    def logged(self, names) -> list[str]:
        return [name for name, flag in zip(names, self.log_mask_) if flag]


class CategoricalColumns:
    """Column selector: the categorical columns with at most (low) or more than (high) `max_levels` levels."""

    def __init__(self, max_levels: int, high: bool):
        self.max_levels = max_levels
        self.high = high

    def __call__(self, frame: pd.DataFrame) -> list[str]:
        present = [name for name in CATEGORICAL if name in frame.columns]
        return [name for name in present if (frame[name].nunique() > self.max_levels) == self.high]


def _numeric_columns(frame: pd.DataFrame) -> list[str]:
    return [name for name in frame.columns if name not in CATEGORICAL]


def make_preprocessor(
    kind: str, onehot_max_levels: int, onehot_min_frequency: int, log_skew: float, smooth: float, seed: int
):
    """Encoding and scaling after `ApplicationFeatures`: kind "linear" (imputed, logged, scaled) or "tree" (raw "
    "numbers)."""
    if kind not in ("linear", "tree"):
        raise ValueError(f"unknown preprocessing kind {kind!r}")
    missing_category = SimpleImputer(strategy="constant", fill_value="missing")
    onehot = make_pipeline(
        missing_category,
        OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=onehot_min_frequency, sparse_output=False),
    )
    target = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"),
        # m-estimate: (defaults + smooth × overall rate) / (clients + smooth); scikit-learn's "auto" would leave
        # a small category whose clients all defaulted at exactly 1
        TargetEncoder(target_type="binary", smooth=smooth, cv=StratifiedKFold(5, shuffle=True, random_state=seed)),
    )
    if kind == "linear":
        numeric = make_pipeline(
            SkewedLog(log_skew),
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
        )
    else:
        numeric = "passthrough"
    return ColumnTransformer(
        [
            ("onehot", onehot, CategoricalColumns(onehot_max_levels, high=False)),
            ("target", target, CategoricalColumns(onehot_max_levels, high=True)),
            ("numeric", numeric, _numeric_columns),
        ],
        verbose_feature_names_out=False,
    )


def make_feature_pipeline(kind: str, excluded: tuple[str, ...], settings: dict, seed: int) -> Pipeline:
    """`ApplicationFeatures` then the encoder of `kind`; `settings` holds the credit.features params."""
    return Pipeline(
        [
            ("features", ApplicationFeatures(tuple(excluded))),
            (
                "encode",
                make_preprocessor(
                    kind,
                    int(settings["onehot_max_levels"]),
                    int(settings["onehot_min_frequency"]),
                    float(settings["log_skew_threshold"]),
                    float(settings["target_encoding_smooth"]),
                    seed,
                ),
            ),
        ]
    )


def logged_columns(feature_pipeline: Pipeline) -> list[str]:
    """The columns a fitted linear feature pipeline log-transforms (empty for tree pipelines)."""
    encoder = feature_pipeline.named_steps["encode"]
    numeric = encoder.named_transformers_.get("numeric")
    if not isinstance(numeric, Pipeline):
        return []
    columns = next(cols for name, _, cols in encoder.transformers_ if name == "numeric")
    return numeric.steps[0][1].logged(columns)


def source_column(feature: str, inputs: list[str]) -> str:
    """The application or engineered column an encoded feature comes from (one-hot levels, missing indicators)."""
    if feature in inputs:
        return feature
    if feature.startswith("missingindicator_"):
        return feature.removeprefix("missingindicator_")
    matches = [name for name in inputs if feature.startswith(f"{name}_")]
    return max(matches, key=len) if matches else feature
