"""Stage reports_headline: each pipeline's headline numbers, the files `dvc metrics` compares.

Reads every pipeline's metrics contract (`reports/<pipeline>/metrics.json`) and writes
`reports/<pipeline>/headline.json`: the chosen model's and the baseline's headline metrics, and the first
headline metric of every model, on the test and validation splits (pipelines/reports/headline.py).
"""

from __future__ import annotations

from pipelines.common.errors import ParamError
from pipelines.common.io import read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.paths import REPORTS_DIR
from pipelines.common.stage import run_stage
from pipelines.reports.headline import count_numbers, headline_metrics

log = get_logger("reports.headline")


def main() -> None:
    pipelines = load_params("reports").section("pipelines")
    for pipeline in pipelines.as_dict():
        settings = pipelines.section(pipeline)
        metrics = list(settings.get("metrics", type_=dict))
        contract = read_json(REPORTS_DIR / pipeline / "metrics.json")
        also = settings.string_list("also", [])
        splits = tuple(settings.string_list("per_model_splits", ["test", "validation"]))
        if unknown := set(splits) - {"test", "validation"}:
            raise ParamError(f"reports.pipelines.{pipeline}.per_model_splits", f"unknown split(s) {sorted(unknown)}")
        numbers = headline_metrics(pipeline, contract, metrics, settings.get("baseline", type_=str), also, splits)
        write_json(REPORTS_DIR / pipeline / "headline.json", numbers)
        log.info("%s: %d headline numbers", pipeline, count_numbers(numbers))


if __name__ == "__main__":
    run_stage(main, "reports.headline")
