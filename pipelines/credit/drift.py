"""Data drift with Evidently (0.7) between a reference sample (the training split) and a current one
(unlabelled applications, or the inputs production traffic sent): one `ValueDrift` test per field the model
reads, engineered ones included, plus the model's predicted probability, with Evidently's default method
and verdict; used by the credit_drift and credit_monitor stages. `write_drift_page` writes Evidently's
interactive page with stable ids, so the same data give the same bytes on every run.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.metrics import ValueDrift
from evidently.presets import DataDriftPreset

from pipelines.common.errors import DataError
from pipelines.common.io import atomic_path
from pipelines.reporting.report import label_external_page

PREDICTION = "predicted_probability"
# The ids Evidently generates for each run: a time-based uuid7 for every metric, widget and test, and a random
# hex uuid4 naming the page's dashboard (`metric_<32 hex>`). Other UUIDs are left alone: the bundled scripts hold
# constants such as the nil UUID and RFC 4122's namespaces (versions 0 and 1).
_GENERATED_ID = re.compile(
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\b|(?<=metric_)[0-9a-f]{32}\b"
)


def model_inputs(pipeline, frame: pd.DataFrame) -> pd.DataFrame:
    """What the model reads before encoding: application fields (minus excluded) and engineered fields."""
    return pipeline[0].transform(frame)


def datasets(reference: pd.DataFrame, current: pd.DataFrame) -> tuple[Dataset, Dataset]:
    categorical = [name for name in reference.columns if not pd.api.types.is_numeric_dtype(reference[name])]
    numerical = [name for name in reference.columns if name not in categorical]
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    return (
        Dataset.from_pandas(reference, data_definition=definition),
        Dataset.from_pandas(current, data_definition=definition),
    )


def drift_by_column(reference: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Evidently's drift test of every column: method, score, threshold and its verdict."""
    reference_data, current_data = datasets(reference, current)
    report = Report([ValueDrift(column=name) for name in reference.columns], include_tests=True)
    return column_results(report.run(current_data, reference_data))  # Evidently 0.7: current first


def drift_report(reference: pd.DataFrame, current: pd.DataFrame, columns: list[str]):
    """The interactive DataDriftPreset report of `columns` (an Evidently snapshot; `save_html` writes it)."""
    reference_data, current_data = datasets(reference, current)
    return Report([DataDriftPreset(columns=columns)]).run(current_data, reference_data)


def stable_ids(html: str) -> str:
    """`html` with each distinct generated id replaced by a counter-based one of the same form, in order of first
    appearance.

    The same id stays the same everywhere in the page (its scripts join widgets and metrics by id), so the
    page works as before; ids no longer depend on the time or the luck of the run.
    """
    ids: dict[str, str] = {}

    def counter(match: re.Match) -> str:
        n = len(ids)
        return ids.setdefault(
            match.group(0), f"00000000-0000-7000-8000-{n:012x}" if "-" in match.group(0) else f"{n:032x}"
        )

    return _GENERATED_ID.sub(counter, html)


def write_drift_page(snapshot, path: str | Path, title: str, provenance: dict, note: str) -> None:
    """Evidently's interactive page of `snapshot` at `path`, atomically: stable ids, the project's banner."""
    with atomic_path(Path(path)) as tmp:
        snapshot.save_html(str(tmp))
        tmp.write_text(stable_ids(tmp.read_text(encoding="utf-8")), encoding="utf-8")
        label_external_page(tmp, title, provenance, note)


def column_results(snapshot) -> pd.DataFrame:
    """Per-column drift from an Evidently snapshot with tests on.

    `snapshot.dict()` lists one ValueDrift metric per column (config: column, method, threshold; value:
    the score) and one test per metric, whose status is FAIL when drift is detected; joined on the
    metric id, so the verdict is Evidently's own (p-value methods drift below their threshold,
    distances above it).
    """
    result = snapshot.dict()
    verdicts = {
        test["metric_config"]["metric_id"]: test["status"]
        for test in result["tests"]
        if test.get("metric_config", {}).get("params", {}).get("type") == "evidently:metric_v2:ValueDrift"
    }
    rows = []
    for metric in result["metrics"]:
        config = metric["config"]
        if config.get("type") != "evidently:metric_v2:ValueDrift":
            continue
        if metric["id"] not in verdicts:
            raise DataError(f"Evidently returned no drift test for column {config['column']}")
        rows.append(
            {
                "column": config["column"],
                "method": config["method"],
                "score": float(metric["value"]),
                "threshold": float(config["threshold"]),
                "drifted": str(getattr(verdicts[metric["id"]], "value", verdicts[metric["id"]])) == "FAIL",
            }
        )
    return pd.DataFrame(rows).set_index("column")


def describe_shift(name: str, reference: pd.Series, current: pd.Series) -> str:
    """A short human description of how a column moved between the two samples."""
    if not pd.api.types.is_numeric_dtype(reference) or reference.nunique() <= 10:
        ref_share = reference.fillna("(missing)").value_counts(normalize=True)
        cur_share = current.fillna("(missing)").value_counts(normalize=True)
        change = cur_share.reindex(ref_share.index.union(cur_share.index), fill_value=0) - ref_share.reindex(
            ref_share.index.union(cur_share.index), fill_value=0
        )
        level = change.abs().idxmax()
        shown = f"{level:g}" if isinstance(level, float) else str(level)
        return f"share of {shown}: {100 * ref_share.get(level, 0):.1f} % → {100 * cur_share.get(level, 0):.1f} %"
    if reference.median() != current.median():
        text = f"median {reference.median():,.4g} → {current.median():,.4g}"
    else:
        text = f"mean {reference.mean():,.4g} → {current.mean():,.4g}"
    missing_ref, missing_cur = reference.isna().mean(), current.isna().mean()
    if abs(missing_cur - missing_ref) >= 0.02:
        text += f", missing {100 * missing_ref:.0f} % → {100 * missing_cur:.0f} %"
    return text


def column_table(
    reference: pd.DataFrame, current: pd.DataFrame, importance: pd.Series, prediction: str = PREDICTION
) -> pd.DataFrame:
    """Every column's drift test, its share of the model's SHAP importance (and rank), and how it moved;
    the strongest drift first."""
    columns = drift_by_column(reference, current)
    columns["importance_share"] = importance.reindex(columns.index).fillna(0.0)
    columns.loc[prediction, "importance_share"] = np.nan
    columns["importance_rank"] = columns["importance_share"].rank(ascending=False, method="min")
    columns["shift"] = [describe_shift(name, reference[name], current[name]) for name in columns.index]
    return columns.sort_values("score", ascending=False)


def shown_columns(columns: pd.DataFrame, importance: pd.Series, top_important: int, top_drifts: int) -> list[str]:
    """The columns an Evidently page draws: the prediction, the most important fields, the strongest drifts
    (the page weighs a few hundred KB per column, so not all of them)."""
    fields = columns.drop(index=PREDICTION)
    drifted = fields[fields["drifted"]]
    shown = list(dict.fromkeys([PREDICTION, *importance.index[:top_important], *drifted.index[:top_drifts]]))
    return [name for name in shown if name in columns.index]
