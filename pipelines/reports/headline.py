"""The numbers `dvc metrics show/diff` and `dvc exp show` compare: a few dozen per pipeline.

Each pipeline's metrics contract (`reports/<pipeline>/metrics.json`: data, test, validation, best_model…) is
a plain JSON the reports and the index read; it holds descriptions, hashes, ids and timings too. From it,
`headline_metrics` keeps only numbers worth comparing across experiments, named for easy `--keep` patterns:

- `best.test.<metric>` / `best.validation.<metric>`: every headline metric of the chosen model, and the fields
  listed in `also` (e.g. credit's decision threshold and refusal rate: no better or worse, but worth following);
- `baseline.test.<metric>`: the same for the pipeline's baseline;
- `test.<model>.<first metric>` / `validation.<model>.<first metric>`: the first headline metric of every model, on
  the splits of `per_model_splits` (both by default; a pipeline with many models keeps `test` alone).
Which metrics are headline ones is `params.yaml: reports.pipelines.<pipeline>.metrics` (and `.also`).
"""

from __future__ import annotations

import math
from numbers import Real

from pipelines.common.errors import DataError


def _number(value) -> float | None:
    if isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return None


def _pick(entry: dict, names: list[str]) -> dict[str, float]:
    return {name: value for name in names if (value := _number(entry.get(name))) is not None}


def headline_metrics(
    pipeline: str,
    contract: dict,
    metrics: list[str],
    baseline: str,
    also: list[str] | None = None,
    per_model_splits: tuple[str, ...] = ("test", "validation"),
) -> dict:
    """The headline of one pipeline's contract; DataError naming what the contract lacks."""
    if not metrics:
        raise DataError(f"reports.pipelines.{pipeline}.metrics: name at least one metric")
    for key in ("test", "best_model"):
        if key not in contract:
            raise DataError(f"reports/{pipeline}/metrics.json: `{key}` missing (the metrics contract)")
    best = contract["best_model"]
    splits = [split for split in ("test", "validation") if isinstance(contract.get(split), dict)]
    for model in (best, baseline):
        if model not in contract["test"]:
            raise DataError(f"reports/{pipeline}/metrics.json: no test entry for model `{model}`")
    headline: dict = {"best": {}, "baseline": {"test": _pick(contract["test"][baseline], metrics)}}
    for split in splits:
        if best in contract[split]:
            headline["best"][split] = _pick(contract[split][best], metrics + (also or []))
        if split in per_model_splits:
            per_model = {model: _pick(entry, metrics[:1]) for model, entry in contract[split].items()}
            headline[split] = {model: values for model, values in per_model.items() if values}
    return headline


def count_numbers(tree) -> int:
    """How many numbers a metrics file holds (what `dvc metrics show` makes a column of)."""
    if isinstance(tree, dict):
        return sum(count_numbers(value) for value in tree.values())
    if isinstance(tree, list):
        return sum(count_numbers(value) for value in tree)
    return int(_number(tree) is not None)
