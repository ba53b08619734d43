"""Stage `credit_drift`: Evidently (0.7) data drift, training split (reference) against the unlabelled
applications (current), with a written conclusion.

Every field the model reads, engineered ones included, plus the model's predicted probability, is
tested with Evidently's `ValueDrift` and its default method (for more than 1,000 rows: normed
Wasserstein distance for numbers, Jensen–Shannon distance for categories; drift when the distance is
at least 0.1), the same per-column test `DataDriftPreset` runs, without drawing its plots.
The interactive HTML is `DataDriftPreset` restricted to the prediction, the fields the model relies
on most (SHAP) and the strongest drifts: Evidently draws every column into the page (about 4 MB of
JavaScript plus a few hundred KB per column), so all 134 columns would be an 11 MB file committed at
every run; `drift_columns.csv` keeps the numbers of every column.
"""

from __future__ import annotations

from typing import Any

import joblib
import numpy as np
import pandas as pd

from pipelines.common.errors import DataError
from pipelines.common.io import read_json, write_csv, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_section
from pipelines.common.stage import run_stage
from pipelines.credit.data import read_frame, read_summary
from pipelines.credit.drift import (
    PREDICTION,
    column_table,
    drift_report,
    model_inputs,
    shown_columns,
    write_drift_page,
)
from pipelines.credit.paths import CURRENT, DRIFT_METRICS, IMPORTANCE, MODEL, MODEL_CARD, OOF_PREDICTIONS, TRAIN
from pipelines.credit.paths import DRIFT_COLUMNS as COLUMNS_CSV
from pipelines.credit.paths import DRIFT_FIGURES as FIGURES
from pipelines.credit.paths import DRIFT_HTML as EVIDENTLY_HTML
from pipelines.credit.paths import DRIFT_SUMMARY_HTML as SUMMARY_HTML
from pipelines.credit.schema import ID
from pipelines.credit.settings import DriftParams
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report

log = get_logger("credit.drift")


def main() -> None:
    settings = load_section("credit.drift", DriftParams)
    report_columns, top_drifts = settings.report_columns, settings.top_drifts
    pipeline = joblib.load(MODEL)
    card = read_json(MODEL_CARD)
    threshold = card["decision"]["threshold"]
    data = read_summary()

    train, current_raw = read_frame(TRAIN), read_frame(CURRENT)
    reference = model_inputs(pipeline, train)
    current = model_inputs(pipeline, current_raw)
    oof = pd.read_csv(OOF_PREDICTIONS).set_index(ID)[card["model"]]
    reference[PREDICTION] = oof.reindex(train[ID]).to_numpy()
    current[PREDICTION] = pipeline.predict_proba(current_raw)[:, 1]
    if reference[PREDICTION].isna().any():
        raise DataError("out-of-fold predictions do not cover every training row")

    importance = pd.read_csv(IMPORTANCE, index_col="feature")["share"]
    columns = column_table(reference, current, importance)
    write_csv(COLUMNS_CSV, columns.round(6))

    fields = columns.drop(index=PREDICTION)
    drifted = fields[fields["drifted"]]
    shown = shown_columns(columns, importance, report_columns, top_drifts)
    prediction = columns.loc[PREDICTION]
    refusal_reference = float((reference[PREDICTION] >= threshold).mean())
    refusal_current = float((current[PREDICTION] >= threshold).mean())
    metrics: dict[str, Any] = {
        "columns_tested": int(len(fields)),
        "columns_drifted": int(len(drifted)),
        "share_drifted": float(len(drifted) / len(fields)),
        "importance_share_drifted": float(drifted["importance_share"].sum()),
        "prediction_drift_score": float(prediction["score"]),
        "prediction_drifted": int(bool(prediction["drifted"])),
        "mean_probability_reference": float(reference[PREDICTION].mean()),
        "mean_probability_current": float(current[PREDICTION].mean()),
        "refusal_rate_reference": refusal_reference,
        "refusal_rate_current": refusal_current,
        "rows_reference": int(len(reference)),
        "rows_current": int(len(current)),
        "drifted_columns": list(drifted.index),
        "report_columns": shown,
        "report_columns_drifted": int(columns.loc[shown, "drifted"].sum()),
    }
    write_json(DRIFT_METRICS, metrics)
    log.info(
        "%d of %d fields drift (%.0f %% of the model's SHAP importance); prediction drift score %.3f",
        len(drifted),
        len(fields),
        100 * metrics["importance_share_drifted"],
        prediction["score"],
    )

    provenance = drift_provenance(metrics, card, data)
    page = page_note(metrics, report_columns, top_drifts)
    write_drift_page(
        drift_report(reference, current, shown),
        EVIDENTLY_HTML,
        "Credit default scoring — Evidently data-drift report",
        provenance,
        page,
    )

    source = f"Data: {data['description']} ({data['kind']}): training split vs unlabelled applications"
    figures = [
        plot_scores(columns, top_drifts, source),
        plot_prediction(reference[PREDICTION], current[PREDICTION], threshold, source),
    ]
    write_summary(metrics, columns, drifted, top_drifts, provenance, figures, page)


