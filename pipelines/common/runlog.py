"""Run-time facts of a stage (durations, the time it ran): kept out of every DVC output.

A stage's outputs hold only what its inputs determine, so a rerun on the same inputs writes the same bytes
and the stages downstream are skipped. How long a run took and when it ran go to `logs/<stage>.json`
instead: git-ignored, declared in no `dvc.yaml` stage, and read by none.
"""

from __future__ import annotations

from typing import Any

from pipelines.common.io import write_json
from pipelines.common.paths import ROOT
from pipelines.common.provenance import utc_now

LOGS_DIR = ROOT / "logs"

# Keys whose value depends on when or how fast a run went, not on its inputs. tests/test_run_time_values.py
# checks that no DVC output holds one.
RUN_TIME_KEYS = frozenset(
    {
        "seconds",
        "fit_seconds",
        "vectorise_seconds",
        "seconds_per_epoch_per_1000_reviews",
        "created",
        "created_at",
        "finished",
        "prepared_at",
        "trained_at",
        "timestamp",
    }
)


def pop_run_time(record: dict[str, Any]) -> dict[str, Any]:
    """Remove the run-time keys from `record` and return them (for a run log)."""
    return {key: record.pop(key) for key in [key for key in record if key in RUN_TIME_KEYS]}


def write_run_log(stage: str, facts: dict[str, Any]) -> None:
    """logs/<stage>.json: `facts` plus the UTC time of the run; nothing reads it back."""
    write_json(LOGS_DIR / f"{stage}.json", {"stage": stage, "finished": utc_now(), **facts})
