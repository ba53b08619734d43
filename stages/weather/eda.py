"""Stage: exploratory analysis of the 3-hour temperature series — trend, daily and yearly
seasonality, STL decomposition, residuals, autocorrelation, anomalies and exogenous links.

The heavy lifting is in small functions that take a series and return numbers (tested on
synthetic data); `run_eda` draws the figures, phrases the interpretation from those numbers
and writes `reports/weather/eda.html`, its PNGs and the `eda.json` metrics file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.graphics.tsaplots import plot_acf, plot_pacf
from statsmodels.tsa.seasonal import STL, DecomposeResult
from statsmodels.tsa.stattools import acf

from pipelines.common.errors import DataError, ParamError
from pipelines.common.io import read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import Params, load_params
from pipelines.common.stage import run_stage
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report
from pipelines.weather.data import read_series
from pipelines.weather.forecasting import STEP_HOURS, STEPS_PER_DAY, day_matrix
from pipelines.weather.paths import CLEAN_SUMMARY, EDA_FIGURES, EDA_REPORT, EDA_SUMMARY, SERIES_3H

log = get_logger("weather.eda")

LICENCE = "CC BY 4.0 — Weather data by Open-Meteo.com"
UNIT = "°C"

# Meteorological seasons (whole months); names flip in the southern hemisphere.
SEASON_MONTHS = {"DJF": (12, 1, 2), "MAM": (3, 4, 5), "JJA": (6, 7, 8), "SON": (9, 10, 11)}
NORTHERN_NAMES = {"DJF": "winter", "MAM": "spring", "JJA": "summer", "SON": "autumn"}
SOUTHERN_NAMES = {"DJF": "summer", "MAM": "autumn", "JJA": "winter", "SON": "spring"}
SEASON_COLOURS = {"DJF": "tab:blue", "MAM": "tab:green", "JJA": "tab:red", "SON": "tab:orange"}
MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS_PER_YEAR = 365.25
MIN_STL_PERIODS = 3


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class EdaSettings:
    """The `weather.eda` params section."""

    rolling_window_days: int
    trend_harmonics: int
    stl_period_days: int
    stl_seasonal: int
    stl_robust: bool
    stl_recent_days: int
    anomaly_z: float
    top_anomalies: int
    acf_lags: int

    @classmethod
    def from_params(cls, eda: Params) -> EdaSettings:
        seasonal = eda.integer("stl_seasonal", minimum=3)
        if seasonal % 2 == 0:
            raise ParamError(eda.name("stl_seasonal"), f"must be odd (an STL smoother length), got {seasonal}")
        return cls(
            rolling_window_days=eda.integer("rolling_window_days", minimum=1),
            trend_harmonics=eda.integer("trend_harmonics", minimum=0, maximum=6),
            stl_period_days=eda.integer("stl_period_days", minimum=2),
            stl_seasonal=seasonal,
            stl_robust=eda.get("stl_robust", type_=bool),
            stl_recent_days=eda.integer("stl_recent_days", minimum=3),
            anomaly_z=eda.number("anomaly_z", minimum=0.5),
            top_anomalies=eda.integer("top_anomalies", minimum=1),
            acf_lags=eda.integer("acf_lags", minimum=STEPS_PER_DAY),
        )


# --------------------------------------------------------------------------- analysis


def daily_means(series: pd.Series) -> tuple[pd.Series, int]:
    """Mean of the 8 steps of every whole day, on a complete daily index.

    Returns the series and the number of days that were incomplete and interpolated.
    """
    means = day_matrix(series).mean(axis=1).asfreq("D")
    missing = int(means.isna().sum())
    if missing:
        means = means.interpolate(method="time", limit_direction="both")
    means.name = series.name
    return means, missing


def years_since(index: pd.DatetimeIndex, origin: pd.Timestamp) -> np.ndarray:
    return np.asarray((index - origin) / pd.Timedelta(days=1), dtype=float) / DAYS_PER_YEAR


@dataclass
class Trend:
    slope_per_decade: float
    level_at_start: float
    line: pd.Series  # the trend line at each day (°C)
    residual_std: float  # spread of the daily means around trend + yearly harmonics (°C)


def linear_trend(daily: pd.Series, harmonics: int) -> Trend:
    """Least-squares linear trend of daily means, the yearly cycle regressed out alongside.

    Without the `harmonics` sin/cos pairs of the year, a period that does not cover whole
    years (e.g. ending in spring) would tilt the line towards the season it over-represents.
    """
    t = years_since(daily.index, daily.index[0])
    phase = 2 * np.pi * (daily.index.dayofyear.to_numpy() - 1) / DAYS_PER_YEAR
    columns = [np.ones_like(t), t]
    for k in range(1, harmonics + 1):
        columns += [np.sin(k * phase), np.cos(k * phase)]
    design = np.column_stack(columns)
    coef, *_ = np.linalg.lstsq(design, daily.to_numpy(), rcond=None)
    residual_std = float(np.std(daily.to_numpy() - design @ coef))
    # the harmonics average to zero over a year, so intercept + slope·t is the de-seasonalised level
    line = pd.Series(coef[0] + coef[1] * t, index=daily.index, name="trend")
    return Trend(float(coef[1] * 10), float(coef[0]), line, residual_std)


def season_of(index: pd.DatetimeIndex) -> np.ndarray:
    month_to_season = {month: key for key, months in SEASON_MONTHS.items() for month in months}
    return np.array([month_to_season[m] for m in index.month])


def daily_profile(series: pd.Series) -> pd.DataFrame:
    """Mean and standard deviation of each 3-hour step, by season (rows: season × step)."""
    frame = pd.DataFrame(
        {"value": series.to_numpy(), "season": season_of(series.index), "step": series.index.hour // STEP_HOURS},
        index=series.index,
    )
    profile = frame.groupby(["season", "step"])["value"].agg(["mean", "std", "count"])
    return profile.reindex(pd.MultiIndex.from_product([list(SEASON_MONTHS), range(STEPS_PER_DAY)])).dropna(
        subset=["mean"]
    )


def daily_amplitude(profile: pd.DataFrame) -> dict[str, float]:
    """Peak-to-peak (max − min) of the mean daily profile, per season present."""
    means = profile["mean"]
    present = means.index.get_level_values(0)
    return {season: float(means[season].max() - means[season].min()) for season in SEASON_MONTHS if season in present}


def yearly_profile(daily: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily means by month (mean, std) and by day of year (mean, std)."""
    by_month = daily.groupby(daily.index.month).agg(["mean", "std", "count"])
    by_day = daily.groupby(daily.index.dayofyear).agg(["mean", "std"])
    return by_month, by_day


