"""The corn section of params.yaml as one typed model: bad values and unknown keys refused by name, one bound
wherever a value is read."""

from __future__ import annotations

import pytest

from pipelines.common.errors import ParamError
from pipelines.common.params import parse_section
from pipelines.corn.settings import CornParams, corn_params
from stages.corn import convert, evaluate, generate, prepare, train_cnn, train_transfer
from tests.typed_params import changed, errors_of_stages, params_file_with, section

CORN = section("corn")
STAGES = [generate, prepare, train_cnn, convert, train_transfer, evaluate]


def test_the_corn_section_of_params_yaml_parses_with_every_key_modelled():
    params = corn_params()
    assert set(CORN) == set(CornParams.model_fields)
    assert params.model_dump(exclude_unset=True) == CORN  # nothing dropped, no value changed


@pytest.mark.parametrize(
    ("dotted", "value", "problem"),
    [
        ("generate.per_class.train", -5, "greater than or equal to 1, got -5"),
        ("generate.corrupt_files", -1, "greater than or equal to 0"),
        ("train.seeds", 0, "greater than or equal to 1"),
        ("threads", 0, "greater than or equal to 1"),
        ("prepare.max_per_class.test", -3, "greater than or equal to 1"),
        ("train.augmentation.rotation", 0.7, "less than or equal to 0.5, got 0.7"),
        ("prepare.validation_fraction", 1.5, "less than or equal to 0.5"),
        ("transfer.finetune.fraction", 1.2, "less than or equal to 1"),
        ("transfer.frozen.learning_rate", -0.01, "greater than 0"),
        ("evaluate.lime.ratio", 2, "less than or equal to 1"),
        ("train.sead", 42, "unknown parameter (a typo?)"),
        ("sead", 42, "unknown parameter (a typo?)"),
        ("train.experiments.1.dropuot", 0.3, "unknown parameter (a typo?)"),
        ("train.epochs", "6", "valid integer, got '6'"),
        ("train.epochs", 6.5, "valid integer"),
        ("seed", True, "valid integer, got True"),
        ("train.augmentation.flip", "yes", "valid boolean"),
        ("train.three_classes", "Chao", "valid list"),
        ("train.experiments.1.optimizer", "lion", "Input should be 'adam'"),
        ("train.experiments.0.classes", 5, "Input should be 3 or 4"),
        ("transfer.classes.0", 2, "Input should be 3 or 4"),
        ("transfer.weights", "my_weights.h5", "Input should be 'imagenet'"),
        ("generate.style.zoom", [1.4, 0.8], "low <= high"),
        ("train.experiments.0.name", "cnn 3", "should match pattern"),
    ],
)
def test_a_bad_value_or_an_unknown_key_is_refused_naming_the_parameter(dotted, value, problem):
    with pytest.raises(ParamError) as caught:
        parse_section(CornParams, changed(CORN, dotted, value), "corn")
    assert caught.value.name == f"corn.{dotted}" and problem in caught.value.problem


def test_duplicate_experiment_names_are_refused():
    experiments = [CORN["train"]["experiments"][0]] * 2
    with pytest.raises(ParamError, match=r"corn\.train\.experiments: .*names must be unique"):
        parse_section(CornParams, changed(CORN, "train.experiments", experiments), "corn")


@pytest.mark.parametrize(
    ("dotted", "value"),
    [("train.augmentation.rotation", 0.7), ("train.sead", 42), ("threads", 0), ("evaluate.lime.ratio", -1)],
)
def test_every_corn_stage_refuses_a_bad_params_file_the_same_way(monkeypatch, tmp_path, dotted, value):
    """The rotation was bounded 0–0.5 in corn_train_cnn and unbounded in corn_train_transfer, `threads` >= 1 was
    checked in one place only, and a typo was ignored: now each stage refuses it, with the same message."""
    path = params_file_with(tmp_path, "corn", dotted, value)
    errors = errors_of_stages(monkeypatch, STAGES, "corn_params", lambda: corn_params(path))
    assert set(errors) == {stage.__name__ for stage in STAGES}
    assert len(set(errors.values())) == 1 and f"corn.{dotted}: " in next(iter(errors.values()))
