"""Helpers for the tests of a pipeline's typed params (pipelines/<pipeline>/settings.py)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from pipelines.common.errors import ParamError
from pipelines.common.paths import PARAMS_FILE


def section(pipeline: str) -> dict:
    """The pipeline's section of the project's params.yaml, as plain data."""
    return yaml.safe_load(PARAMS_FILE.read_text())[pipeline]


def changed(tree: dict, dotted: str, value: Any) -> dict:
    """A copy of `tree` with the value at `dotted` (`train.experiments.1.optimizer`: digits index lists) set."""
    tree = copy.deepcopy(tree)
    *parents, last = [int(key) if key.isdigit() else key for key in dotted.split(".")]
    node = tree
    for key in parents:
        node = node[key]
    node[last] = value
    return tree


def params_file_with(tmp_path: Path, pipeline: str, dotted: str, value: Any) -> Path:
    """A copy of params.yaml whose `pipeline.dotted` is `value`."""
    params = yaml.safe_load(PARAMS_FILE.read_text())
    params[pipeline] = changed(params[pipeline], dotted, value)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True))
    return path


def errors_of_stages(monkeypatch, stages: list[ModuleType], reader: str, replacement: Callable) -> dict[str, str]:
    """Each stage's `main()` run with its params `reader` replaced (by one reading another params file):
    {stage: the ParamError's text}.

    Every stage reads its params first, so a bad file stops it before it reads or writes anything."""
    errors = {}
    for stage in stages:
        monkeypatch.setattr(stage, reader, replacement)
        with pytest.raises(ParamError) as caught:
            stage.main()
        errors[stage.__name__] = str(caught.value)
    return errors
