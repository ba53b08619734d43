"""Stage: score every model in the same day-ahead protocol, analyse residuals, choose the best.

Writes the metrics contract (`reports/weather/metrics.json`: data, test, best_model), the
per-step table and forecast sample that `dvc plots` draws, and an HTML report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from pipelines.common.errors import DataError
from pipelines.common.io import read_json, write_csv, write_json
from pipelines.common.logs import get_logger
from pipelines.common.stage import run_stage
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report
from pipelines.weather.data import read_forecasts
from pipelines.weather.forecasting import STEP_HOURS, error_metrics
from pipelines.weather.paths import (
    BASELINE_FORECASTS,
    BASELINE_SUMMARY,
    CLEAN_SUMMARY,
    EVALUATION_FIGURES,
    EVALUATION_REPORT,
    FORECAST_SAMPLE,
    METRICS,
    ML_FORECASTS,
    ML_SUMMARY,
    RMSE_BY_STEP,
    STATS_FORECASTS,
    STATS_SUMMARY,
)

log = get_logger("weather.evaluate")
SEASONS = {
    12: "DJF",
    1: "DJF",
    2: "DJF",
    3: "MAM",
    4: "MAM",
    5: "MAM",
    6: "JJA",
    7: "JJA",
    8: "JJA",
    9: "SON",
    10: "SON",
    11: "SON",
}
FAMILY_COLOURS = {"baseline": "0.55", "statistical": "tab:blue", "ml": "tab:orange"}


def score(forecasts: pd.DataFrame) -> pd.DataFrame:
    """MAE, RMSE and bias per model, sorted by RMSE."""
    rows = {model: error_metrics(group) for model, group in forecasts.groupby("model")}
    return pd.DataFrame(rows).T.sort_values("rmse")


def rmse_by(forecasts: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    """RMSE per model (rows) and per value of `key` (columns)."""
    squared = (forecasts["predicted"] - forecasts["observed"]) ** 2
    return np.sqrt(squared.groupby([forecasts["model"], key]).mean()).unstack()


def choose_best(scores: pd.DataFrame, catalogue: dict[str, dict]) -> str:
    """The deployable model with the lowest RMSE; upper bounds (observed exogenous) never win."""
    deployable = [model for model in scores.index if catalogue[model]["deployable"]]
    if not deployable:
        raise DataError("no deployable model was evaluated")
    return min(deployable, key=lambda model: scores.loc[model, "rmse"])


def _label(model: str, catalogue: dict[str, dict]) -> str:
    return model if catalogue[model]["deployable"] else f"{model} (upper bound)"


def plot_comparison(scores: pd.DataFrame, catalogue: dict[str, dict], source: str) -> Figure:
    ordered = scores.sort_values("rmse", ascending=False)
    fig, ax = plt.subplots(figsize=(10, 0.38 * len(ordered) + 1.5))
    colours = [FAMILY_COLOURS[catalogue[m]["family"]] for m in ordered.index]
    hatches = ["" if catalogue[m]["deployable"] else "//" for m in ordered.index]
    bars = ax.barh([_label(m, catalogue) for m in ordered.index], ordered["rmse"], color=colours)
    for bar, hatch in zip(bars, hatches, strict=True):
        bar.set_hatch(hatch)
    ax.bar_label(bars, fmt="%.2f", padding=3, fontsize=8)
    persistence = ax.axvline(scores.loc["persistence_24h", "rmse"], color="black", ls="--", lw=1)
    handles = [Patch(color=colour, label=family) for family, colour in FAMILY_COLOURS.items()]
    handles += [
        Patch(facecolor="white", edgecolor="black", hatch="//", label="upper bound (observed exogenous)"),
        persistence,
    ]
    ax.legend(
        handles=handles,
        labels=[h.get_label() for h in handles[:-1]] + ["persistence_24h RMSE"],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=True,
    )
    ax.set(title="Day-ahead RMSE on the test year, every model", xlabel="RMSE (°C)", ylabel="model")
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / "model_comparison.png", source),
        "RMSE of every model over the test year (lower is better). Hatched bars use observed "
        "exogenous values of the forecast day: an upper bound, not deployable.",
    )


def plot_by_step(by_step: pd.DataFrame, models: list[str], source: str) -> Figure:
    fig, ax = plt.subplots()
    hours = [step * STEP_HOURS for step in by_step.columns]
    for model in models:
        ax.plot(hours, by_step.loc[model], marker="o", label=model)
    ax.set_xticks(hours, [f"{hour:02d}h" for hour in hours])
    ax.set(
        title="Day-ahead RMSE by target step (issued at 21h UTC the day before)",
        xlabel="target time of day (UTC)",
        ylabel="RMSE (°C)",
    )
    ax.legend()
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / "rmse_by_step.png", source),
        "Error grows with lead time: 00h is 3 hours after the last observation, 21h is 24 hours after.",
    )


def plot_by_season(by_season: pd.DataFrame, models: list[str], source: str) -> Figure:
    table = by_season.loc[models, [season for season in ("DJF", "MAM", "JJA", "SON") if season in by_season]]
    fig, ax = plt.subplots()
    table.T.plot.bar(ax=ax, rot=0)
    ax.set(title="Day-ahead RMSE by season", xlabel="season (DJF = winter … SON = autumn)", ylabel="RMSE (°C)")
    ax.legend(title="model")
    return Figure(save_figure(fig, EVALUATION_FIGURES / "rmse_by_season.png", source), "RMSE by meteorological season.")


def plot_error_distribution(forecasts: pd.DataFrame, models: list[str], source: str) -> Figure:
    fig, ax = plt.subplots()
    bins = np.linspace(-8, 8, 81)
    for model in models:
        errors = (
            forecasts.loc[forecasts["model"] == model, "predicted"]
            - forecasts.loc[forecasts["model"] == model, "observed"]
        )
        ax.hist(errors, bins=bins, histtype="step", lw=1.5, density=True, label=f"{model} (sd {errors.std():.2f} °C)")
    ax.set(title="Distribution of day-ahead errors (predicted − observed)", xlabel="error (°C)", ylabel="density")
    ax.legend()
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / "error_distribution.png", source),
        "Residual distributions: a narrow, centred peak is a good model; heavy tails are the "
        "fronts and sudden changes no day-ahead model saw coming.",
    )


def plot_sample(sample: pd.DataFrame, best: str, source: str) -> Figure:
    fig, ax = plt.subplots()
    ax.plot(sample.index, sample["observed"], color="black", lw=1.5, label="observed")
    ax.plot(sample.index, sample[best], marker=".", label=f"{best} (best)")
    ax.plot(sample.index, sample["persistence_24h"], ls="--", alpha=0.7, label="persistence_24h")
    ax.set(
        title="Day-ahead forecasts against observations, last 14 test days",
        xlabel="time (UTC)",
        ylabel="temperature at 2 m (°C)",
    )
    ax.legend()
    fig.autofmt_xdate()
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / "forecast_vs_observed.png", source),
        "Each day's 8 values were forecast at 21h UTC the evening before.",
    )


def main() -> None:
    catalogue: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    for summary_path in (BASELINE_SUMMARY, STATS_SUMMARY, ML_SUMMARY):
        summary = read_json(summary_path)
        catalogue |= summary["models"]
        skipped |= summary["skipped"]
    forecasts = pd.concat(
        [read_forecasts(p) for p in (BASELINE_FORECASTS, STATS_FORECASTS, ML_FORECASTS)], ignore_index=True
    )
    data = read_json(CLEAN_SUMMARY)
    source = data["source"]
    scores = score(forecasts)
    best = choose_best(scores, catalogue)
    persistence = scores.loc["persistence_24h", "rmse"]
    gain = 1 - scores.loc[best, "rmse"] / persistence
    by_step = rmse_by(forecasts, forecasts["step"])
    by_season = rmse_by(forecasts, forecasts["target_time"].dt.month.map(SEASONS))
    test_start, test_end = forecasts["target_time"].min(), forecasts["target_time"].max()
    log.info(
        "best deployable model: %s, RMSE %.3f °C (%.0f %% below persistence_24h)",
        best,
        scores.loc[best, "rmse"],
        100 * gain,
    )

    metrics = {
        "data": {
            "source": source.get("source"),
            "kind": source.get("kind"),
            "description": source.get("description"),
            "location": source.get("location", {}).get("name"),
            "rows": data["rows"],
            "start": data["start"],
            "end": data["end"],
            "filled_values": data["filled_values"],
        },
        "test": {model: {k: float(v) for k, v in row.items()} for model, row in scores.iterrows()},
        "best_model": best,
        "best_rmse_gain_vs_persistence": round(float(gain), 4),
        "test_period": {
            "start": test_start.isoformat(),
            "end": test_end.isoformat(),
            "days": int(forecasts["target_time"].dt.normalize().nunique()),
        },
        "models": {
            model: {"family": info["family"], "deployable": info["deployable"]} for model, info in catalogue.items()
        },
        "skipped": skipped,
    }
    write_json(METRICS, metrics)
    # One row per forecast step, one column per model (+ `best_model`, whatever it is): `dvc plots` draws
    # the columns it is given as lines, so the top-level plot stays valid when the best model changes.
    step_table = by_step.T.round(4)
    step_table.insert(0, "best_model", step_table[best])
    step_table.insert(0, "target_hour", step_table.index * STEP_HOURS)
    write_csv(RMSE_BY_STEP, step_table.rename_axis("step").reset_index(), index=False)

    wide = forecasts.pivot_table(index="target_time", columns="model", values="predicted")
    wide["observed"] = forecasts.drop_duplicates("target_time").set_index("target_time")["observed"]
    sample = wide[wide.index >= wide.index.max().normalize() - pd.Timedelta(days=13)]
    write_csv(
        FORECAST_SAMPLE,
        sample[["observed", best, "persistence_24h"]].rename(columns={best: "best_model"}).round(3),
        date_format="%Y-%m-%dT%H:%M",
    )

    source_line = f"Data: {source.get('description', source.get('source'))} ({source.get('kind')})"
    best_stats = min(
        (m for m in scores.index if catalogue[m]["family"] == "statistical" and catalogue[m]["deployable"]),
        key=lambda m: scores.loc[m, "rmse"],
        default=None,
    )
    highlighted = [m for m in ("persistence_24h", "climatology", best_stats, best) if m]
    figures = {
        "comparison": plot_comparison(scores, catalogue, source_line),
        "step": plot_by_step(by_step, highlighted, source_line),
        "season": plot_by_season(by_season, highlighted, source_line),
        "errors": plot_error_distribution(forecasts, [m for m in highlighted if m != "climatology"], source_line),
        "sample": plot_sample(sample, best, source_line),
    }
    write_report(metrics, scores, catalogue, by_step, by_season, figures, highlighted)


def write_report(
    metrics: dict,
    scores: pd.DataFrame,
    catalogue: dict,
    by_step: pd.DataFrame,
    by_season: pd.DataFrame,
    figures: dict[str, Figure],
    highlighted: list[str],
) -> None:
    best = metrics["best_model"]
    data = metrics["data"]
    best_rmse, persistence = scores.loc[best, "rmse"], scores.loc["persistence_24h", "rmse"]
    upper = [m for m in scores.index if not catalogue[m]["deployable"]]
    table = scores.assign(
        family=[catalogue[m]["family"] for m in scores.index],
        deployable=[catalogue[m]["deployable"] for m in scores.index],
    )
    worst_season = by_season.loc[best].idxmax()
    best_season = by_season.loc[best].idxmin()
    sections = [
        Section(
            "Protocol",
            [
                f"Test period: {metrics['test_period']['start'][:10]} to {metrics['test_period']['end'][:10]} "
                f"({metrics['test_period']['days']} days), never used for training or tuning. At 21h UTC on day D-1 "
                "every model forecasts the 8 three-hour values of day D from what was known then; statistical models "
                "absorb each observed day into their state (no refitting), ML models are fitted once on the training "
                "days.",
                "Baselines: persistence_24h repeats the same step of the previous day; climatology is the mean of the "
                "step over the training years within a window around the day of year.",
            ],
        ),
        Section(
            "Results",
            [
                f"The best deployable model is {best}: RMSE {best_rmse:.2f} °C against {persistence:.2f} °C for "
                f"persistence_24h, {100 * metrics['best_rmse_gain_vs_persistence']:.0f} % lower"
                f" (MAE {scores.loc[best, 'mae']:.2f} °C, bias {scores.loc[best, 'bias']:+.2f} °C).",
                (
                    f"Models marked as upper bounds ({', '.join(upper)}) read the observed exogenous variables of the "
                    "forecast day, which nobody knows at D-1: they show how much a good weather forecast of those "
                    "variables would help, and are never chosen as best."
                )
                if upper
                else "No upper-bound model was run.",
                *(f"Skipped: {name} — {reason}." for name, reason in metrics["skipped"].items()),
            ],
            tables=[("Day-ahead errors on the test period (°C), sorted by RMSE", table)],
            figures=[figures["comparison"], figures["sample"]],
        ),
        Section(
            "Residual analysis",
            [
                f"The error of {best} grows from {by_step.loc[best].iloc[0]:.2f} °C at 00h to "
                f"{by_step.loc[best].max():.2f} °C at its worst step: the first steps are close to the last "
                "observation, the later ones depend on how the weather evolves.",
                f"By season, {best} does best in {best_season} ({by_season.loc[best, best_season]:.2f} °C) and worst "
                f"in {worst_season} ({by_season.loc[best, worst_season]:.2f} °C).",
            ],
            tables=[
                (
                    "RMSE by target step (°C)",
                    by_step.loc[highlighted].rename(columns=lambda s: f"{s * STEP_HOURS:02d}h"),
                ),
                ("RMSE by season (°C)", by_season.loc[highlighted]),
            ],
            figures=[figures["step"], figures["season"], figures["errors"]],
        ),
    ]
    provenance = {
        "data source": data["description"] or data["source"],
        "kind": data["kind"],
        "location": data["location"],
        "period": f"{data['start']} → {data['end']} (UTC, hourly)",
        "rows": f"{data['rows']:,} hours, {data['filled_values']} values filled by interpolation",
        "licence": "CC BY 4.0 — Weather data by Open-Meteo.com",
    }
    render_report(
        EVALUATION_REPORT,
        f"Temperature forecasts, day ahead — evaluation ({data['location']}, {data['kind']})",
        provenance,
        sections,
    )


if __name__ == "__main__":
    run_stage(main, "weather.evaluate")
