"""Typed params sections: bounds and types in one model, unknown keys refused, errors name the parameter."""

from __future__ import annotations

import pytest
from pydantic import Field

from pipelines.common.errors import ParamError
from pipelines.common.params import SectionModel, load_section, parse_section


class Ridge(SectionModel):
    alpha: float = Field(gt=0)


class Xgboost(SectionModel):
    n_estimators: int = Field(ge=1)
    max_depth: int = Field(ge=1, le=20)


class Ml(SectionModel):
    seed: int
    ridge: Ridge
    xgboost: Xgboost


GOOD = {"seed": 42, "ridge": {"alpha": 1.0}, "xgboost": {"n_estimators": 400, "max_depth": 5}}


def test_a_valid_section_parses_into_the_model():
    ml = parse_section(Ml, GOOD, "weather.ml")
    assert ml.xgboost.n_estimators == 400 and ml.ridge.alpha == 1.0


@pytest.mark.parametrize(
    ("change", "name", "problem"),
    [
        (
            {"xgboost": {"n_estimators": -5, "max_depth": 5}},
            "weather.ml.xgboost.n_estimators",
            "greater than or equal to 1, got -5",
        ),
        ({"ridge": {"alpah": 1.0}}, "weather.ml.ridge.alpah", "unknown parameter"),
        ({"sead": 3}, "weather.ml.sead", "unknown parameter"),
        ({"seed": "42"}, "weather.ml.seed", "valid integer, got '42'"),
        ({"seed": True}, "weather.ml.seed", "valid integer, got True"),
    ],
)
def test_a_bad_value_or_an_unknown_key_is_refused_by_name(change, name, problem):
    with pytest.raises(ParamError) as caught:
        parse_section(Ml, GOOD | change, "weather.ml")
    assert caught.value.name == name and problem in caught.value.problem


def test_load_section_reads_a_dotted_section_of_a_params_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(
        "weather:\n  ml:\n    seed: 1\n    ridge: {alpha: 0.5}\n    xgboost: {n_estimators: 10, max_depth: 3}\n"
    )
    assert load_section("weather.ml", Ml, path).seed == 1
    with pytest.raises(ParamError, match="weather.nope: missing"):
        load_section("weather.nope", Ml, path)
