"""Stage: fill missing hourly values by linear interpolation and count what was filled."""

from __future__ import annotations

import pandas as pd

from pipelines.common.errors import DataError
from pipelines.common.io import read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.stage import run_stage
from pipelines.weather.data import read_series, write_series
from pipelines.weather.paths import CLEAN_HOURLY, CLEAN_SUMMARY, RAW_HOURLY, RAW_SOURCE

log = get_logger("weather.clean")


def interpolate_hourly(frame: pd.DataFrame, max_gap_hours: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """Reindex to a complete hourly grid and fill gaps linearly in time.

    Returns the filled frame and, per column, how many values were filled (missing
    timestamps count too). A gap longer than `max_gap_hours` is an error: a straight line
    over days of missing weather would be invented data, not interpolation.
    """
    if frame.index.has_duplicates:
        raise DataError(f"duplicated timestamps, first at {frame.index[frame.index.duplicated()][0]}")
    full_index = pd.date_range(frame.index.min(), frame.index.max(), freq="h", name=frame.index.name)
    frame = frame.sort_index().reindex(full_index)
    missing = frame.isna()
    for column in frame.columns:
        run_ids = (~missing[column]).cumsum()
        longest = int(missing[column].groupby(run_ids).sum().max()) if missing[column].any() else 0
        if longest > max_gap_hours:
            raise DataError(
                f"column {column} has a gap of {longest} h, longer than weather.clean.max_gap_hours={max_gap_hours}"
            )
    filled = frame.interpolate(method="time", limit_direction="both")
    counts = {column: int(missing[column].sum()) for column in frame.columns}
    return filled, counts


def main() -> None:
    params = load_params("weather").section("clean")
    max_gap = params.integer("max_gap_hours", minimum=1)
    hourly = read_series(RAW_HOURLY)
    cleaned, filled = interpolate_hourly(hourly, max_gap)
    log.info("filled %d missing values over %d hours (%s)", sum(filled.values()), len(cleaned), filled)
    write_series(CLEAN_HOURLY, cleaned)
    write_json(
        CLEAN_SUMMARY,
        {
            "rows": len(cleaned),
            "start": cleaned.index.min().isoformat(),
            "end": cleaned.index.max().isoformat(),
            "filled_values": sum(filled.values()),
            "filled_by_column": filled,
            "source": read_json(RAW_SOURCE),
        },
    )


if __name__ == "__main__":
    run_stage(main, "weather.clean")
