"""Reading credit_train's parameters and choosing each model's configuration."""

from __future__ import annotations

import copy

import pytest
import yaml

from pipelines.common.errors import ParamError
from pipelines.common.params import Params
from pipelines.common.paths import PARAMS_FILE
from pipelines.credit.data import features_and_target
from pipelines.credit.tuning import encode_folds, stratified_splits
from stages.credit.train import read_settings, tune

DEFAULTS = yaml.safe_load(PARAMS_FILE.read_text())["credit"]


def settings_with(**changes):
    credit = copy.deepcopy(DEFAULTS)
    for dotted, value in changes.items():
        *path, key = dotted.split("__")
        node = credit
        for part in path:
            node = node[part]
        node[key] = value
    return read_settings(Params(credit, "credit"))


def test_the_shipped_parameters_are_valid():
    settings = settings_with()
    assert settings.models[0] == "dummy" and {"logistic", "xgboost"} <= set(settings.models)
    assert settings.weights.fn == 10 and settings.weights.fp == 1
    assert "CODE_GENDER" in settings.excluded


@pytest.mark.parametrize(
    "change, name",
    [
        ({"train__models": ["dummy", "svm"]}, "credit.train.models"),
        ({"train__models": ["logistic"]}, "credit.train.models"),
        ({"train__imbalance__compare": ["smote"]}, "credit.train.imbalance.compare"),
        ({"train__imbalance__select_by": "luck"}, "credit.train.imbalance.select_by"),
        ({"features__excluded": ["GENDER"]}, "credit.features.excluded"),
        ({"train__search__xgboost__n_iter": 0}, "credit.train.search.xgboost.n_iter"),
        ({"cost__fn": -1}, "credit.cost.fn"),
    ],
)
def test_bad_parameters_are_named(change, name):
    with pytest.raises(ParamError, match=name.replace(".", r"\.")):
        settings_with(**change)


def test_each_model_keeps_the_strategy_with_the_lowest_out_of_fold_cost(small_split):
    settings = settings_with(
        train__cv_folds=3,
        train__imbalance__compare=["none", "class_weight", "undersample"],
        train__search__xgboost={"n_iter": 1, "fixed": {"n_estimators": 20, "max_depth": 2}, "space": {}},
    )
    X, y = features_and_target(small_split[0])
    folds = encode_folds(X, y, stratified_splits(y, 3, 0), "tree", settings.excluded, settings.features, 0)
    chosen, history, rows = tune("xgboost", folds, y, settings)
    assert len(history) == 1 and {row["strategy"] for row in rows} == {"none", "class_weight", "undersample"}
    assert chosen.strategy == min(rows, key=lambda row: row["business_cost_oof"])["strategy"]
    dummy, dummy_history, dummy_rows = tune("dummy", folds, y, settings)
    assert dummy.auc_mean == 0.5 and not dummy_history and not dummy_rows
