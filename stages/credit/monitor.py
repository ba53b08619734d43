"""Stage `credit_monitor`: production monitoring of the scoring service from its stored events.

Reads the scoring events (params `credit.monitor.events`: recorded traffic as JSON lines, or an event store's
database URL) and writes the operational figures (requests per day, error rates, p50/p95 latency), the shift
of the score distribution and of the refusal rate against the training reference, an Evidently drift page of
the production inputs against the training split, and the alerts: every figure beyond its limit in
`credit.monitor.limits`. With `--fail-on-alert` the command exits with status 3 when an alert fires, after
writing everything (for a scheduler); the DVC stage over recorded traffic does not fail on alerts.

In production: `python -m stages.credit.monitor --events sqlite:///data/db/credit_events.sqlite
--out-dir reports/credit/production --fail-on-alert`; `GET /credit/monitoring` serves the latest summary.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from pipelines.common.errors import DataError
from pipelines.common.io import read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_section
from pipelines.common.stage import run_stage, stage_parser
from pipelines.credit import events, monitoring
from pipelines.credit.data import read_frame, read_summary
from pipelines.credit.drift import PREDICTION, column_table, drift_report, model_inputs, shown_columns, write_drift_page
from pipelines.credit.monitoring import Limits
from pipelines.credit.paths import IMPORTANCE, MODEL, MODEL_CARD, MONITORING_DIR, OOF_PREDICTIONS, TRAIN
from pipelines.credit.schema import ID
from pipelines.credit.settings import MonitorParams
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report
from pipelines.storage.sql import make_engine

log = get_logger("credit.monitor")
ALERT_EXIT_CODE = 3


def read_events(source: str) -> pd.DataFrame:
    """Recorded traffic (a .jsonl or .jsonl.gz file) or the events in a database (a URL with `://`)."""
    if "://" in source:
        engine = make_engine(events.events_url(source))
        try:
            return events.read_events(engine)
        finally:
            engine.dispose()
    return monitoring.read_recorded(source)


def main(argv: list[str]) -> None:
    parser = stage_parser("credit.monitor")
    parser.add_argument("--events", help="recorded traffic file or event-store URL (default: params)")
    parser.add_argument("--out-dir", type=Path, default=MONITORING_DIR, help="where the outputs go")
    parser.add_argument("--fail-on-alert", action="store_true", help=f"exit {ALERT_EXIT_CODE} when an alert fires")
    args = parser.parse_args(argv)
    params = load_section("credit.monitor", MonitorParams)
    source = args.events or params.events

    frame = read_events(source)
    pipeline, card = joblib.load(MODEL), read_json(MODEL_CARD)
    threshold = float(card["decision"]["threshold"])
    train, data = read_frame(TRAIN), read_summary()
    oof = pd.read_csv(OOF_PREDICTIONS).set_index(ID)[card["model"]].reindex(train[ID]).to_numpy()
    if np.isnan(oof).any():
        raise DataError("out-of-fold predictions do not cover every training row")

    reference = model_inputs(pipeline, train)
    reference[PREDICTION] = oof
    production_raw = monitoring.production_inputs(frame)
    production = model_inputs(pipeline, production_raw)
    production[PREDICTION] = frame.loc[frame["http_status"] == monitoring.SCORED, "probability"].to_numpy(float)
    importance = pd.read_csv(IMPORTANCE, index_col="feature")["share"]
    columns = column_table(reference, production, importance)
    fields = columns.drop(index=PREDICTION)

    summary: dict[str, Any] = {
        "source": Path(source).name if "://" not in source else "event store",
        # The traffic replays this data set's unlabelled applications; the reference is its training split.
        "data": {"kind": data["kind"], "description": data["description"]},
        "model": {"name": card["model"], "version": card["version"]},
        "operations": monitoring.operations(frame),
        "scores": monitoring.score_shift(oof, frame, threshold),
        "drift": {
            "columns_tested": int(len(fields)),
            "columns_drifted": int(fields["drifted"].sum()),
            "share_drifted": float(fields["drifted"].mean()),
            "drifted_columns": list(fields.index[fields["drifted"]]),
            "prediction_drift_score": float(columns.loc[PREDICTION, "score"]),
        },
        "limits": params.limits.model_dump(),
    }
    found = monitoring.alerts(summary, params.limits)
    summary["alerts"] = [alert.__dict__ for alert in found]
    summary["status"] = "alert" if found else "ok"

    out = args.out_dir
    write_json(out / "monitoring.json", summary)
    shown = shown_columns(columns, importance, params.report_columns, params.top_drifts)
    provenance = {
        "data source": data["description"],
        "kind": data["kind"],
        "events": summary["source"],
        "requests": f"{summary['operations']['requests']:,} ({summary['operations']['first_request']} → "
        f"{summary['operations']['last_request']})",
        "reference": f"training split, {len(train):,} rows, out-of-fold probabilities",
        "model": f"{card['model']} {card['version']}",
    }
    write_drift_page(
        drift_report(reference, production, shown),
        out / "monitoring_drift.html",
        "Credit scoring in production — Evidently drift of the inputs",
        provenance,
        f"This page shows {len(shown)} columns (the prediction, the fields the model relies on most, the strongest "
        f"drifts); {summary['drift']['columns_drifted']} of all {summary['drift']['columns_tested']} fields drift.",
    )
    write_report(out, summary, columns, reference[PREDICTION], production[PREDICTION], frame, provenance, params.limits)
    for alert in found:
        log.warning("ALERT %s: %s", alert.name, alert.message)
    log.info("%d requests, %d alert(s): status %s", summary["operations"]["requests"], len(found), summary["status"])
    if found and args.fail_on_alert:
        print(f"{len(found)} alert(s): " + "; ".join(alert.message for alert in found), file=sys.stderr)
        sys.exit(ALERT_EXIT_CODE)


def status_text(summary: dict[str, Any]) -> list[str]:
    """The report's conclusion, from the figures and the alerts."""
    ops, scores, drift = summary["operations"], summary["scores"], summary["drift"]
    text = [
        f"{ops['requests']:,} requests from {ops['first_request'][:10]} to {ops['last_request'][:10]}: "
        f"{ops['scored']:,} scored, {ops['client_errors']:,} refused as invalid (4xx), {ops['server_errors']:,} "
        f"server errors; latency p50 {ops['latency_p50_ms']:,.0f} ms, p95 {ops['latency_p95_ms']:,.0f} ms.",
        f"Scores: mean probability {scores['mean_probability_production']:.3f} against "
        f"{scores['mean_probability_reference']:.3f} in the reference (PSI {scores['score_psi']:.3f}); refusal rate "
        f"{100 * scores['refusal_rate_production']:.1f} % against {100 * scores['refusal_rate_reference']:.1f} % "
        f"({100 * scores['refusal_rate_change']:+.1f} points).",
        f"Inputs: {drift['columns_drifted']} of the {drift['columns_tested']} fields the model reads drift "
        f"({100 * drift['share_drifted']:.0f} %).",
    ]
    served_by = summary["scores"]["model_versions"]
    if served_by != [summary["model"]["version"]]:
        text.append(
            f"The events were scored by {', '.join(served_by) or 'no model'}, not by the registered "
            f"{summary['model']['version']}: the score shift compares another model's answers with this model's "
            "reference, so part of it is the change of model."
        )
    if summary["alerts"]:
        text.append(
            f"{len(summary['alerts'])} alert(s) fired: "
            + "; ".join(alert["message"] for alert in summary["alerts"])
            + ". Investigate before trusting the decisions."
        )
    else:
        text.append("No figure is beyond its limit: no alert.")
    return text


