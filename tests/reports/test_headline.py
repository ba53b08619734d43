"""The declared DVC metrics hold only numbers worth comparing, a few dozen per pipeline."""

from __future__ import annotations

import json

import pytest
import yaml

from pipelines.common.errors import DataError
from pipelines.common.paths import ROOT
from pipelines.reports.headline import count_numbers, headline_metrics

CONTRACT = {
    "data": {"source": "x", "kind": "synthetic", "sha256": "ab12"},
    "best_model": "ridge",
    "test": {"ridge": {"rmse": 1.5, "mae": 1.1, "model_id": "r-1"}, "persistence": {"rmse": 2.5, "mae": 2.0}},
    "validation": {"ridge": {"rmse": 1.4, "mae": 1.0}, "persistence": {"rmse": 2.4, "mae": 1.9}},
    "timings": {"fit_seconds": 12.0},
}


def test_headline_keeps_headline_metrics_and_drops_everything_else():
    numbers = headline_metrics("weather", CONTRACT, ["rmse", "mae"], "persistence")
    assert numbers == {
        "best": {"test": {"rmse": 1.5, "mae": 1.1}, "validation": {"rmse": 1.4, "mae": 1.0}},
        "baseline": {"test": {"rmse": 2.5, "mae": 2.0}},
        "test": {"ridge": {"rmse": 1.5}, "persistence": {"rmse": 2.5}},
        "validation": {"ridge": {"rmse": 1.4}, "persistence": {"rmse": 2.4}},
    }
    assert count_numbers(numbers) == 10


def test_headline_names_what_the_contract_lacks():
    with pytest.raises(DataError, match="no test entry for model `dummy`"):
        headline_metrics("weather", CONTRACT, ["rmse"], "dummy")
    with pytest.raises(DataError, match="`best_model` missing"):
        headline_metrics("weather", {"test": {}}, ["rmse"], "dummy")


def test_the_declared_metrics_files_hold_only_a_few_dozen_numbers_each():
    """What `dvc metrics show` makes columns of: numbers only (no ids, hashes, text), ≤ 40 per pipeline."""
    pipeline = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    declared = pipeline["metrics"] + [
        next(iter(entry)) if isinstance(entry, dict) else entry
        for stage in pipeline["stages"].values()
        for entry in stage.get("metrics", [])
    ]
    assert sorted(set(declared)) == sorted(
        f"reports/{p}/headline.json" for p in ("weather", "corn", "credit", "reviews", "cars", "freelance")
    )

    def leaves(tree):
        if isinstance(tree, dict):
            for value in tree.values():
                yield from leaves(value)
        else:
            yield tree

    for path in set(declared):
        data = json.loads((ROOT / path).read_text(encoding="utf-8"))
        values = list(leaves(data))
        assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in values), path
        assert 0 < count_numbers(data) <= 40, (path, count_numbers(data))


def test_per_model_numbers_can_be_kept_to_the_test_split():
    numbers = headline_metrics("weather", CONTRACT, ["rmse", "mae"], "persistence", per_model_splits=("test",))
    assert "validation" not in numbers and set(numbers["test"]) == set(CONTRACT["test"])
    assert numbers["best"]["validation"], "the best model keeps its validation numbers"
