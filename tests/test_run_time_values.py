"""A DVC output holds only what its inputs determine: no time of the run, no duration.

Otherwise the same commit writes different bytes on every `dvc repro`, `dvc status` never settles and every
downstream stage reruns for nothing. Run-time facts go to `logs/<stage>.json` (pipelines/common/runlog.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from pipelines.common.runlog import RUN_TIME_KEYS, pop_run_time

ROOT = Path(__file__).resolve().parents[1]


def _json_outputs() -> list[Path]:
    lock = yaml.safe_load((ROOT / "dvc.lock").read_text())
    files: set[Path] = set()
    for stage in lock["stages"].values():
        for out in stage.get("outs", []):
            path = ROOT / out["path"]
            if path.is_dir():
                files.update(path.rglob("*.json"))
            elif path.suffix == ".json" and path.exists():
                files.add(path)
    return sorted(files)


def run_time_keys(value, where: str = "") -> Iterator[str]:
    """Dotted paths of every run-time key anywhere in a JSON value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{where}.{key}" if where else str(key)
            if key in RUN_TIME_KEYS:
                yield path
            yield from run_time_keys(inner, path)
    elif isinstance(value, list):
        for number, inner in enumerate(value):
            yield from run_time_keys(inner, f"{where}[{number}]")


def test_the_finder_sees_nested_keys_and_pop_run_time_moves_them_out():
    record = {"auc": 0.75, "seconds": 3.2, "runs": [{"fit_seconds": 1.0, "accuracy": 0.9}]}
    assert list(run_time_keys(record)) == ["seconds", "runs[0].fit_seconds"]
    assert pop_run_time(record) == {"seconds": 3.2}
    assert pop_run_time(record["runs"][0]) == {"fit_seconds": 1.0}
    assert list(run_time_keys(record)) == []


OUTPUTS = _json_outputs()


@pytest.mark.skipif(not OUTPUTS, reason="no DVC output in this workspace (run dvc repro or dvc checkout)")
@pytest.mark.parametrize("path", OUTPUTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_dvc_output_holds_a_run_time_value(path):
    found = list(run_time_keys(json.loads(path.read_text())))
    assert not found, f"{path.relative_to(ROOT)} holds run-time values {found}: write them with write_run_log"