def stl_decompose(daily: pd.Series, settings: EdaSettings) -> DecomposeResult:
    """STL of the daily means with a yearly period.

    At least three whole periods are required: with two, each day of the year's seasonal value
    rests on two observations and absorbs half of any anomaly, which then goes undetected.
    """
    if len(daily) < MIN_STL_PERIODS * settings.stl_period_days:
        raise DataError(
            f"{len(daily)} days of data: STL with weather.eda.stl_period_days={settings.stl_period_days} "
            f"needs at least {MIN_STL_PERIODS} periods (widen the download period or lower the period)"
        )
    return STL(daily, period=settings.stl_period_days, seasonal=settings.stl_seasonal, robust=settings.stl_robust).fit()


def stl_recent(series: pd.Series, settings: EdaSettings) -> DecomposeResult:
    """STL of the last `stl_recent_days` days of the 3-hour series with the daily period (8 steps)."""
    recent = series.iloc[-settings.stl_recent_days * STEPS_PER_DAY :]
    recent = recent.asfreq(f"{STEP_HOURS}h").interpolate(limit_direction="both")
    return STL(recent, period=STEPS_PER_DAY, robust=settings.stl_robust).fit()


def component_strength(component: pd.Series, resid: pd.Series) -> float:
    """Hyndman & Athanasopoulos: max(0, 1 − Var(R) / Var(component + R)); 1 = dominant, 0 = absent."""
    total = np.var(component + resid)
    return float(max(0.0, 1 - np.var(resid) / total)) if total > 0 else 0.0


CLIMATOLOGY_WINDOW_DAYS = 7


def day_climatology(daily: pd.Series, window_days: int = CLIMATOLOGY_WINDOW_DAYS) -> pd.Series:
    """The expected daily mean of each day: the mean over ALL years of the days within ± `window_days` of the
    same day of year (the seasonal cycle), plus the long-term linear trend fitted to what is left.

    A reference that is right for the day: unlike an STL trend, it is not pulled down by the cold spell (or up
    by the heat wave) that surrounds the anomaly being measured.
    """
    doy = np.minimum(daily.index.dayofyear.to_numpy(), 365)  # 31 December of a leap year joins the 365th day
    sums = np.bincount(doy - 1, weights=daily.to_numpy(), minlength=365)
    counts = np.bincount(doy - 1, minlength=365).astype(float)
    offsets = range(-window_days, window_days + 1)
    window_sum = sum(np.roll(sums, shift) for shift in offsets)
    window_count = sum(np.roll(counts, shift) for shift in offsets)
    seasonal = pd.Series(window_sum[doy - 1] / window_count[doy - 1], index=daily.index)
    years = (daily.index - daily.index[0]).days.to_numpy() / 365.25
    slope, intercept = np.polyfit(years, daily.to_numpy() - seasonal.to_numpy(), 1)
    return seasonal + intercept + slope * years


def find_anomalies(observed: pd.Series, expected: pd.Series, threshold: float) -> pd.DataFrame:
    """Days whose departure from `expected` (the day's climatology) lies more than `threshold` standard deviations
    from the mean departure.

    Columns: observed, expected, residual, z; sorted by |z|, largest first.
    """
    resid = observed - expected
    sigma = resid.std()
    z = (resid - resid.mean()) / sigma if sigma > 0 else resid * 0
    table = pd.DataFrame({"observed": observed, "expected": expected, "residual": resid, "z": z})
    flagged = table[table["z"].abs() > threshold]
    return flagged.reindex(flagged["z"].abs().sort_values(ascending=False).index)


def residual_summary(resid: pd.Series) -> dict[str, float]:
    sigma = float(resid.std())
    beyond = float((np.abs(resid - resid.mean()) > 3 * sigma).mean()) if sigma > 0 else 0.0
    return {
        "std": sigma,
        "skewness": float(stats.skew(resid)),
        "excess_kurtosis": float(stats.kurtosis(resid)),
        "share_beyond_3sd": beyond,
        "share_beyond_3sd_normal": float(2 * stats.norm.sf(3)),
    }


def autocorrelations(series: pd.Series, lags: int) -> dict[str, np.ndarray]:
    """ACF of the 3-hour series and of its step-to-step differences, lags 0..`lags`."""
    values = series.dropna()
    return {
        "level": acf(values, nlags=lags, fft=True),
        "difference": acf(values.diff().dropna(), nlags=lags, fft=True),
    }


def direction_components(frame: pd.DataFrame) -> pd.DataFrame:
    """Compass directions (columns named "*direction*") → east (sin) and north (cos) components."""
    out = {}
    for column in frame.columns:
        if "direction" in column:
            radians = np.deg2rad(frame[column])
            out[f"{column} (east, sin)"] = np.sin(radians)
            out[f"{column} (north, cos)"] = np.cos(radians)
        else:
            out[column] = frame[column]
    return pd.DataFrame(out, index=frame.index)


