"""Stage: hourly → 3-hour series. The value at 00h is the mean of 00h, 01h, 02h; 03h of 03–05h; …; 21h."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.common.errors import DataError
from pipelines.common.logs import get_logger
from pipelines.common.stage import run_stage
from pipelines.weather.data import read_series, write_series
from pipelines.weather.forecasting import STEP_HOURS
from pipelines.weather.paths import CLEAN_HOURLY, SERIES_3H

log = get_logger("weather.aggregate")


def _circular_mean_degrees(values: pd.Series) -> float:
    """Mean of compass directions: 350° and 10° average to 0°, not 180°."""
    radians = np.deg2rad(values.dropna())
    if radians.empty:
        return np.nan
    return float(np.rad2deg(np.arctan2(np.sin(radians).mean(), np.cos(radians).mean())) % 360)


def aggregate_steps(hourly: pd.DataFrame, step_hours: int = 3) -> pd.DataFrame:
    """Average hourly values into blocks of `step_hours` wall-clock hours starting at midnight.

    Blocks are defined on the index's own wall clock (calendar date, hour // step), so a
    local-time series with DST keeps one value per block: the spring-forward block averages
    the hours that exist, the fall-back block the repeated hour too. Partial blocks at the
    two ends of the series (fewer hours than a block holds) are dropped. Columns whose name
    contains "direction" are averaged as angles.
    """
    if 24 % step_hours:
        raise DataError(f"weather.aggregate.step_hours must divide 24, got {step_hours}")
    if hourly.empty:
        raise DataError("no hourly data to aggregate")
    index = hourly.index
    wall_clock = index.tz_localize(None) if index.tz is not None else index
    block_start = wall_clock.normalize() + pd.to_timedelta((wall_clock.hour // step_hours) * step_hours, unit="h")
    grouped = hourly.groupby(block_start)
    aggregates = {
        column: grouped[column].agg(_circular_mean_degrees) if "direction" in column else grouped[column].mean()
        for column in hourly.columns
    }
    result = pd.DataFrame(aggregates)
    # An edge block is partial when the series starts after its first hour or ends before its last
    # (judged on wall-clock hours, so a DST day's 2-hour block at midnight still counts as whole).
    hours = pd.Series(wall_clock.hour, index=hourly.index).groupby(block_start)
    first, last = result.index[0], result.index[-1]
    partial_edges = []
    if hours.min()[first] != first.hour:
        partial_edges.append(first)
    if hours.max()[last] != last.hour + step_hours - 1:
        partial_edges.append(last)
    result = result.drop(index=list(dict.fromkeys(partial_edges)))
    result.index.name = "time"
    return result


def main() -> None:
    # No `weather.aggregate.step_hours` parameter: the day-ahead protocol (8 steps a day), the features, the
    # statistical models' daily season and the database's step 0..7 are all built for 3-hour steps.
    step_hours = STEP_HOURS
    hourly = read_series(CLEAN_HOURLY)
    series = aggregate_steps(hourly, step_hours)
    log.info(
        "%d hourly rows → %d blocks of %d h (%s → %s)",
        len(hourly),
        len(series),
        step_hours,
        series.index.min(),
        series.index.max(),
    )
    write_series(SERIES_3H, series)


if __name__ == "__main__":
    run_stage(main, "weather.aggregate")
