"""Stage: score every model in the same day-ahead protocol, choose the best on validation, report the test year.

Writes the metrics contract (`reports/weather/metrics.json`: data, validation, test, best_model, reference,
intervals), the per-step table and forecast sample that `dvc plots` draws, and an HTML report. The best
model, the reference of the run and the interval widths are all chosen from validation forecasts; the test
forecasts are scored once, for the report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from pipelines.common.io import read_json, write_csv, write_json
from pipelines.common.logs import get_logger
from pipelines.common.selection import choose
from pipelines.common.stage import run_stage
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report
from pipelines.weather.data import read_forecasts
from pipelines.weather.forecasting import STEP_HOURS, error_metrics
from pipelines.weather.horizon import DAY_AHEAD_DEFINITION, DEFINITION
from pipelines.weather.intervals import LEVELS, conformal_half_widths, coverage_by_step
from pipelines.weather.paths import (
    BASELINE_FORECASTS,
    BASELINE_SUMMARY,
    CLEAN_SUMMARY,
    EVALUATION_FIGURES,
    EVALUATION_REPORT,
    FORECAST_SAMPLE,
    HORIZON_3H_FORECASTS,
    HORIZON_3H_SUMMARY,
    METRICS,
    ML_FORECASTS,
    ML_SUMMARY,
    RMSE_BY_STEP,
    STATS_3H_FORECASTS,
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
FAMILY_COLOURS = {"baseline": "0.55", "reference": "tab:green", "statistical": "tab:blue", "ml": "tab:orange"}


def score(forecasts: pd.DataFrame) -> pd.DataFrame:
    """MAE, RMSE and bias per model, sorted by RMSE."""
    rows = {model: error_metrics(group) for model, group in forecasts.groupby("model")}
    return pd.DataFrame(rows).T.sort_values("rmse")


def rmse_by(forecasts: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    """RMSE per model (rows) and per value of `key` (columns)."""
    squared = (forecasts["predicted"] - forecasts["observed"]) ** 2
    return np.sqrt(squared.groupby([forecasts["model"], key]).mean()).unstack()


DEPLOYED_FAMILIES = ("statistical", "ml")  # what the batch can retrain; baselines and the reference are yardsticks


def failed_validation(info: dict) -> list[str]:
    """The naive baselines a model did not beat on validation (statistical models carry the check)."""
    return info.get("validation_check", {}).get("not_better_than", [])


def choose_best(validation_scores: pd.DataFrame, catalogue: dict[str, dict]) -> str:
    """The deployable model with the lowest VALIDATION RMSE; upper bounds (observed exogenous) never win,
    nor a statistical model that did not beat the naive baselines on validation."""
    eligible = [
        model
        for model in validation_scores.index
        if catalogue[model]["deployable"]
        and catalogue[model]["family"] in DEPLOYED_FAMILIES
        and not failed_validation(catalogue[model])
    ]
    return choose(
        eligible,
        lambda model: validation_scores.loc[model, "rmse"],
        split="validation",
        higher_is_better=False,
        what="deployable model",
    )


def choose_reference(validation_scores: pd.DataFrame, catalogue: dict[str, dict]) -> str | None:
    """The run's reference: the reference baseline (ridge or XGBoost) with the lower validation RMSE."""
    references = [m for m in validation_scores.index if catalogue[m]["family"] == "reference"]
    if not references:
        return None
    return choose(references, lambda m: validation_scores.loc[m, "rmse"], split="validation", higher_is_better=False)


def ratio_sentence(best: str, ratio: float, reference: str, goal: float = 0.90) -> str:
    """How the best model compares with the reference on the test year (the issue-16 goal is ≤ 0.90)."""
    if ratio <= goal:
        verdict = f"at or below the {goal:.2f} goal: a clear edge over the reference"
    elif ratio < 1:
        verdict = f"below the reference but above the {goal:.2f} goal"
    else:
        verdict = "no better than the reference"
    return f"{best} scores {ratio:.3f} × the RMSE of {reference} on the test year: {verdict}."


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


def lead_time_sentence(rmse_by_step: pd.Series, model: str) -> str:
    """What the by-step chart shows for `model`: does its error grow from the first target step to the last?"""
    first, last = rmse_by_step.iloc[0], rmse_by_step.iloc[-1]
    first_hour, last_hour = (int(step) * STEP_HOURS for step in (rmse_by_step.index[0], rmse_by_step.index[-1]))
    if last > first:
        trend = "the error grows with lead time"
    elif last < first:
        trend = "the error does not grow with lead time (the first step is the hardest)"
    else:
        trend = "the error is the same at both ends of the day"
    return (
        f"{model}: RMSE {first:.2f} °C at {first_hour:02d}h (3 hours after the last observation) and {last:.2f} °C "
        f"at {last_hour:02d}h (24 hours after): {trend}."
    )