def exogenous_correlations(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """Pearson correlation of each exogenous variable with the target.

    Columns: `same_time`; `previous_day` (the variable one day = 8 steps earlier, what a
    day-ahead model can use); `anomalies` (both minus their month × step mean, i.e. with
    the shared yearly and daily cycles removed). Sorted by |same_time|.
    """
    exog = direction_components(frame.drop(columns=[target]))
    if exog.empty:
        return pd.DataFrame(columns=["same_time", "previous_day", "anomalies"])
    y = frame[target]
    keys = [frame.index.month, frame.index.hour]
    y_anomaly = y - y.groupby(keys).transform("mean")
    exog_anomaly = exog - exog.groupby(keys).transform("mean")
    table = pd.DataFrame(
        {
            "same_time": exog.corrwith(y),
            "previous_day": exog.shift(STEPS_PER_DAY).corrwith(y),
            "anomalies": exog_anomaly.corrwith(y_anomaly),
        }
    )
    return table.reindex(table["same_time"].abs().sort_values(ascending=False).index)


# --------------------------------------------------------------------------- the report


@dataclass
class Context:
    """What every figure and paragraph needs to know about the data."""

    target: str
    location: str
    kind: str
    latitude: float | None
    source_line: str
    figure_dir: Path

    def season_name(self, key: str) -> str:
        names = SOUTHERN_NAMES if self.latitude is not None and self.latitude < 0 else NORTHERN_NAMES
        return f"{names[key]} ({key})"


@dataclass
class Analysis:
    """Every result of the analysis, shared by the figures, the metrics file and the report text."""

    series: pd.Series
    daily: pd.Series
    trend: Trend
    amplitudes: dict[str, float]
    profile: pd.DataFrame
    by_month: pd.DataFrame
    by_day: pd.DataFrame
    stl: DecomposeResult
    recent: DecomposeResult
    anomalies: pd.DataFrame
    resid_stats: dict[str, float]
    acfs: dict[str, np.ndarray]
    correlations: pd.DataFrame


def _fmt_date(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _signed(value: float, digits: int = 2) -> str:
    return f"{value:+.{digits}f}"


def _save(fig: plt.Figure, name: str, ctx: Context) -> Path:
    """The figure saved under the report's figure folder with its source line."""
    return save_figure(fig, ctx.figure_dir / name, ctx.source_line, tight_layout=True)


def plot_series(series: pd.Series, trend: Trend, settings: EdaSettings, ctx: Context) -> Path:
    window = settings.rolling_window_days * STEPS_PER_DAY
    rolling = series.rolling(window, center=True, min_periods=window // 2).mean()
    fig, ax = plt.subplots(figsize=(12, 4.8))
    ax.plot(series.index, series, lw=0.3, color="0.6", alpha=0.7, label="3-hour temperature")
    ax.plot(rolling.index, rolling, lw=1.6, color="tab:blue", label=f"{settings.rolling_window_days}-day rolling mean")
    ax.plot(
        trend.line.index,
        trend.line,
        lw=2,
        ls="--",
        color="tab:red",
        label=f"linear trend ({_signed(trend.slope_per_decade)} {UNIT}/decade)",
    )
    ax.set(
        title=f"{ctx.location}: 3-hour temperature, {_fmt_date(series.index[0])} → {_fmt_date(series.index[-1])}",
        xlabel="Time (UTC)",
        ylabel=f"Temperature ({UNIT})",
    )
    ax.legend(loc="upper left", ncols=3)
    return _save(fig, "series.png", ctx)


def plot_daily_profile(profile: pd.DataFrame, ctx: Context) -> Path:
    fig, ax = plt.subplots(figsize=(10, 5))
    hours = np.arange(STEPS_PER_DAY) * STEP_HOURS
    for season in profile.index.get_level_values(0).unique():
        part = profile.loc[season].reindex(range(STEPS_PER_DAY))
        colour = SEASON_COLOURS[season]
        ax.plot(hours, part["mean"], marker="o", color=colour, label=f"{ctx.season_name(season)} mean")
        ax.fill_between(hours, part["mean"] - part["std"], part["mean"] + part["std"], color=colour, alpha=0.12)
    ax.set_xticks(hours, [f"{h:02d}h" for h in hours])
    ax.set(
        title="Daily cycle by season: mean ± 1 standard deviation of each 3-hour step",
        xlabel="Start of the 3-hour block (UTC)",
        ylabel=f"Temperature ({UNIT})",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="shaded: ± 1 std")
    return _save(fig, "daily_profile.png", ctx)


def plot_yearly_profile(by_month: pd.DataFrame, by_day: pd.DataFrame, ctx: Context) -> Path:
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.fill_between(
        by_day.index,
        by_day["mean"] - by_day["std"],
        by_day["mean"] + by_day["std"],
        color="tab:blue",
        alpha=0.12,
        label="± 1 std (day of year)",
    )
    ax.plot(by_day.index, by_day["mean"], lw=0.9, color="tab:blue", label="mean daily temperature, by day of year")
    mid_month = pd.to_datetime([f"2001-{m:02d}-15" for m in by_month.index]).dayofyear
    ax.errorbar(
        mid_month,
        by_month["mean"],
        yerr=by_month["std"],
        fmt="o-",
        color="tab:red",
        capsize=3,
        lw=1.5,
        label="monthly mean ± 1 std",
    )
    starts = pd.to_datetime([f"2001-{m:02d}-01" for m in range(1, 13)]).dayofyear
    ax.set_xticks(starts, MONTH_NAMES)
    ax.set_xlim(1, 366)
    ax.set(
        title="Yearly cycle: daily mean temperature by day of year and by month",
        xlabel="Day of year",
        ylabel=f"Daily mean temperature ({UNIT})",
    )
    ax.legend(loc="upper left")
    return _save(fig, "yearly_profile.png", ctx)


def plot_stl(result: DecomposeResult, title: str, smoothed_days: int | None, name: str, ctx: Context) -> Path:
    fig, axes = plt.subplots(4, 1, figsize=(12, 9), sharex=True)
    panels = [
        (result.observed, "observed", "0.3"),
        (result.trend, "trend", "tab:blue"),
        (result.seasonal, "seasonal", "tab:green"),
        (result.resid, "residual", "tab:red"),
    ]
    for ax, (values, component, colour) in zip(axes, panels, strict=True):
        style = {"lw": 0.6} if component != "residual" else {"lw": 0, "marker": ".", "ms": 2}
        ax.plot(values.index, values, color=colour, label=component, **style)
        ax.set_ylabel(f"{component} ({UNIT})")
    if smoothed_days:
        smooth = result.seasonal.rolling(smoothed_days, center=True, min_periods=1).mean()
        axes[2].plot(smooth.index, smooth, color="black", lw=1.2, label=f"{smoothed_days}-day mean of seasonal")
        axes[2].legend(loc="upper left", ncols=2)
    axes[3].axhline(0, color="black", lw=0.6)
    axes[0].set_title(title)
    axes[-1].set_xlabel("Time (UTC)")
    fig.align_ylabels(axes)
    return _save(fig, name, ctx)


def plot_residuals(resid: pd.Series, summary: dict[str, float], threshold: float, ctx: Context) -> Path:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    mean, sigma = float(resid.mean()), summary["std"]
    left.hist(resid, bins=60, density=True, color="tab:blue", alpha=0.6, label="STL residuals (daily)")
    grid = np.linspace(resid.min(), resid.max(), 300)
    fit_label = f"normal fit (σ = {sigma:.2f} {UNIT})"
    left.plot(grid, stats.norm.pdf(grid, mean, sigma), color="black", lw=1.5, label=fit_label)
    for sign in (-1, 1):
        left.axvline(
            mean + sign * threshold * sigma,
            color="tab:red",
            ls="--",
            lw=1,
            label=f"± {threshold:g} σ (anomaly threshold)" if sign > 0 else None,
        )
    left.set(title="Distribution of the STL residuals", xlabel=f"Residual ({UNIT})", ylabel="Density")
    left.legend(loc="upper left", fontsize=8)
    (theoretical, ordered), (slope, intercept, _) = stats.probplot(resid.to_numpy(), dist="norm")
    right.plot(theoretical, ordered, ".", ms=2.5, color="tab:blue", label="residual quantiles")
    right.plot(theoretical, intercept + slope * theoretical, color="black", lw=1.2, label="normal reference line")
    right.set(
        title="Normal Q-Q plot of the residuals",
        xlabel="Theoretical normal quantile",
        ylabel=f"Residual quantile ({UNIT})",
    )
    right.legend(loc="upper left", fontsize=8)
    return _save(fig, "residuals.png", ctx)


def plot_autocorrelation(series: pd.Series, lags: int, ctx: Context) -> Path:
    values = series.dropna()
    diff = values.diff().dropna()
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), sharex=True)
    plot_acf(values, ax=axes[0, 0], lags=lags, fft=True, title="ACF — 3-hour temperature")
    plot_pacf(values, ax=axes[0, 1], lags=lags, method="ywm", title="PACF — 3-hour temperature")
    plot_acf(diff, ax=axes[1, 0], lags=lags, fft=True, title="ACF — step-to-step change (first difference)")
    plot_pacf(diff, ax=axes[1, 1], lags=lags, method="ywm", title="PACF — step-to-step change (first difference)")
    for ax in axes.flat:
        for lag in range(STEPS_PER_DAY, lags + 1, STEPS_PER_DAY):
            ax.axvline(lag, color="tab:red", lw=0.8, ls=":")
        ax.set_ylabel("Correlation")
        ax.set_ylim(-1.05, 1.05)
    for ax in axes[1]:
        ax.set_xlabel(f"Lag (3-hour steps; dotted red = multiples of {STEPS_PER_DAY} steps = 24 h)")
    return _save(fig, "autocorrelation.png", ctx)


def plot_anomalies(
    daily: pd.Series, expected: pd.Series, anomalies: pd.DataFrame, threshold: float, ctx: Context
) -> Path:
    fig, ax = plt.subplots(figsize=(12, 5))
    ax.plot(daily.index, daily, lw=0.5, color="0.35", label="daily mean")
    ax.plot(
        expected.index,
        expected,
        lw=0.9,
        color="tab:cyan",
        alpha=0.8,
        label=f"expected (climatology of the day ± {CLIMATOLOGY_WINDOW_DAYS} d, all years, + trend)",
    )
    warm, cold = anomalies[anomalies["z"] > 0], anomalies[anomalies["z"] < 0]
    ax.scatter(
        warm.index,
        warm["observed"],
        marker="^",
        color="tab:red",
        s=30,
        zorder=3,
        label=f"warm anomaly (z > {threshold:g}): {len(warm)}",
    )
    ax.scatter(
        cold.index,
        cold["observed"],
        marker="v",
        color="tab:purple",
        s=30,
        zorder=3,
        label=f"cold anomaly (z < −{threshold:g}): {len(cold)}",
    )
    for day in separate_events(anomalies.index, 3, min_gap_days=90):
        row = anomalies.loc[day]
        ax.annotate(
            f"{_fmt_date(day)} (z = {row['z']:+.1f})",
            (day, row["observed"]),
            textcoords="offset points",
            xytext=(25, 18 if row["z"] > 0 else -22),
            ha="left",
            fontsize=8,
            arrowprops={"arrowstyle": "-", "color": "0.3", "lw": 0.8},
        )
    ax.margins(y=0.12)
    ax.set(
        title=f"Anomalous days: |STL residual| above {threshold:g} standard deviations",
        xlabel="Date (UTC)",
        ylabel=f"Daily mean temperature ({UNIT})",
    )
    ax.legend(loc="upper left", ncols=2, fontsize=8)
    return _save(fig, "anomalies.png", ctx)


def separate_events(days: pd.Index, count: int, min_gap_days: int) -> list[pd.Timestamp]:
    """The first `count` days of an ordered index that are at least `min_gap_days` apart (one per event)."""
    chosen: list[pd.Timestamp] = []
    for day in days:
        if all(abs((day - other).days) >= min_gap_days for other in chosen):
            chosen.append(day)
        if len(chosen) == count:
            break
    return chosen


def plot_correlations(table: pd.DataFrame, ctx: Context) -> Path:
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(table) + 1.8))
    positions = np.arange(len(table))
    height = 0.27
    labels = {
        "same_time": "same time",
        "previous_day": "variable 24 h earlier",
        "anomalies": "same time, month × step means removed",
    }
    for offset, (column, colour) in zip((-height, 0, height), zip(labels, ("tab:blue", "tab:orange", "tab:green"))):
        ax.barh(positions + offset, table[column], height=height, color=colour, label=labels[column])
    ax.set_yticks(positions, table.index)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(-1, 1)
    ax.set(title=f"Correlation of the exogenous variables with {ctx.target}", xlabel="Pearson correlation r")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=3, title="temperature against…")
    return _save(fig, "correlations.png", ctx)


