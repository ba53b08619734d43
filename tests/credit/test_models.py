"""Class-imbalance strategies and search-space parsing."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier

from pipelines.common.errors import ParamError
from pipelines.credit.models import ImbalanceHandler, inner_estimator, make_estimator, parse_space


class Recorder(ClassifierMixin, BaseEstimator):
    """Remembers what it was fitted on."""

    def fit(self, X, y, sample_weight=None):
        self.y_ = np.asarray(y)
        self.weights_ = sample_weight
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.tile([0.5, 0.5], (len(X), 1))


X = np.arange(1000).reshape(-1, 1).astype(float)
Y = np.array([1] * 100 + [0] * 900)


def fitted(strategy: str, ratio: float = 1.0) -> Recorder:
    return ImbalanceHandler(Recorder(), strategy=strategy, ratio=ratio, random_state=0).fit(X, Y).estimator_


def test_none_keeps_the_rows_as_they_are():
    model = fitted("none")
    assert (model.y_ == Y).all() and model.weights_ is None


def test_class_weights_balance_the_total_weight():
    model = fitted("class_weight")
    assert np.isclose(model.weights_[Y == 1].sum(), model.weights_[Y == 0].sum())


def test_undersampling_keeps_every_minority_row():
    model = fitted("undersample", ratio=2.0)
    assert (model.y_ == 1).sum() == 100 and (model.y_ == 0).sum() == 200


def test_oversampling_keeps_every_majority_row():
    model = fitted("oversample")
    assert (model.y_ == 0).sum() == 900 and (model.y_ == 1).sum() == 900


def test_unknown_strategy_and_model_are_refused():
    with pytest.raises(ValueError, match="imbalance strategy"):
        ImbalanceHandler(Recorder(), strategy="smote").fit(X, Y)
    with pytest.raises(ValueError, match="unknown model"):
        make_estimator("svm", {}, 0)


def test_handler_predicts_with_the_fitted_model():
    handler = ImbalanceHandler(DummyClassifier(strategy="prior"), strategy="none").fit(X, Y)
    np.testing.assert_allclose(handler.predict_proba(X[:3])[:, 1], 0.1)
    assert isinstance(inner_estimator(handler), DummyClassifier)


def test_search_space_entries():
    space = parse_space(
        "credit.train.search.xgboost.space",
        {
            "depth": [2, 3],
            "rate": {"loguniform": [0.01, 0.1]},
            "sub": {"uniform": [0.5, 1.0]},
            "n": {"randint": [5, 7]},
            "fixed": 3,
        },
    )
    assert space["depth"] == [2, 3] and space["fixed"] == [3]
    rng = np.random.default_rng(0)
    assert all(0.01 <= v <= 0.1 for v in space["rate"].rvs(100, random_state=rng))
    assert all(0.5 <= v <= 1.0 for v in space["sub"].rvs(100, random_state=rng))
    assert set(space["n"].rvs(200, random_state=rng)) == {5, 6, 7}  # randint bounds are inclusive


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"loguniform": [0, 1]}, "low > 0"),
        ({"uniform": [2, 1]}, "low < high"),
        ({"normal": [0, 1]}, "unknown"),
        ([], "empty"),
    ],
)
def test_bad_search_space_names_the_parameter(spec, message):
    with pytest.raises(ParamError, match=f"credit.train.search.logistic.space.C.*{message}"):
        parse_space("credit.train.search.logistic.space", {"C": spec})
