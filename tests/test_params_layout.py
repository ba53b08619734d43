"""`dvc exp run -S key=value` rewrites params.yaml with DVC's own YAML dumper: the file is kept in the layout
that dumper writes, so an experiment's params.yaml differs from main by the values it sets, line for line."""

from __future__ import annotations

import difflib
import shutil

import yaml
from dvc.utils.serialize import modify_yaml

from pipelines.common.paths import PARAMS_FILE


def _changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_a_round_trip_through_dvcs_dumper_changes_nothing(tmp_path):
    copy = tmp_path / "params.yaml"
    shutil.copy(PARAMS_FILE, copy)
    with modify_yaml(copy):
        pass
    assert _changed_lines(PARAMS_FILE.read_text(encoding="utf-8"), copy.read_text(encoding="utf-8")) == []


def test_a_one_value_experiment_diffs_one_line(tmp_path):
    copy = tmp_path / "params.yaml"
    shutil.copy(PARAMS_FILE, copy)
    before = copy.read_text(encoding="utf-8")
    fn = yaml.safe_load(before)["credit"]["cost"]["fn"]
    with modify_yaml(copy) as params:  # what `dvc exp run -S credit.cost.fn=…` does
        params["credit"]["cost"]["fn"] = fn + 1
    changed = _changed_lines(before, copy.read_text(encoding="utf-8"))
    assert len(changed) == 2, changed  # one line out, one line in
    assert changed[0].lstrip("-").split("#")[0].strip() == f"fn: {fn}"
    assert changed[1].lstrip("+").split("#")[0].strip() == f"fn: {fn + 1}"