# --------------------------------------------------------------------------- provenance


def provenance_block(summary: dict[str, Any], series: pd.DataFrame, days: int, location: str) -> dict[str, str]:
    """The report's provenance lines, from clean_summary.json (any key may be missing)."""
    source = summary.get("source") or {}
    block = {
        "data source": str(source.get("source", "not recorded")),
        "kind": str(source.get("kind", "not recorded")),
        "description": str(source.get("description", "not recorded")),
        "location": location,
    }
    where = source.get("location")
    if isinstance(where, dict) and {"latitude", "longitude"} <= where.keys():
        block["location"] = f"{location} (lat {where['latitude']}, lon {where['longitude']})"
    grid = source.get("grid")
    if isinstance(grid, dict) and grid:
        block["grid cell"] = ", ".join(f"{key} {value}" for key, value in grid.items())
    for key, label in (
        ("file", "file"),
        ("url", "URL"),
        ("sha256", "SHA-256"),
        ("origin", "origin"),
        ("retrieved_at", "retrieved"),
    ):
        if source.get(key):
            block[label] = str(source[key])
    if summary.get("start") and summary.get("end"):
        block["period"] = f"{summary['start']} → {summary['end']} (UTC, hourly source)"
    else:
        block["period"] = f"{series.index[0].isoformat()} → {series.index[-1].isoformat()} (UTC, 3-hour steps)"
    rows = summary.get("rows")
    hourly = f"{rows:,} hourly rows → " if isinstance(rows, int) else ""
    block["rows"] = f"{hourly}{len(series):,} three-hour steps ({days:,} whole days)"
    filled = summary.get("filled_values")
    by_column = {k: v for k, v in (summary.get("filled_by_column") or {}).items() if v}
    if filled is None:
        block["filled values"] = "not recorded"
    else:
        detail = ", ".join(f"{k}: {v}" for k, v in by_column.items())
        block["filled values"] = f"{filled} by linear interpolation" + (f" ({detail})" if detail else "")
    block["licence"] = str(source.get("licence", LICENCE))
    return block


