"""Stage: monitoring chart of stored predictions against observed values, read back from the database."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.common.errors import DataError
from pipelines.common.io import read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.stage import run_stage
from pipelines.reporting.plotting import plt, save_figure
from pipelines.weather import database
from pipelines.weather.forecasting import errors_between
from pipelines.weather.paths import BATCH_SUMMARY, MONITORING_FIGURE, MONITORING_METRICS

log = get_logger("weather.monitor")


def prediction_frame(rows: list[dict]) -> pd.DataFrame:
    """Database rows (predictions joined with observations) as a frame indexed by target time (UTC, naive)."""
    if not rows:
        raise DataError("no predictions stored for the monitored period")
    frame = pd.DataFrame(rows)
    for column in ("target_time", "issue_time"):
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None)
    return frame.sort_values("target_time").set_index("target_time")


def monitoring_summary(frame: pd.DataFrame) -> dict:
    observed = frame.dropna(subset=["observed_temperature"])
    errors = observed["predicted_temperature"] - observed["observed_temperature"]
    daily = errors.abs().groupby(observed.index.normalize()).mean()
    overall = errors_between(observed["predicted_temperature"], observed["observed_temperature"])
    return {
        "predictions": len(frame),
        "with_observation": len(observed),
        "mae": overall["mae"],
        "rmse": overall["rmse"],
        "worst_day": str(daily.idxmax().date()) if len(daily) else None,
        "worst_day_mae": round(float(daily.max()), 4) if len(daily) else None,
    } | interval_coverage(observed)


def interval_coverage(observed: pd.DataFrame) -> dict:
    """Share of the observations inside the stored 80 % and 95 % intervals (None when none are stored)."""
    result = {}
    for level in ("80", "95"):
        lower, upper = observed.get(f"lower_{level}"), observed.get(f"upper_{level}")
        if lower is None or upper is None or lower.isna().all() or not len(observed):
            result[f"coverage_{level}"] = None
            continue
        inside = (observed["observed_temperature"] >= lower) & (observed["observed_temperature"] <= upper)
        result[f"coverage_{level}"] = round(float(inside.mean()), 4)
    return result


def plot_monitoring(frame: pd.DataFrame, summary: dict, title_suffix: str) -> None:
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    top.plot(frame.index, frame["observed_temperature"], color="black", lw=1.5, label="observed (3-hour mean)")
    for level, alpha in (("95", 0.15), ("80", 0.3)):
        lower, upper = frame.get(f"lower_{level}"), frame.get(f"upper_{level}")
        if lower is not None and upper is not None and lower.notna().any():
            top.fill_between(
                frame.index,
                lower.astype(float),
                upper.astype(float),
                color="tab:orange",
                alpha=alpha,
                lw=0,
                label=f"{level} % interval",
            )
    top.plot(frame.index, frame["predicted_temperature"], marker=".", color="tab:orange", label="predicted day-ahead")
    top.set(title=f"Monitoring: stored predictions vs observations — {title_suffix}", ylabel="temperature (°C)")
    top.legend(loc="upper left")
    error = frame["predicted_temperature"] - frame["observed_temperature"]
    bottom.bar(frame.index, error, width=0.1, color=np.where(error >= 0, "tab:red", "tab:blue"))
    bottom.axhline(0, color="black", lw=0.8)
    bottom.set(
        ylabel="error (°C)",
        xlabel="target time (UTC)",
        title=f"predicted − observed: MAE {summary['mae']} °C, RMSE {summary['rmse']} °C",
    )
    fig.autofmt_xdate()
    save_figure(fig, MONITORING_FIGURE, "Read back from the predictions and weather_observations tables.")


def main() -> None:
    params = load_params("weather").section("batch")
    batch = read_json(BATCH_SUMMARY)
    engine = database.make_engine(database.database_url(params.get("database_url", type_=str)))
    try:
        rows = database.predictions_with_observations(
            engine, pd.Timestamp(batch["period"]["start"]).date(), pd.Timestamp(batch["period"]["end"]).date()
        )
    finally:
        engine.dispose()
    frame = prediction_frame([row for row in rows if row["model_version"] == batch["version"]])
    summary = monitoring_summary(frame) | {
        "model": batch["model"],
        "version": batch["version"],
        "period": batch["period"],
        "data": batch["data"],
    }
    plot_monitoring(frame, summary, f"{batch['model']} {batch['version']} ({batch['data']} data)")
    write_json(MONITORING_METRICS, summary)
    log.info(
        "monitoring: %d predictions, MAE %s °C, RMSE %s °C", summary["predictions"], summary["mae"], summary["rmse"]
    )


if __name__ == "__main__":
    run_stage(main, "weather.monitor")
