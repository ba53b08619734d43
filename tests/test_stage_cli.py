"""Every stage command has a command line: `--help` describes the stage and the params it reads and does
nothing else; an unknown argument is refused."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from pipelines.common import stage
from tests.stage_imports import ROOT, stage_module, stages

STAGES = stages()


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_stage_command_ends_in_run_stage_with_its_own_name(name):
    module = stage_module(STAGES[name])
    tree = ast.parse((ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
    guard = tree.body[-1]
    assert isinstance(guard, ast.If) and "__main__" in ast.unparse(guard.test), f"{module}: no __main__ guard last"
    call = guard.body[0].value
    assert ast.unparse(call) == f"run_stage(main, {module.removeprefix('stages.')!r})"


def test_help_describes_the_stage_and_its_params_and_runs_nothing(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "__main__", type(sys)("fake", "Stage credit_train: the models, tuned by CV."))
    ran = []
    with pytest.raises(SystemExit) as exit_:
        stage.run_stage(lambda: ran.append(True), "credit.train", ["--help"])
    assert exit_.value.code == 0 and ran == []
    out = capsys.readouterr().out
    assert "python -m stages.credit.train" in out and "the models, tuned by CV." in out
    declared = STAGES["credit_train"]["params"]
    assert declared and all(str(key) in out for key in declared)


def test_an_unknown_argument_is_refused_before_the_stage_runs(capsys):
    ran = []
    with pytest.raises(SystemExit) as exit_:
        stage.run_stage(lambda: ran.append(True), "credit.train", ["--sead", "3"])
    assert exit_.value.code == 2 and ran == []
    assert "unrecognized arguments: --sead 3" in capsys.readouterr().err


def test_no_argument_runs_the_stage_and_a_pipeline_error_is_one_line(capsys):
    from pipelines.common.errors import ParamError

    def failing():
        raise ParamError("credit.train.folds", "must be >= 2, got 1")

    with pytest.raises(SystemExit) as exit_:
        stage.run_stage(failing, "credit.train", [])
    assert exit_.value.code == 2
    assert (
        capsys.readouterr().err.strip() == "error: credit.train: params.yaml: credit.train.folds: must be >= 2, got 1"
    )


@pytest.mark.parametrize("module", ["stages.weather.batch", "stages.credit.data"])
def test_help_as_a_real_command(module, tmp_path):
    """In a real process, from the module's own docstring; weather.batch adds its options to the same parser."""
    result = subprocess.run(
        [sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: python -m {module}")
    assert "Reads params.yaml:" in result.stdout
    if module == "stages.weather.batch":
        assert "--database-url" in result.stdout and "weather.batch" in result.stdout