# --------------------------------------------------------------------------- the stage


def run_eda(
    weather: Params,
    series_path: Path = SERIES_3H,
    summary_path: Path = CLEAN_SUMMARY,
    html_path: Path = EDA_REPORT,
    json_path: Path = EDA_SUMMARY,
    figure_dir: Path = EDA_FIGURES,
) -> dict[str, Any]:
    """Analyse the series, write the HTML report, its figures and the JSON metrics; return the metrics."""
    started = time.perf_counter()
    settings = EdaSettings.from_params(weather.section("eda"))
    target = weather.section("download").get("target", type_=str)
    frame = read_series(series_path)
    if target not in frame.columns:
        raise DataError(f"target {target!r} is not a column of {series_path}")
    if Path(summary_path).is_file():
        summary = read_json(summary_path)
    else:
        log.warning("no cleaning summary at %s: the provenance block will say 'not recorded'", summary_path)
        summary = {}
    source = summary.get("source") or {}
    location_params = weather.section("location")
    where = source.get("location") if isinstance(source.get("location"), dict) else {}
    location = str(where.get("name") or location_params.get("name", type_=str))
    latitude = where.get("latitude", location_params.get("latitude", None))
    kind = str(source.get("kind", "unknown kind"))
    ctx = Context(
        target=target,
        location=location,
        kind=kind,
        latitude=float(latitude) if latitude is not None else None,
        source_line=f"Data: {source.get('description') or 'Open-Meteo'} ({kind}) · {source.get('licence', LICENCE)}",
        figure_dir=Path(figure_dir),
    )
    series = frame[target].astype(float)
    if series.isna().any():
        raise DataError(f"{target} has {int(series.isna().sum())} missing values in {series_path}; run weather.clean")
    log.info("%d 3-hour steps of %s at %s, %s → %s", len(series), target, location, series.index[0], series.index[-1])

    daily, interpolated_days = daily_means(series)
    if interpolated_days:
        log.warning("%d incomplete days interpolated in the daily-mean series", interpolated_days)
    trend = linear_trend(daily, settings.trend_harmonics)
    profile = daily_profile(series)
    amplitudes = daily_amplitude(profile)
    by_month, by_day = yearly_profile(daily)
    log.info(
        "trend %+.3f °C/decade; daily amplitude by season %s",
        trend.slope_per_decade,
        {k: round(v, 2) for k, v in amplitudes.items()},
    )
    stl = stl_decompose(daily, settings)
    recent = stl_recent(series, settings)
    expected = day_climatology(daily)
    anomalies = find_anomalies(daily, expected, settings.anomaly_z)
    resid_stats = residual_summary(stl.resid)
    acfs = autocorrelations(series, settings.acf_lags)
    correlations = exogenous_correlations(frame, target)
    log.info(
        "STL done; %d anomalous days; lag-1 / lag-8 ACF %.3f / %.3f",
        len(anomalies),
        acfs["level"][1],
        acfs["level"][STEPS_PER_DAY],
    )

    figure_dir = Path(figure_dir)
    figures = {
        "series": Figure(
            plot_series(series, trend, settings, ctx),
            "The whole 3-hour series, its rolling mean and the de-seasonalised linear trend.",
        ),
        "daily": Figure(plot_daily_profile(profile, ctx), "Mean daily cycle by season (shaded: ± 1 std)."),
        "yearly": Figure(plot_yearly_profile(by_month, by_day, ctx), "Yearly cycle of the daily mean temperature."),
        "stl": Figure(
            plot_stl(
                stl,
                f"STL decomposition of the daily mean temperature (period {settings.stl_period_days} days)",
                31,
                "stl_daily.png",
                ctx,
            ),
            "STL of the daily means: trend, yearly seasonal component and residual.",
        ),
        "stl_recent": Figure(
            plot_stl(
                recent,
                f"STL decomposition of the last {settings.stl_recent_days} days of the 3-hour series "
                f"(period {STEPS_PER_DAY} steps = 1 day)",
                None,
                "stl_recent.png",
                ctx,
            ),
            f"STL of the recent 3-hour series with the daily period of {STEPS_PER_DAY} steps.",
        ),
        "residuals": Figure(
            plot_residuals(stl.resid, resid_stats, settings.anomaly_z, ctx),
            "Distribution of the daily STL residuals against a normal fit.",
        ),
        "acf": Figure(
            plot_autocorrelation(series, settings.acf_lags, ctx),
            f"Autocorrelation up to {settings.acf_lags} steps of the series and of its first difference.",
        ),
        "anomalies": Figure(
            plot_anomalies(daily, expected, anomalies, settings.anomaly_z, ctx),
            "Days whose STL residual exceeds the z-score threshold.",
        ),
    }
    if not correlations.empty:
        figures["correlations"] = Figure(
            plot_correlations(correlations, ctx), "Correlation of each exogenous variable with the temperature."
        )

    written = {figure.path.name for figure in figures.values()}
    for stale in figure_dir.glob("*.png"):
        if stale.name not in written:  # e.g. correlations.png from a run that had exogenous variables
            stale.unlink()
    analysis = Analysis(
        series=series,
        daily=daily,
        trend=trend,
        amplitudes=amplitudes,
        profile=profile,
        by_month=by_month,
        by_day=by_day,
        stl=stl,
        recent=recent,
        anomalies=anomalies,
        resid_stats=resid_stats,
        acfs=acfs,
        correlations=correlations,
    )
    metrics = _metrics(analysis, settings, ctx)
    sections = _sections(analysis, settings, figures, metrics, ctx)
    title = f"Exploratory analysis — 3-hour temperature, {location} ({kind})"
    render_report(html_path, title, provenance_block(summary, frame, len(day_matrix(series)), location), sections)
    write_json(json_path, metrics)
    log.info(
        "wrote %s, %s and %d figures in %s (%.1f s)",
        html_path,
        json_path,
        len(figures),
        figure_dir,
        time.perf_counter() - started,
    )
    return metrics


