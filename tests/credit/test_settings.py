"""The credit sections of params.yaml as typed models: unknown keys refused by name, one bound wherever read."""

from __future__ import annotations

import copy

import pytest
import yaml

from pipelines.common.errors import ParamError
from pipelines.common.params import Params, load_section, parse_section
from pipelines.common.paths import PARAMS_FILE
from pipelines.credit.cost import cost_weights
from pipelines.credit.settings import SECTIONS, CostParams, DataParams
from stages.credit import data as stage
from stages.credit.train import read_settings

CREDIT = yaml.safe_load(PARAMS_FILE.read_text())["credit"]


def test_every_credit_section_of_params_yaml_has_a_model_and_parses():
    assert set(CREDIT) == set(SECTIONS)
    for name, model in SECTIONS.items():
        assert isinstance(load_section(f"credit.{name}", model), model)


@pytest.mark.parametrize(
    ("section", "change", "name", "problem"),
    [
        ("data", {"sead": 42}, "credit.data.sead", "unknown parameter"),
        ("data", {"test_size": 0.9}, "credit.data.test_size", "less than or equal to 0.5"),
        ("data", {"seed": "42"}, "credit.data.seed", "valid integer"),
        ("data", {"invalid_rows": "ignore"}, "credit.data.invalid_rows", "'refuse' or 'drop'"),
        ("data", {"kind": "made-up"}, "credit.data.kind", "Input should be"),
        ("features", {"excluded": ["GENDER"]}, "credit.features.excluded", "not application fields"),
        ("cost", {"fn": -1}, "credit.cost.fn", "greater than or equal to 0"),
        ("cost", {"fn": 0, "fp": 0}, "credit.cost", "fn and fp cannot both be 0"),
        ("train", {"cv_folds": 1}, "credit.train.cv_folds", "greater than or equal to 2"),
        ("train", {"models": ["logistic"]}, "credit.train.models", "dummy baseline is required"),
        ("train", {"models": ["dummy", "svm"]}, "credit.train.models.1", "Input should be"),
        ("evaluation", {"bootstrap": 10}, "credit.evaluation.bootstrap", "greater than or equal to 100"),
        ("explain", {"clients": ["100002"]}, "credit.explain.clients.0", "valid integer"),
        ("drift", {"top_drift": 8}, "credit.drift.top_drift", "unknown parameter"),
        (
            "monitor",
            {"limits": {**CREDIT["monitor"]["limits"], "max_psi": 1}},
            "credit.monitor.limits.max_psi",
            "unknown parameter",
        ),
    ],
)
def test_a_bad_value_or_an_unknown_key_is_refused_by_name(section, change, name, problem):
    with pytest.raises(ParamError) as caught:
        parse_section(SECTIONS[section], CREDIT[section] | change, f"credit.{section}")
    assert caught.value.name == name and problem in caught.value.problem


def test_the_stage_refuses_a_typo_in_its_section(tmp_path, monkeypatch):
    """`credit.data.sead` in params.yaml: credit_data stops before reading any file, naming the key."""
    params = yaml.safe_load(PARAMS_FILE.read_text())
    params["credit"]["data"]["sead"] = 7
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    monkeypatch.setattr(stage, "load_section", lambda name, model: load_section(name, model, path))
    monkeypatch.setattr(stage, "read_application", lambda *a, **k: pytest.fail("read a file despite the typo"))
    with pytest.raises(ParamError, match=r"credit\.data\.sead: unknown parameter"):
        stage.main()


def test_the_cost_weights_have_one_bound_wherever_they_are_read():
    """credit_train (read_settings) and credit_evaluate (cost_weights) refuse the same weights the same way."""
    bad = copy.deepcopy(CREDIT)
    bad["cost"]["threshold_steps"] = 5
    with pytest.raises(ParamError, match=r"credit\.cost\.threshold_steps") as by_train:
        read_settings(Params(bad, "credit"))
    with pytest.raises(ParamError, match=r"credit\.cost\.threshold_steps") as by_evaluate:
        cost_weights(Params(bad, "credit"))
    assert str(by_train.value) == str(by_evaluate.value)
    weights, steps = cost_weights(Params(CREDIT, "credit"))
    cost = parse_section(CostParams, CREDIT["cost"], "credit.cost")
    assert (weights.fn, weights.fp, steps) == (cost.fn, cost.fp, cost.threshold_steps)
    assert isinstance(weights.fn, int)  # 10 stays 10: the metrics echo the weights


def test_the_data_defaults_refuse_invalid_rows():
    assert (
        parse_section(DataParams, {k: v for k, v in CREDIT["data"].items() if k != "invalid_rows"}, "d").invalid_rows
        == "refuse"
    )
