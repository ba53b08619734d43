"""`weather.ml` and `weather.horizon` as typed models: bad settings and unknown keys refused by name, before
anything is fitted, with one bound for a setting and for its tuning candidates."""

from __future__ import annotations

import pytest

from pipelines.common.errors import ParamError
from pipelines.common.params import load_section, parse_section
from pipelines.weather.settings import HorizonParams, MlParams
from stages.weather import horizon, train_ml
from tests.typed_params import changed, errors_of_stages, params_file_with, section

ML = section("weather")["ml"]


def test_the_ml_section_parses_and_gives_the_regressors_what_params_yaml_says():
    ml = load_section("weather.ml", MlParams)
    assert ml.model_dump(exclude_unset=True) == ML
    for regressor in ("ridge", "random_forest", "xgboost"):
        assert ml.settings(regressor) == ML[regressor] and list(ml.settings(regressor)) == list(ML[regressor])
    assert ml.grid("ridge") == ML["tuning"]["ridge"] and ml.grid("xgboost") == {}
    assert load_section("weather.horizon", HorizonParams).feature_set == section("weather")["horizon"]["feature_set"]


@pytest.mark.parametrize(
    ("dotted", "value", "name", "problem"),
    [
        ("xgboost.n_estimators", -5, None, "greater than or equal to 1, got -5"),
        ("random_forest.min_samples_leaf", 0, None, "greater than or equal to 1"),
        ("xgboost.subsample", 1.5, None, "less than or equal to 1, got 1.5"),
        ("xgboost.learning_rate", 0, None, "greater than 0"),
        ("ridge.alpah", 1.0, None, "unknown parameter (a typo?)"),
        ("xgboost.max_dept", 7, None, "unknown parameter (a typo?)"),
        ("sead", 42, None, "unknown parameter (a typo?)"),
        ("xgboost.n_estimators", "400", None, "valid integer, got '400'"),
        ("ridge.alpha", "1.0", None, "valid number"),
        ("seed", 4.2, None, "valid integer"),
        ("models.1", "svm", None, "Input should be 'ridge', 'random_forest' or 'xgboost'"),
        ("feature_sets.0", "lagz", None, "Input should be 'lags'"),
        ("tuning.ridge.alpha.1", -10.0, None, "greater than 0, got -10.0"),  # the setting's own bound
        ("tuning.ridge.alpah", [1.0], None, "unknown parameter (a typo?)"),
        ("tuning.ridge.alpha", [], None, "at least 1 item"),
        ("tuning.svm", {"C": [1.0]}, None, "unknown parameter (a typo?)"),
        ("xgboost", None, "weather.ml", "no settings for ['xgboost']"),
    ],
)
def test_a_bad_setting_or_an_unknown_key_is_refused_naming_the_parameter(dotted, value, name, problem):
    with pytest.raises(ParamError) as caught:
        parse_section(MlParams, changed(ML, dotted, value), "weather.ml")
    assert caught.value.name == (name or f"weather.ml.{dotted}") and problem in caught.value.problem


def test_the_xgboost_upper_bound_needs_no_xgboost_settings_when_it_is_off():
    ml = {key: value for key, value in ML.items() if key != "xgboost"} | {"models": ["ridge"]}
    with pytest.raises(ParamError, match="no settings for"):
        parse_section(MlParams, ml, "weather.ml")
    assert parse_section(MlParams, ml | {"observed_exog_upper_bound": False}, "weather.ml").xgboost is None


@pytest.mark.parametrize(("dotted", "value"), [("ml.xgboost.n_estimators", -5), ("ml.ridge.alpah", 1.0)])
def test_train_ml_and_horizon_refuse_a_bad_setting_the_same_way_before_fitting(monkeypatch, tmp_path, dotted, value):
    """weather_train_ml checked the tuning grids and weather_horizon did not: both read one model now."""
    path = params_file_with(tmp_path, "weather", dotted, value)
    read = lambda name, model: load_section(name, model, path)  # noqa: E731
    errors = errors_of_stages(monkeypatch, [train_ml, horizon], "load_section", read)
    assert len(set(errors.values())) == 1 and f"weather.{dotted}: " in next(iter(errors.values()))