def page_note(metrics: dict, report_columns: int, top_drifts: int) -> str:
    """What the Evidently page's own headline ("Dataset Drift … k of n columns") counts, next to the share over
    every field: the page shows a chosen subset, partly chosen because it drifts, so its share is not the data
    set's."""
    shown, drifted = len(metrics["report_columns"]), metrics["report_columns_drifted"]
    return (
        f"This page shows {shown} columns: the model's predicted probability, the {report_columns} fields the model "
        f"relies on most (SHAP) and up to {top_drifts} of the strongest drifts. Because part of them were chosen for "
        f"drifting, its headline share ({drifted} of {shown} columns, {100 * drifted / shown:.0f} %) is not the data "
        f"set's: over all {metrics['columns_tested']} fields the model reads, {metrics['columns_drifted']} drift "
        f"({100 * metrics['share_drifted']:.0f} %), the figure of the written summary (drift_summary.html)."
    )


def plot_scores(columns: pd.DataFrame, top: int, source: str) -> Figure:
    shown = columns.head(max(top, 12)).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(shown) + 1.8))
    colours = ["tab:red" if flag else "tab:blue" for flag in shown["drifted"]]
    ax.barh(shown.index, shown["score"], color=colours)
    thresholds = shown["threshold"].unique()
    for value in thresholds:
        ax.axvline(value, color="black", ls="--", lw=0.8)
    ax.set(
        title="Evidently drift score of the most shifted columns (red: drift detected)",
        xlabel="drift score (normed Wasserstein distance for numbers, Jensen–Shannon for categories)",
        ylabel="column",
    )
    return Figure(
        save_figure(fig, FIGURES / "drift_scores.png", source, tight_layout=True),
        f"Dashed line: Evidently's threshold ({', '.join(f'{v:g}' for v in thresholds)}); a score at or above it "
        "is drift.",
    )


def plot_prediction(reference: pd.Series, current: pd.Series, threshold: float, source: str) -> Figure:
    fig, ax = plt.subplots()
    bins = np.linspace(0, 1, 51)
    ax.hist(
        reference,
        bins=bins,
        density=True,
        histtype="step",
        lw=1.5,
        label=f"training split, out-of-fold (n={len(reference):,})",
    )
    ax.hist(
        current, bins=bins, density=True, histtype="step", lw=1.5, label=f"unlabelled applications (n={len(current):,})"
    )
    ax.axvline(threshold, color="black", ls="--", lw=1, label=f"decision threshold {threshold:.3f}")
    ax.set(
        title="Predicted probability of default: reference against current",
        xlabel="predicted probability",
        ylabel="density",
    )
    ax.legend()
    return Figure(
        save_figure(fig, FIGURES / "prediction_drift.png", source, tight_layout=True),
        "Right of the dashed line: refused. The model's view of the two populations.",
    )


