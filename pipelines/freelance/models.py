"""The client's model families on one protocol: GridSearchCV over group folds of the training split.

Every candidate is a scikit-learn Pipeline (features → model), so each fold refits the TF-IDF vocabulary and
the reliability prior on its own training rows. Folds are GroupKFold over the near-duplicate title groups:
a seller's reworded copies of one gig never sit on both sides of a fold. Regressors are scored by MAE (in
thousands of PKR), band classifiers by accuracy; with `log_target` a regressor learns log(price) and answers
exp(prediction), which suits prices spread over two orders of magnitude (the dummy median is unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from xgboost import XGBRegressor

from pipelines.common.errors import ParamError
from pipelines.freelance.features import make_features

DUMMY_REGRESSOR = "dummy_median"
DUMMY_CLASSIFIER = "dummy_majority"


def _regressors(seed: int) -> dict[str, Any]:
    return {
        DUMMY_REGRESSOR: DummyRegressor(strategy="median"),
        "linear_regression": LinearRegression(),
        "ridge": Ridge(random_state=seed),
        "knn": KNeighborsRegressor(),
        "decision_tree": DecisionTreeRegressor(random_state=seed),
        "random_forest": RandomForestRegressor(random_state=seed, n_jobs=1),
        "gradient_boosting": GradientBoostingRegressor(random_state=seed),
        "xgboost": XGBRegressor(random_state=seed, n_jobs=1, tree_method="hist", verbosity=0),
    }


def _classifiers(seed: int) -> dict[str, Any]:
    return {
        DUMMY_CLASSIFIER: DummyClassifier(strategy="most_frequent"),
        "decision_tree": DecisionTreeClassifier(random_state=seed),
        "random_forest": RandomForestClassifier(random_state=seed, n_jobs=1),
        "knn": KNeighborsClassifier(),
        "logistic_regression": LogisticRegression(max_iter=2000, random_state=seed),
    }


class LogPriceRegressor(RegressorMixin, BaseEstimator):
    """Fits `regressor` on log(price) and answers exp(prediction), clipped to the training prices' range:
    a linear model over a few thousand TF-IDF columns can extrapolate far in log space, and exp() of that
    is not a price anybody asks."""

    def __init__(self, regressor):
        self.regressor = regressor

    def fit(self, X, y):
        log_y = np.log(np.asarray(y, dtype=float))
        self.regressor_ = clone(self.regressor).fit(X, log_y)
        self.log_range_ = (float(log_y.min()), float(log_y.max()))
        return self

    def predict(self, X) -> np.ndarray:
        return np.exp(np.clip(self.regressor_.predict(X), *self.log_range_))


REGRESSORS = tuple(_regressors(0))
CLASSIFIERS = tuple(_classifiers(0))


@dataclass
class SearchResult:
    name: str
    task: str  # "price" or "band"
    search: GridSearchCV
    oof: np.ndarray  # out-of-fold predictions of the best configuration (price, or band probabilities)

    @property
    def best_params(self) -> dict[str, Any]:
        return {key.split("__")[-1]: _plain(value) for key, value in self.search.best_params_.items()}

    @property
    def cv_mean(self) -> float:
        """Mean fold score of the best configuration: MAE (price) or accuracy (band)."""
        score = float(self.search.best_score_)
        return -score if self.task == "price" else score

    @property
    def cv_std(self) -> float:
        return float(self.search.cv_results_["std_test_score"][self.search.best_index_])


def make_pipeline(task: str, name: str, text: dict, prior_reviews: float, seed: int, log_target: bool) -> Pipeline:
    """features → model for `task` ("price" or "band")."""
    catalogue = _regressors(seed) if task == "price" else _classifiers(seed)
    if name not in catalogue:
        raise ParamError(
            f"freelance.train.{task}_models", f"unknown model {name!r}; expected some of {list(catalogue)}"
        )
    model = catalogue[name]
    if task == "price" and log_target:
        model = LogPriceRegressor(model)
    return Pipeline([("features", make_features(text, prior_reviews)), ("model", model)])


def grid_keys(task: str, grid: dict[str, list], log_target: bool) -> dict[str, list]:
    """params.yaml's grid (the model's own parameter names) in the Pipeline's names."""
    prefix = "model__regressor__" if task == "price" and log_target else "model__"
    return {prefix + key: list(values) for key, values in grid.items()}


def group_folds(groups: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The CV folds every model shares: GroupKFold over the near-duplicate groups, shuffled with `seed`."""
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(groups)), groups=groups))


def search(
    task: str,
    name: str,
    X: pd.DataFrame,
    y: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    grid: dict[str, list],
    settings: dict,
) -> SearchResult:
    """GridSearchCV of one model on the shared folds, refitted on the whole training split, with the
    out-of-fold predictions of its best configuration."""
    pipeline = make_pipeline(
        task, name, settings["text"], settings["prior_reviews"], settings["seed"], settings["log_target"]
    )
    scoring = "neg_mean_absolute_error" if task == "price" else "accuracy"
    found = GridSearchCV(
        pipeline, grid_keys(task, grid, settings["log_target"]), scoring=scoring, cv=folds, n_jobs=settings["n_jobs"]
    )
    found.fit(X, y)
    best = found.best_estimator_
    if task == "price":
        oof = np.full(len(y), np.nan)
    else:
        oof = np.full((len(y), 3), np.nan)
    for train_rows, valid_rows in folds:
        fitted = clone(best).fit(X.iloc[train_rows], y[train_rows])
        if task == "price":
            oof[valid_rows] = fitted.predict(X.iloc[valid_rows])
        else:
            oof[valid_rows] = band_probabilities(fitted, X.iloc[valid_rows])
    return SearchResult(name, task, found, oof)


def band_probabilities(model, X: pd.DataFrame) -> np.ndarray:
    """P(Low), P(Medium), P(High) for each row, whatever classes the model saw in training."""
    proba = model.predict_proba(X)
    full = np.zeros((len(X), 3))
    full[:, np.asarray(model.classes_, dtype=int)] = proba
    return full


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def drop_pruned_vocabulary(model: Any) -> Any:
    """`model` with every fitted TfidfVectorizer's `stop_words_` and `_stop_words_id` removed (in place).

    That attribute is the set of terms min_df / max_features pruned: only for introspection (scikit-learn says it
    can be deleted before pickling), and a Python set of strings pickles in an order that changes with each
    process' hash seed, so the same model would give different bytes on every run; `_stop_words_id` is a cache
    key of the stop-word check (the check runs again without it).
    """
    seen: set[int] = set()

    def walk(node: Any) -> None:
        if id(node) in seen or isinstance(node, (str, bytes, int, float, np.ndarray)):
            return
        seen.add(id(node))
        if isinstance(node, TfidfVectorizer):
            for attribute in ("stop_words_", "_stop_words_id"):  # the second is id(stop_words), a memory address
                if hasattr(node, attribute):
                    delattr(node, attribute)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, (list, tuple)) else None
        if (
            children is None
            and hasattr(node, "__dict__")
            and type(node).__module__.startswith(("sklearn", "pipelines"))
        ):
            children = vars(node).values()
        for child in children or ():
            walk(child)

    walk(model)
    return model