def tails_sentence(errors: pd.Series, model: str) -> str:
    """Whether `model`'s errors have heavier tails than a normal distribution (share beyond 3 standard deviations)."""
    centred = errors - errors.mean()
    share = float((centred.abs() > 3 * centred.std()).mean())
    normal = 0.0027  # P(|Z| > 3) for a normal distribution
    verdict = (
        "heavier tails than a normal distribution: days a day-ahead model could not see coming (fronts, sudden changes)"
        if share > normal
        else "no heavier tails than a normal distribution"
    )
    return (
        f"{share * 100:.2f} % of {model}'s errors lie beyond 3 standard deviations (0.27 % for a normal distribution): "
        f"{verdict}."
    )


def plot_by_step(by_step: pd.DataFrame, models: list[str], best: str, source: str) -> Figure:
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
        lead_time_sentence(by_step.loc[best], best),
    )


def plot_by_season(by_season: pd.DataFrame, models: list[str], source: str) -> Figure:
    table = by_season.loc[models, [season for season in ("DJF", "MAM", "JJA", "SON") if season in by_season]]
    fig, ax = plt.subplots()
    table.T.plot.bar(ax=ax, rot=0)
    ax.set(title="Day-ahead RMSE by season", xlabel="season (DJF = winter … SON = autumn)", ylabel="RMSE (°C)")
    ax.legend(title="model")
    return Figure(save_figure(fig, EVALUATION_FIGURES / "rmse_by_season.png", source), "RMSE by meteorological season.")


def plot_error_distribution(forecasts: pd.DataFrame, models: list[str], best: str, source: str) -> Figure:
    errors = {
        model: rows["predicted"] - rows["observed"]
        for model, rows in forecasts[forecasts["model"].isin(models)].groupby("model")
    }
    fig, ax = plt.subplots()
    bins = np.linspace(-8, 8, 81)
    for model in models:
        ax.hist(
            errors[model],
            bins=bins,
            histtype="step",
            lw=1.5,
            density=True,
            label=f"{model} (sd {errors[model].std():.2f} °C)",
        )
    ax.set(title="Distribution of day-ahead errors (predicted − observed)", xlabel="error (°C)", ylabel="density")
    ax.legend()
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / "error_distribution.png", source),
        "Residual distributions (narrower and centred is better). " + tails_sentence(errors[best], best),
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


def choose_best_3h(validation_scores: pd.DataFrame, catalogue: dict[str, dict]) -> str:
    """The 3-hour-ahead counterpart of `choose_best`: the deployable statistical or ML model with the lowest
    VALIDATION RMSE at that horizon, among those that beat persistence_3h on validation."""
    persistence = validation_scores.loc["persistence_3h", "rmse"]
    eligible = [
        model
        for model in validation_scores.index
        if catalogue[model]["deployable"]
        and catalogue[model]["family"] in DEPLOYED_FAMILIES
        and validation_scores.loc[model, "rmse"] < persistence
    ]
    return choose(
        eligible,
        lambda model: validation_scores.loc[model, "rmse"],
        split="validation",
        higher_is_better=False,
        what="deployable 3-hour-ahead model that beats persistence_3h",
    )