def _annual_means(daily: pd.Series) -> pd.Series:
    """Mean of each calendar year that is (almost) complete."""
    counts = daily.groupby(daily.index.year).size()
    means = daily.groupby(daily.index.year).mean()
    return means[counts >= 360]


def _metrics(analysis: Analysis, settings: EdaSettings, ctx: Context) -> dict[str, Any]:
    series, daily, trend, amplitudes, by_month, stl, recent, anomalies, resid_stats, acfs, correlations = (
        analysis.series,
        analysis.daily,
        analysis.trend,
        analysis.amplitudes,
        analysis.by_month,
        analysis.stl,
        analysis.recent,
        analysis.anomalies,
        analysis.resid_stats,
        analysis.acfs,
        analysis.correlations,
    )

    def r(value: float, digits: int = 4) -> float:
        return round(float(value), digits)

    smooth_seasonal = stl.seasonal.rolling(31, center=True, min_periods=1).mean()
    recent_profile = recent.seasonal.groupby(recent.seasonal.index.hour).mean()
    return {
        "target": ctx.target,
        "location": ctx.location,
        "kind": ctx.kind,
        "start": series.index[0].isoformat(),
        "end": series.index[-1].isoformat(),
        "steps": len(series),
        "days": len(daily),
        "mean_c": r(series.mean()),
        "trend_c_per_decade": r(trend.slope_per_decade),
        "daily_amplitude_c": {
            NORTHERN_NAMES[k] if (ctx.latitude or 0) >= 0 else SOUTHERN_NAMES[k]: r(v) for k, v in amplitudes.items()
        },
        "yearly_amplitude_c": r(by_month["mean"].max() - by_month["mean"].min()),
        "warmest_month": MONTH_NAMES[int(by_month["mean"].idxmax()) - 1],
        "coldest_month": MONTH_NAMES[int(by_month["mean"].idxmin()) - 1],
        "stl": {
            "period_days": settings.stl_period_days,
            "seasonal_range_c": r(stl.seasonal.max() - stl.seasonal.min()),
            "seasonal_range_smoothed_c": r(smooth_seasonal.max() - smooth_seasonal.min()),
            "trend_range_c": r(stl.trend.max() - stl.trend.min()),
            "seasonal_strength": r(component_strength(stl.seasonal, stl.resid)),
            "trend_strength": r(component_strength(stl.trend, stl.resid)),
            "residual_std_c": r(resid_stats["std"]),
            "residual_skewness": r(resid_stats["skewness"]),
            "residual_excess_kurtosis": r(resid_stats["excess_kurtosis"]),
            "recent_days": settings.stl_recent_days,
            "recent_daily_amplitude_c": r(recent_profile.max() - recent_profile.min()),
            "recent_residual_std_c": r(recent.resid.std()),
        },
        "anomalies": {
            "threshold_z": settings.anomaly_z,
            "count": len(anomalies),
            "warm": int((anomalies["z"] > 0).sum()),
            "cold": int((anomalies["z"] < 0).sum()),
            "largest_date": _fmt_date(anomalies.index[0]) if len(anomalies) else None,
            "largest_z": r(anomalies["z"].iloc[0]) if len(anomalies) else None,
        },
        "autocorrelation": {
            "lag1": r(acfs["level"][1]),
            "lag4": r(acfs["level"][STEPS_PER_DAY // 2]),
            "lag8": r(acfs["level"][STEPS_PER_DAY]),
            "diff_lag1": r(acfs["difference"][1]),
            "diff_lag4": r(acfs["difference"][STEPS_PER_DAY // 2]),
            "diff_lag8": r(acfs["difference"][STEPS_PER_DAY]),
        },
        "correlations": {
            name: {column: r(value) for column, value in row.items()} for name, row in correlations.iterrows()
        },
    }


def _sections(
    analysis: Analysis, settings: EdaSettings, figures: dict[str, Figure], metrics: dict[str, Any], ctx: Context
) -> list[Section]:
    series, daily, trend, amplitudes, profile, by_month, stl, anomalies, resid_stats, correlations = (
        analysis.series,
        analysis.daily,
        analysis.trend,
        analysis.amplitudes,
        analysis.profile,
        analysis.by_month,
        analysis.stl,
        analysis.anomalies,
        analysis.resid_stats,
        analysis.correlations,
    )
    years = (daily.index[-1] - daily.index[0]).days / DAYS_PER_YEAR
    annual = _annual_means(daily)
    anomaly_sd = trend.residual_std
    harmonics = f"{settings.trend_harmonics} yearly harmonic{'s' if settings.trend_harmonics != 1 else ''}"
    direction = "rises" if trend.slope_per_decade > 0 else "falls"
    change = trend.slope_per_decade * years / 10
    trend_text = [
        f"From {_fmt_date(series.index[0])} to {_fmt_date(series.index[-1])} ({len(series):,} three-hour steps, "
        f"{len(daily):,} days, {years:.1f} years) the 3-hour temperature averaged {series.mean():.1f} {UNIT}, from "
        f"{series.min():.1f} {UNIT} ({_fmt_date(series.idxmin())}) to {series.max():.1f} {UNIT} "
        f"({_fmt_date(series.idxmax())}).",
        f"A linear trend fitted to the daily means, with {harmonics} regressed out alongside so that an incomplete "
        f"last year does not tilt it, {direction} by "
        f"{abs(trend.slope_per_decade):.2f} {UNIT} per decade, i.e. {_signed(change)} {UNIT} over the period.",
        f"That drift is {abs(change) / anomaly_sd:.2f} times the day-to-day spread of the de-seasonalised daily "
        f"means ({anomaly_sd:.2f} {UNIT}), so over a {years:.0f}-year window it is a minor term for a day-ahead "
        "forecast next to the seasonal cycles and the weather itself."
        if abs(change) < anomaly_sd
        else f"That drift exceeds the day-to-day spread of the de-seasonalised daily means ({anomaly_sd:.2f} {UNIT}), "
        "so a model must follow the level of the series (a trend or a recent window).",
    ]
    if len(annual) >= 2:
        trend_text.append(
            f"Annual means of the {len(annual)} complete years range from {annual.min():.2f} {UNIT} "
            f"({annual.idxmin()}) to {annual.max():.2f} {UNIT} ({annual.idxmax()}): with so few years, the slope "
            "reflects year-to-year variability as much as any climate signal."
        )
    annual_table = annual.rename("mean (°C)").to_frame().round(2)
    annual_table.index.name = "year"
    tables = [("Annual mean temperature of complete years (°C)", annual_table)]

    weak, strong = min(amplitudes, key=amplitudes.get), max(amplitudes, key=amplitudes.get)
    overall = series.groupby(series.index.hour).mean()
    yearly_amp = metrics["yearly_amplitude_c"]
    mean_daily_amp = float(np.mean(list(amplitudes.values())))
    seasonal_text = [
        f"The mean daily cycle (peak-to-peak of the mean 3-hour profile) is weakest in {ctx.season_name(weak)}, at "
        f"{amplitudes[weak]:.1f} {UNIT}, and strongest in {ctx.season_name(strong)}, at "
        f"{amplitudes[strong]:.1f} {UNIT}; "
        f"over the whole year the warmest block starts at {int(overall.idxmax()):02d}h UTC and the coldest at "
        f"{int(overall.idxmin()):02d}h UTC.",
        f"Monthly means go from {metrics['coldest_month']} ({by_month['mean'].min():.1f} {UNIT}) to "
        f"{metrics['warmest_month']} ({by_month['mean'].max():.1f} {UNIT}), a yearly amplitude of {yearly_amp:.1f} "
        f"{UNIT}, {yearly_amp / mean_daily_amp:.1f} times the average daily cycle ({mean_daily_amp:.1f} {UNIT}).",
        f"The spread around the seasonal mean profile (± 1 std, shaded) is {profile['std'].min():.1f}–"
        f"{profile['std'].max():.1f} {UNIT}"
        + (
            ", larger than the daily cycle itself in every season: the day-to-day weather moves the whole profile "
            "up and down more than the hour of the day does."
            if profile["std"].min() > max(amplitudes.values())
            else f", of the same order as the daily cycle ({min(amplitudes.values()):.1f}–"
            f"{max(amplitudes.values()):.1f} {UNIT})."
        ),
    ]
    amp_table = pd.DataFrame({"daily amplitude (°C)": {ctx.season_name(k): v for k, v in amplitudes.items()}}).round(2)
    tables_seasonal = [("Peak-to-peak amplitude of the mean daily profile, by season", amp_table)]

    s = metrics["stl"]
    jitter = float(stl.seasonal.diff().abs().mean())
    n_cycles = len(daily) / settings.stl_period_days
    stl_text = [
        f"STL (period {settings.stl_period_days} days, seasonal smoother {settings.stl_seasonal}, "
        f"{'robust' if settings.stl_robust else 'non-robust'}) splits the daily means into a trend that stays within a "
        f"{s['trend_range_c']:.1f} {UNIT} band, a yearly seasonal component and a residual of standard deviation "
        f"{s['residual_std_c']:.2f} {UNIT}.",
        f"The seasonal component is {'dominant' if s['seasonal_strength'] > 0.6 else 'moderate'} (strength "
        f"{s['seasonal_strength']:.2f}, where 1 means no residual) and the trend "
        f"{'strong' if s['trend_strength'] > 0.6 else 'weak'} (strength {s['trend_strength']:.2f}).",
        f"With {n_cycles:.1f} yearly cycles each day of the year rests on only about {n_cycles:.0f} values, so the "
        f"seasonal curve jitters by {jitter:.2f} {UNIT} from one day to the next; its 31-day mean spans "
        f"{s['seasonal_range_smoothed_c']:.1f} {UNIT} against {s['seasonal_range_c']:.1f} {UNIT} for the raw curve.",
        f"On the last {settings.stl_recent_days} days, STL of the 3-hour series with period {STEPS_PER_DAY} finds a "
        f"daily cycle of {s['recent_daily_amplitude_c']:.1f} {UNIT} peak to peak against a residual standard "
        f"deviation of {s['recent_residual_std_c']:.2f} {UNIT}.",
    ]

    a = metrics["autocorrelation"]
    tail_word = "heavier" if resid_stats["share_beyond_3sd"] > resid_stats["share_beyond_3sd_normal"] else "lighter"
    daily_peak = a["diff_lag8"] > a["diff_lag4"] and a["diff_lag8"] > 0
    residual_text = [
        f"The daily STL residuals have a standard deviation of {resid_stats['std']:.2f} {UNIT}, skewness "
        f"{resid_stats['skewness']:+.2f} and excess kurtosis {resid_stats['excess_kurtosis']:+.2f}; "
        f"{100 * resid_stats['share_beyond_3sd']:.2f}% of days lie beyond ± 3 σ against "
        f"{100 * resid_stats['share_beyond_3sd_normal']:.2f}% for a normal law, so the tails are {tail_word} "
        "than normal.",
        f"The 3-hour series is very persistent: autocorrelation {a['lag1']:.3f} at lag 1 (3 h), {a['lag4']:.3f} at "
        f"lag 4 (12 h) and {a['lag8']:.3f} at lag 8 (24 h)"
        + (", the rise from lag 4 to lag 8 being the daily cycle." if a["lag8"] > a["lag4"] else "."),
        "On the step-to-step changes the slow weather is gone and the daily cycle "
        + ("dominates" if daily_peak else "is weak")
        + f": autocorrelation {a['diff_lag8']:+.3f} at lag 8 against {a['diff_lag4']:+.3f} at lag 4"
        + (
            f", which supports one regular difference and a seasonal period of m = {STEPS_PER_DAY} steps for "
            "SARIMA-type models."
            if daily_peak
            else "."
        ),
    ]

    an = metrics["anomalies"]
    departure = daily - day_climatology(daily)
    if len(anomalies):
        top = anomalies.iloc[0]
        seasons = pd.Series(season_of(anomalies.index)).value_counts()
        resid_sd = departure.groupby(season_of(departure.index)).std()
        anomaly_text = [
            f"Anomalies are measured against the climatology of the day: the mean daily temperature of the days "
            f"within ± {CLIMATOLOGY_WINDOW_DAYS} days of the same date over all years (the seasonal cycle), plus "
            "the long-term linear trend.",
            f"{an['count']} days ({100 * an['count'] / len(daily):.1f}% of {len(daily):,}) depart from it by more "
            f"than ± {settings.anomaly_z:g} standard deviations ({settings.anomaly_z * departure.std():.1f} {UNIT}): "
            f"{an['warm']} warmer and {an['cold']} colder than expected.",
            f"The largest is {_fmt_date(anomalies.index[0])}: a daily mean of {top['observed']:.1f} {UNIT} against "
            f"{top['expected']:.1f} {UNIT} expected for that day (z = {top['z']:+.2f}).",
            f"Most fall in {ctx.season_name(seasons.index[0])}, {seasons.iloc[0]} of {an['count']}; the residual "
            f"standard deviation is {resid_sd.get(seasons.index[0], np.nan):.2f} {UNIT} in that season against "
            f"{departure.std():.2f} {UNIT} over the year"
            + (
                ", the largest of the four seasons."
                if resid_sd.idxmax() == seasons.index[0]
                else f" (largest in {ctx.season_name(resid_sd.idxmax())}: {resid_sd.max():.2f} {UNIT})."
            ),
        ]
        top_table = anomalies.head(settings.top_anomalies).copy()
        top_table.index = [_fmt_date(day) for day in top_table.index]
        top_table.index.name = "date"
        top_table.columns = ["daily mean (°C)", "expected (°C)", "residual (°C)", "z"]
        anomaly_tables = [(f"The {len(top_table)} largest anomalies (by |z|)", top_table.round(2))]
    else:
        anomaly_text = [
            f"No day departs from its climatology by more than ± {settings.anomaly_z:g} standard deviations "
            f"({settings.anomaly_z * departure.std():.1f} {UNIT}): the series holds no marked anomaly at that "
            "threshold."
        ]
        anomaly_tables = []

    if correlations.empty:
        correlation_text = [
            "The series holds no exogenous variable (weather.download.exogenous is empty), so this analysis is skipped."
        ]
        correlation_tables, correlation_figures = [], []
    else:
        best_same = correlations["same_time"].abs().idxmax()
        best_prev = correlations["previous_day"].abs().idxmax()
        best_anom = correlations["anomalies"].abs().idxmax()
        correlation_text = [
            f"At the same time, {best_same} is the variable most correlated with {ctx.target} "
            f"(r = {correlations.loc[best_same, 'same_time']:+.2f}); {len(correlations)} variables (wind directions "
            "split into east and north components) are compared.",
            f"A day-ahead model only knows the previous day: lagged by 24 h, the strongest link is {best_prev} "
            f"(r = {correlations.loc[best_prev, 'previous_day']:+.2f}).",
            f"Part of these correlations is the shared yearly and daily cycle; once each variable's month × step mean "
            f"is removed, {best_anom} {'remains' if best_anom == best_same else 'becomes'} the strongest "
            f"(r = {correlations.loc[best_anom, 'anomalies']:+.2f}).",
        ]
        readable = correlations.rename(
            columns={"same_time": "same time", "previous_day": "24 h earlier", "anomalies": "cycles removed"}
        )
        readable.index.name = "variable"
        correlation_tables = [(f"Pearson correlation with {ctx.target}", readable.round(3))]
        correlation_figures = [figures["correlations"]]

    return [
        Section("Series and long-term trend", trend_text, tables, [figures["series"]]),
        Section(
            "Seasonality: daily (8 steps) and yearly cycles",
            seasonal_text,
            tables_seasonal,
            [figures["daily"], figures["yearly"]],
        ),
        Section("STL decomposition", stl_text, [], [figures["stl"], figures["stl_recent"]]),
        Section("Residuals and autocorrelation", residual_text, [], [figures["residuals"], figures["acf"]]),
        Section("Anomalies", anomaly_text, anomaly_tables, [figures["anomalies"]]),
        Section("Exogenous variables", correlation_text, correlation_tables, correlation_figures),
    ]


def main() -> None:
    run_eda(load_params("weather"))


if __name__ == "__main__":
    run_stage(main, "weather.eda")