def write_report(
    out: Path,
    summary: dict[str, Any],
    columns: pd.DataFrame,
    reference: pd.Series,
    production: pd.Series,
    frame: pd.DataFrame,
    provenance: dict,
    limits: Limits,
) -> None:
    source = f"Data: scoring events ({summary['source']}) against the training split"
    figures = [
        plot_scores(reference, production, summary["scores"]["threshold"], out / "monitoring" / "scores.png", source),
        plot_operations(frame, out / "monitoring" / "operations.png", source),
    ]
    checks = pd.DataFrame(
        [(check.name, check.value, check.limit, check.fires) for check in monitoring.checks(summary, limits)],
        columns=["figure", "value", "limit", "alert"],
    )
    table = columns.head(15)[["method", "score", "threshold", "drifted", "importance_rank", "shift"]]
    sections = [
        Section("Status", status_text(summary), tables=[("Figures against their limits", checks.round(4))]),
        Section("Scores and operations", figures=figures),
        Section(
            "Input drift",
            ["Evidently's per-column test of every field (interactive page: monitoring_drift.html)."],
            tables=[("Most shifted fields", table)],
        ),
    ]
    render_report(out / "monitoring.html", "Credit scoring in production — monitoring", provenance, sections)


def plot_scores(reference: pd.Series, production: pd.Series, threshold: float, path: Path, source: str) -> Figure:
    fig, ax = plt.subplots()
    bins = np.linspace(0, 1, 51)
    ax.hist(reference, bins=bins, density=True, histtype="step", lw=1.5, label=f"reference (n={len(reference):,})")
    ax.hist(production, bins=bins, density=True, histtype="step", lw=1.5, label=f"production (n={len(production):,})")
    ax.axvline(threshold, color="black", ls="--", lw=1, label=f"threshold {threshold:.3f}")
    ax.set(title="Probability of default: production against reference", xlabel="probability", ylabel="density")
    ax.legend()
    return Figure(save_figure(fig, path, source, tight_layout=True), "Right of the dashed line: refused.")


def plot_operations(frame: pd.DataFrame, path: Path, source: str) -> Figure:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    per_day = frame["received_at"].dt.floor("D").value_counts().sort_index()
    left.bar(per_day.index.strftime("%m-%d"), per_day.to_numpy())
    left.set(title="Requests per day (UTC)", xlabel="day", ylabel="requests")
    latency = frame.loc[frame["http_status"] == monitoring.SCORED, "latency_ms"].astype(float)
    right.hist(latency, bins=50)
    right.set(title="Latency of scored requests", xlabel="ms", ylabel="requests")
    return Figure(
        save_figure(fig, path, source, tight_layout=True),
        "Latency as the client saw it (queueing for a scoring slot included).",
    )


if __name__ == "__main__":
    run_stage(main, "credit.monitor")