def side_by_side(
    scores: pd.DataFrame, scores_3h: pd.DataFrame, pairs: list[tuple[str, str | None, str | None]]
) -> pd.DataFrame:
    """One row per (label, day-ahead model, 3-hour-ahead model): each model's test MAE and RMSE at its horizon."""
    rows = {}
    for label, day_ahead, three_hours in pairs:
        rows[label] = {
            "day-ahead model": day_ahead or "—",
            "day-ahead RMSE": scores.loc[day_ahead, "rmse"] if day_ahead else np.nan,
            "day-ahead MAE": scores.loc[day_ahead, "mae"] if day_ahead else np.nan,
            "3-hour-ahead model": three_hours or "—",
            "3-hour-ahead RMSE": scores_3h.loc[three_hours, "rmse"] if three_hours else np.nan,
            "3-hour-ahead MAE": scores_3h.loc[three_hours, "mae"] if three_hours else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def horizon_sentence(best_3h: str, rmse_3h: float, persistence_3h: float, best: str, rmse_day_ahead: float) -> str:
    """The best model at each horizon, and how the 3-hour-ahead one compares with persistence_3h."""
    gain = 1 - rmse_3h / persistence_3h
    return (
        f"3 hours ahead, {best_3h} (chosen on validation) scores an RMSE of {rmse_3h:.2f} °C on the test year, "
        f"{gain_sentence(gain)} than persistence_3h ({persistence_3h:.2f} °C); day ahead, {best} scores "
        f"{rmse_day_ahead:.2f} °C, {rmse_day_ahead / rmse_3h:.1f} × the 3-hour-ahead error."
    )


def horizon_3h_metrics(
    forecasts_3h: pd.DataFrame, catalogue_3h: dict[str, dict], scores: pd.DataFrame, best: str, reference: str | None
) -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The `horizon_3h` section of metrics.json (same shape as the day-ahead one, chosen the same way on
    validation), the test scores, the per-step test RMSE and the side-by-side table of both horizons."""
    validation_scores = score(forecasts_3h[forecasts_3h["period"] == "validation"])
    test = forecasts_3h[forecasts_3h["period"] == "test"]
    scores_3h = score(test)
    by_step = rmse_by(test, test["step"])
    best_3h = choose_best_3h(validation_scores, catalogue_3h)
    reference_3h = choose_reference(validation_scores, catalogue_3h)

    def entries(table: pd.DataFrame) -> dict:
        rows = {model: {k: float(v) for k, v in row.items()} for model, row in table.iterrows()}
        if reference_3h:
            rows["reference"] = dict(rows[reference_3h])
        return rows

    statistical = [m for m in scores_3h.index if catalogue_3h[m]["family"] == "statistical" and m in scores.index]
    pairs = [
        ("best deployable (chosen on validation)", best, best_3h),
        ("reference (issue-16 recipe)", reference, reference_3h),
        ("persistence", "persistence_24h", "persistence_3h"),
        ("persistence with yesterday's change", None, "persistence_3h_diurnal"),
        ("climatology", "climatology", None),
        *((f"statistical: {_label(model, catalogue_3h)}", model, model) for model in statistical),
    ]
    table = side_by_side(scores, scores_3h, [pair for pair in pairs if pair[1] or pair[2]])
    section = {
        "definition": DEFINITION,
        "day_ahead_definition": DAY_AHEAD_DEFINITION,
        "validation": entries(validation_scores),
        "test": entries(scores_3h),
        "test_rmse_by_step": {model: [round(float(v), 4) for v in row] for model, row in by_step.iterrows()},
        "best_model": best_3h,
        "selected_on": "validation",
        "best_rmse_gain_vs_persistence_3h": round(
            float(1 - scores_3h.loc[best_3h, "rmse"] / scores_3h.loc["persistence_3h", "rmse"]), 4
        ),
        "reference_model": reference_3h,
        "best_ratio_to_reference": round(float(scores_3h.loc[best_3h, "rmse"] / scores_3h.loc[reference_3h, "rmse"]), 4)
        if reference_3h
        else None,
        "models": {m: {"family": i["family"], "deployable": i["deployable"]} for m, i in catalogue_3h.items()},
    }
    return section, scores_3h.assign(validation_rmse=validation_scores["rmse"].reindex(scores_3h.index)), by_step, table


def main() -> None:
    catalogue: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    for summary_path in (BASELINE_SUMMARY, STATS_SUMMARY, ML_SUMMARY):
        summary = read_json(summary_path)
        catalogue |= summary["models"]
        skipped |= summary["skipped"]
    everything = pd.concat(
        [read_forecasts(p) for p in (BASELINE_FORECASTS, STATS_FORECASTS, ML_FORECASTS)], ignore_index=True
    )
    # 3-hour-ahead: the statistical models' one-step forecasts (same fitted parameters) and the horizon stage's.
    catalogue_3h = read_json(HORIZON_3H_SUMMARY)["models"] | {
        model: info for model, info in read_json(STATS_SUMMARY)["models"].items() if info["family"] == "statistical"
    }
    forecasts_3h = pd.concat([read_forecasts(p) for p in (HORIZON_3H_FORECASTS, STATS_3H_FORECASTS)], ignore_index=True)
    validation = everything[everything["period"] == "validation"]
    forecasts = everything[everything["period"] == "test"]
    data = read_json(CLEAN_SUMMARY)
    source = data["source"]
    validation_scores = score(validation)
    scores = score(forecasts)
    # Every choice below reads validation forecasts only; the test year is scored for the report.
    best = choose_best(validation_scores, catalogue)
    reference = choose_reference(validation_scores, catalogue)
    half_widths = conformal_half_widths(validation[validation["model"] == best])
    coverage = coverage_by_step(forecasts[forecasts["model"] == best], half_widths)
    persistence = scores.loc["persistence_24h", "rmse"]
    gain = 1 - scores.loc[best, "rmse"] / persistence
    by_step = rmse_by(forecasts, forecasts["step"])
    by_season = rmse_by(forecasts, forecasts["target_time"].dt.month.map(SEASONS))
    log.info(
        "best deployable model on validation: %s; test RMSE %.3f °C (%.0f %% below persistence_24h)",
        best,
        scores.loc[best, "rmse"],
        100 * gain,
    )

    def entries(table: pd.DataFrame) -> dict:
        rows = {model: {k: float(v) for k, v in row.items()} for model, row in table.iterrows()}
        if reference:
            rows["reference"] = dict(rows[reference])
        return rows

    test_entries = entries(scores)
    for level in LEVELS:
        name = f"{round(100 * level)}"
        test_entries[best][f"coverage_{name}"] = coverage[name]["overall"]
    ratio = round(float(scores.loc[best, "rmse"] / scores.loc[reference, "rmse"]), 4) if reference else None
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
        "validation": entries(validation_scores),
        "test": test_entries,
        "best_model": best,
        "selected_on": "validation",
        "best_rmse_gain_vs_persistence": round(float(gain), 4),
        "reference_model": reference,
        "best_ratio_to_reference": ratio,
        "intervals": {
            "method": "split conformal: per-step quantile of the best model's absolute validation residuals",
            "half_width": half_widths,
            "coverage_test": coverage,
        },
        "validation_period": _period(validation),
        "test_period": _period(forecasts),
        "models": {
            model: {"family": info["family"], "deployable": info["deployable"]} for model, info in catalogue.items()
        },
        "statistical_checks": {
            model: info["validation_check"] for model, info in catalogue.items() if "validation_check" in info
        },
        "skipped": skipped,
    }
    metrics["horizon_3h"], scores_3h, by_step_3h, horizons = horizon_3h_metrics(
        forecasts_3h, catalogue_3h, scores, best, reference
    )
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
        key=lambda m: validation_scores.loc[m, "rmse"],
        default=None,
    )
    highlighted = [m for m in ("persistence_24h", "climatology", reference, best_stats, best) if m]
    figures = {
        "comparison": plot_comparison(scores, catalogue, source_line),
        "step": plot_by_step(by_step, highlighted, best, source_line),
        "season": plot_by_season(by_season, highlighted, source_line),
        "errors": plot_error_distribution(forecasts, [m for m in highlighted if m != "climatology"], best, source_line),
        "sample": plot_sample(sample, best, source_line),
    }
    horizon_tables = {"scores": scores_3h, "by_step": by_step_3h, "side_by_side": horizons}
    write_report(
        metrics, scores, validation_scores, catalogue, by_step, by_season, figures, highlighted, horizon_tables
    )


def gain_sentence(gain: float) -> str:
    return f"{100 * gain:.0f} % lower" if gain > 0 else f"{-100 * gain:.0f} % higher: no better than persistence"


def stats_check_sentences(catalogue: dict) -> list[str]:
    """One sentence per statistical model that did not beat a naive baseline on validation, with the numbers."""
    sentences = []
    for model, info in catalogue.items():
        check = info.get("validation_check")
        if not check or not check["not_better_than"]:
            continue
        worse = ", ".join(f"{name} {check['baselines_rmse'][name]:.2f} °C" for name in check["not_better_than"])
        sentences.append(
            f"{model} is not better than {worse} on validation (its RMSE {check['validation_rmse']:.2f} °C): "
            "its order and fit do not capture this series, so it is reported but never deployed."
        )
    return sentences


def horizons_section(metrics: dict, scores: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> Section:
    """Both horizons side by side, each labelled with its definition."""
    horizon = metrics["horizon_3h"]
    best, best_3h = metrics["best_model"], horizon["best_model"]
    scores_3h = tables["scores"]
    by_step = tables["by_step"].rename(columns=lambda s: f"{s * STEP_HOURS:02d}h")
    shown = [m for m in (best_3h, horizon["reference_model"], "persistence_3h", "persistence_3h_diurnal") if m]
    return Section(
        "Two horizons: day-ahead and 3-hour-ahead",
        [
            f"Day-ahead ({DAY_AHEAD_DEFINITION}) is what the project deploys and the API serves; every other "
            f"section of this report is about it. 3-hour-ahead ({DEFINITION}) is the horizon public projects on "
            "the same brief report, given here so they can be compared. Same training, validation and test "
            "periods; at both horizons the best model is chosen on validation. The statistical models keep the "
            "parameters fitted for day-ahead and give the Kalman filter's one-step predictions (no new fit); the "
            "ML models and the reference are one regressor of the next value on features of the observations up "
            "to the previous step (`LEAD1_FEATURE_SETS`). A SARIMAX keeps its day-ahead regressors: exogenous "
            "values of 24 h before, or the observed ones of the target step (an upper bound at both horizons).",
            horizon_sentence(
                best_3h,
                scores_3h.loc[best_3h, "rmse"],
                scores_3h.loc["persistence_3h", "rmse"],
                best,
                scores.loc[best, "rmse"],
            ),
        ],
        tables=[
            ("Test-year errors (°C) at each horizon, side by side", tables["side_by_side"]),
            ("3-hour-ahead errors on the test period (°C), sorted by RMSE", scores_3h),
            ("3-hour-ahead RMSE by target step (°C)", by_step.loc[shown]),
        ],
    )


def _period(forecasts: pd.DataFrame) -> dict:
    times = forecasts["target_time"]
    return {
        "start": times.min().isoformat(),
        "end": times.max().isoformat(),
        "days": int(times.dt.normalize().nunique()),
    }


def write_report(
    metrics: dict,
    scores: pd.DataFrame,
    validation_scores: pd.DataFrame,
    catalogue: dict,
    by_step: pd.DataFrame,
    by_season: pd.DataFrame,
    figures: dict[str, Figure],
    highlighted: list[str],
    horizon_tables: dict[str, pd.DataFrame],
) -> None:
    best = metrics["best_model"]
    data = metrics["data"]
    best_rmse, persistence = scores.loc[best, "rmse"], scores.loc["persistence_24h", "rmse"]
    upper = [m for m in scores.index if not catalogue[m]["deployable"]]
    table = scores.assign(
        validation_rmse=validation_scores["rmse"].reindex(scores.index),
        family=[catalogue[m]["family"] for m in scores.index],
        deployable=[catalogue[m]["deployable"] for m in scores.index],
    )
    validation_period = metrics["validation_period"]
    reference = metrics["reference_model"]
    intervals = metrics["intervals"]["coverage_test"]
    worst_season = by_season.loc[best].idxmax()
    best_season = by_season.loc[best].idxmin()
    sections = [
        Section(
            "Protocol",
            [
                f"Test period: {metrics['test_period']['start'][:10]} to {metrics['test_period']['end'][:10]} "
                f"({metrics['test_period']['days']} days), scored once for this report: no choice reads it. "
                f"Validation period: {validation_period['start'][:10]} to {validation_period['end'][:10]} "
                f"({validation_period['days']} days), on which models are compared, ML hyper-parameters tuned, "
                "statistical models checked against the naive baselines and interval widths calibrated. "
                "At 21h UTC on day D-1 every model forecasts the 8 three-hour values of day D from what was known "
                "then. Statistical models are fitted on a window that ends where validation starts and absorb each "
                "observed day into their state (no refitting); ML models are fitted on the training days to forecast "
                "validation, then refitted with the same settings on every day before the test year.",
                "Baselines: persistence_24h repeats the same step of the previous day; climatology is the mean of the "
                "step over the years before the period within a window around the day of year. Reference (issue 16): "
                "ridge and one XGBoost per step on the last 1, 2 and 7 days' eight temperatures, the previous day's "
                "eight values of each exogenous variable and the day of year, with fixed settings; the run's "
                "reference is the one of the two with the lower validation RMSE.",
            ],
        ),
        Section(
            "Results",
            [
                f"The best deployable model on validation is {best} (validation RMSE "
                f"{validation_scores.loc[best, 'rmse']:.2f} °C). On the test year: RMSE {best_rmse:.2f} °C against "
                f"{persistence:.2f} °C for persistence_24h, {gain_sentence(metrics['best_rmse_gain_vs_persistence'])}"
                f" (MAE {scores.loc[best, 'mae']:.2f} °C, bias {scores.loc[best, 'bias']:+.2f} °C).",
                *(
                    [ratio_sentence(best, metrics["best_ratio_to_reference"], reference)]
                    if reference
                    else ["No reference baseline was run."]
                ),
                f"Intervals of {best} (split conformal on its validation residuals, per step): the 80 % interval "
                f"holds {100 * intervals['80']['overall']:.1f} % of the test observations, the 95 % interval "
                f"{100 * intervals['95']['overall']:.1f} %.",
                *stats_check_sentences(catalogue),
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
        horizons_section(metrics, scores, horizon_tables),
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
