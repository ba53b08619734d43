"""Reading and writing the weather pipeline's tabular files (one format, one place)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.common.errors import DataError
from pipelines.common.io import write_csv
from pipelines.common.params import Params
from pipelines.weather.forecasting import Split, day_matrix, split_days
from pipelines.weather.paths import SERIES_3H

TIME_FORMAT = "%Y-%m-%dT%H:%M"


def write_series(path: str | Path, frame: pd.DataFrame) -> None:
    write_csv(path, frame, date_format=TIME_FORMAT, float_format="%.4f", index_label="time")


def read_series(path: str | Path) -> pd.DataFrame:
    """A time-indexed series written by `write_series` (UTC, tz-naive)."""
    try:
        frame = pd.read_csv(path, index_col="time", parse_dates=["time"])
    except (FileNotFoundError, ValueError) as error:
        raise DataError(f"cannot read series {path}: {error}") from error
    if frame.empty:
        raise DataError(f"series {path} is empty")
    return frame


@dataclass
class Problem:
    """The 3-hour series, viewed as day × step matrices, and the train/test split of its days."""

    series: pd.DataFrame
    target_name: str
    target: pd.DataFrame
    exog: dict[str, pd.DataFrame]
    split: Split

    @property
    def train_series(self) -> pd.DataFrame:
        return self.series[self.series.index < self.split.test_start]


def load_problem(weather_params: Params, path: str | Path = SERIES_3H) -> Problem:
    series = read_series(path)
    target_name = weather_params.section("download").get("target", type_=str)
    if target_name not in series.columns:
        raise DataError(f"target {target_name!r} is not a column of {path}")
    target = day_matrix(series[target_name])
    exog = {name: day_matrix(series[name]).reindex(target.index) for name in series.columns if name != target_name}
    evaluation = weather_params.section("evaluation")
    test_days = evaluation.integer("test_days", minimum=1)
    validation_days = evaluation.integer("validation_days", minimum=1)
    return Problem(series, target_name, target, exog, split_days(target.index, test_days, validation_days))


def write_forecasts(path: str | Path, forecasts: pd.DataFrame) -> None:
    write_csv(path, forecasts, index=False, date_format=TIME_FORMAT, float_format="%.4f")


def read_forecasts(path: str | Path) -> pd.DataFrame:
    return pd.read_csv(path, parse_dates=["issue_time", "target_time"])
