"""The classifiers, from simple to complex, the class-imbalance strategies and the search spaces.

Every model is wrapped in `ImbalanceHandler`, so the four strategies (none, class weights,
random under-sampling, random over-sampling) are one parameter, applied the same way to every model
and only ever to the rows a model is fitted on (resampling inside the training folds, never on
validation or test rows).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils.class_weight import compute_sample_weight

from pipelines.common.errors import ParamError

MODELS = ("dummy", "logistic", "xgboost", "random_forest")
STRATEGIES = ("none", "class_weight", "undersample", "oversample")
# Which encoder a model gets (features.make_preprocessor): scaled and imputed for the linear model.
PREPROCESSING = {"dummy": "tree", "logistic": "linear", "xgboost": "tree", "random_forest": "tree"}
FAMILIES = {"dummy": "baseline", "logistic": "linear", "xgboost": "gradient boosting", "random_forest": "bagging"}


class ImbalanceHandler(ClassifierMixin, BaseEstimator):
    """Fit `estimator` with a class-imbalance strategy; predictions come from the fitted copy unchanged.

    - none: the rows as they are;
    - class_weight: "balanced" sample weights (each class weighs the same in total);
    - undersample: every minority row and `ratio` × as many majority rows drawn without replacement;
    - oversample: every majority row and minority rows drawn with replacement up to majority / `ratio`.
    """

    def __init__(self, estimator: Any = None, strategy: str = "class_weight", ratio: float = 1.0, random_state=None):
        self.estimator = estimator
        self.strategy = strategy
        self.ratio = ratio
        self.random_state = random_state

    def _resample(self, y: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(self.random_state)
        labels, counts = np.unique(y, return_counts=True)
        minority, majority = labels[np.argmin(counts)], labels[np.argmax(counts)]
        minority_rows, majority_rows = np.flatnonzero(y == minority), np.flatnonzero(y == majority)
        if self.strategy == "undersample":
            keep = min(len(majority_rows), int(round(self.ratio * len(minority_rows))))
            majority_rows = rng.choice(majority_rows, size=keep, replace=False)
        else:
            wanted = max(len(minority_rows), int(round(len(majority_rows) / self.ratio)))
            minority_rows = np.concatenate(
                [minority_rows, rng.choice(minority_rows, size=wanted - len(minority_rows), replace=True)]
            )
        return np.sort(np.concatenate([minority_rows, majority_rows]))

    def fit(self, X, y):
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown imbalance strategy {self.strategy!r}; expected one of {STRATEGIES}")
        y = np.asarray(y)
        estimator = clone(self.estimator)
        if self.strategy in ("undersample", "oversample"):
            rows = self._resample(y)
            estimator.fit(X[rows], y[rows])
        elif self.strategy == "class_weight":
            estimator.fit(X, y, sample_weight=compute_sample_weight("balanced", y))
        else:
            estimator.fit(X, y)
        self.estimator_ = estimator
        self.classes_ = estimator.classes_
        return self

    def predict_proba(self, X) -> np.ndarray:
        return self.estimator_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        return self.estimator_.predict(X)


def make_estimator(name: str, params: dict[str, Any], seed: int) -> BaseEstimator:
    """A fresh classifier; one thread each (parallelism is over CV folds, see tuning.py)."""
    if name == "dummy":
        return DummyClassifier(strategy="prior", **params)
    if name == "logistic":
        # newton-cholesky: fast and exact when rows far outnumber features (as here)
        return LogisticRegression(**({"solver": "newton-cholesky", "max_iter": 200} | params))
    if name == "xgboost":
        # Imported here: the params models (pipelines/credit/settings.py) read this module's names, and what
        # imports them (the monitoring, the dashboard) never fits a model.
        from xgboost import XGBClassifier

        return XGBClassifier(**({"tree_method": "hist", "n_jobs": 1, "random_state": seed} | params))
    if name == "random_forest":
        return RandomForestClassifier(**({"n_jobs": 1, "random_state": seed} | params))
    raise ValueError(f"unknown model {name!r}; expected one of {MODELS}")


def make_classifier(name: str, params: dict[str, Any], strategy: str, ratio: float, seed: int) -> ImbalanceHandler:
    return ImbalanceHandler(make_estimator(name, params, seed), strategy=strategy, ratio=ratio, random_state=seed)


def inner_estimator(classifier: Any) -> Any:
    """The fitted model inside an `ImbalanceHandler` (what SHAP explains)."""
    return getattr(classifier, "estimator_", classifier)


def parse_distribution(name: str, spec: Any) -> Any:
    """One entry of a search space in params.yaml.

    A list is a choice; `{loguniform: [a, b]}`, `{uniform: [a, b]}` are continuous; `{randint: [a, b]}`
    draws integers from a to b inclusive; a scalar is fixed.
    """
    if isinstance(spec, list):
        if not spec:
            raise ParamError(name, "an empty list of choices")
        return spec
    if isinstance(spec, dict):
        if len(spec) != 1:
            raise ParamError(name, f"expected one of loguniform/uniform/randint, got {spec!r}")
        kind, bounds = next(iter(spec.items()))
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(isinstance(b, (int, float)) for b in bounds)):
            raise ParamError(name, f"{kind} needs [low, high], got {bounds!r}")
        low, high = bounds
        if high <= low:
            raise ParamError(name, f"{kind} needs low < high, got {bounds!r}")
        if kind == "loguniform":
            if low <= 0:
                raise ParamError(name, "loguniform needs low > 0")
            return stats.loguniform(low, high)
        if kind == "uniform":
            return stats.uniform(low, high - low)
        if kind == "randint":
            return stats.randint(int(low), int(high) + 1)
        raise ParamError(name, f"unknown distribution {kind!r} (loguniform, uniform, randint)")
    return [spec]


def parse_space(prefix: str, space: dict[str, Any]) -> dict[str, Any]:
    return {key: parse_distribution(f"{prefix}.{key}", spec) for key, spec in space.items()}