def _conclusion(metrics: dict, columns: pd.DataFrame, drifted: pd.DataFrame, top: int) -> list[str]:
    important = drifted[drifted["importance_rank"] <= 20]
    strongest = drifted.head(top)
    share = 100 * metrics["importance_share_drifted"]
    listed = "; ".join(f"{name} (score {row['score']:.3f}: {row['shift']})" for name, row in strongest.iterrows())
    text = [
        f"{metrics['columns_drifted']} of the {metrics['columns_tested']} fields the model reads drift "
        f"({100 * metrics['share_drifted']:.0f} %; Evidently calls a whole data set drifted from 50 %)"
        + (f". The strongest: {listed}." if listed else "."),
        (
            f"Among the 20 fields the model relies on most (SHAP), {len(important)} drift: "
            + ", ".join(f"{name} (rank {int(row['importance_rank'])})" for name, row in important.iterrows())
            + f". All drifting fields together carry {share:.0f} % of the model's SHAP importance."
            if len(important)
            else f"None of the 20 fields the model relies on most drifts; all drifting fields together carry "
            f"{share:.0f} % of the model's SHAP importance."
        ),
        f"The model's output moves from a mean probability of {metrics['mean_probability_reference']:.3f} to "
        f"{metrics['mean_probability_current']:.3f} and its refusal rate at the threshold from "
        f"{100 * metrics['refusal_rate_reference']:.1f} % (training split, out-of-fold) to "
        f"{100 * metrics['refusal_rate_current']:.1f} %; Evidently scores the prediction's drift "
        f"{metrics['prediction_drift_score']:.3f} ({'drift' if metrics['prediction_drifted'] else 'no drift'}).",
    ]
    change = 100 * (metrics["refusal_rate_current"] - metrics["refusal_rate_reference"])
    if metrics["prediction_drifted"]:
        text.append(
            "What it means: the model sees the new applications differently from the ones it learnt from (refusal "
            f"rate {change:+.1f} points). Its AUC and cost were measured on the old mix and cannot be checked without "
            "outcomes: collect outcomes for the new applications and re-measure, or retrain with them, before relying "
            "on its decisions."
        )
    else:
        used = f" ({', '.join(important.index)})" if len(important) else ""
        text.append(
            "What it means: the mix of applications moved, but the model's scores keep their distribution and the "
            f"refusal rate moves by {change:+.1f} points: the drifting fields weigh little in the score, or their "
            "shifts offset. The AUC and cost measured on the test split remain the best estimate for these "
            f"applications, with one caveat: the drifting fields the model does use{used} are where its errors would "
            "change first, and only outcomes can show it."
        )
    contract = columns["shift"].get("NAME_CONTRACT_TYPE")
    text.append(
        "The current rows are Kaggle's application_test sample: the competition's held-out applications, not a "
        "stream of new ones, so the shift shows how differently the two sets were drawn"
        + (f" (NAME_CONTRACT_TYPE: {contract})" if contract else "")
        + " rather than a measured change over time. For monitoring, the same stage run on each month's "
        "applications is the check to keep, with retraining when the prediction drifts or a top-10 field does."
    )
    return text


def drift_provenance(metrics: dict, card: dict, data: dict) -> dict:
    return {
        "data source": data["description"],
        "kind": data["kind"],
        "reference": f"training split, {metrics['rows_reference']:,} rows",
        "current": f"unlabelled applications, {metrics['rows_current']:,} rows",
        "model": f"{card['model']} {card['version']}",
        "interactive report": "drift.html (Evidently, a chosen subset of the columns)",
    }


def write_summary(
    metrics: dict,
    columns: pd.DataFrame,
    drifted: pd.DataFrame,
    top: int,
    provenance: dict,
    figures: list[Figure],
    page: str,
) -> None:
    table = columns.head(max(top, 15))[["method", "score", "threshold", "drifted", "importance_rank", "shift"]]
    measured = [
        f"Reference: the {metrics['rows_reference']:,} training applications (what the model learnt from) with the "
        f"registered model's out-of-fold probability. Current: the {metrics['rows_current']:,} unlabelled "
        "applications (Kaggle's application_test layout), scored by the registered model.",
        "Evidently 0.7 with its default method per column (ValueDrift metrics, numbers for every column in "
        "drift_columns.csv). Drawing every column would make an 11 MB page to commit at every run, so the "
        f"interactive report, drift.html (DataDriftPreset), draws a subset. {page}",
    ]
    sections = [
        Section(
            "Conclusion",
            _conclusion(metrics, columns, drifted, top),
            tables=[("Most shifted columns (all of them in drift_columns.csv)", table)],
            figures=figures,
        ),
        Section("How it was measured", measured),
    ]
    render_report(SUMMARY_HTML, "Credit default scoring — data drift", provenance, sections)


if __name__ == "__main__":
    run_stage(main, "credit.drift")
