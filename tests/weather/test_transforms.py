"""Unit tests of the weather transformations on hand-made series."""

import numpy as np
import pandas as pd
import pytest

from pipelines.common.errors import DataError
from stages.weather.aggregate import aggregate_steps
from stages.weather.clean import interpolate_hourly


def hourly(values, start="2024-01-01 00:00", tz=None, name="temperature_2m"):
    index = pd.date_range(start, periods=len(values), freq="h", tz=tz, name="time")
    return pd.DataFrame({name: np.asarray(values, dtype=float)}, index=index)


def test_interpolation_fills_gaps_linearly_and_counts_them():
    frame = hourly([0.0, np.nan, np.nan, 3.0, 4.0])
    filled, counts = interpolate_hourly(frame, max_gap_hours=3)
    assert filled["temperature_2m"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert counts == {"temperature_2m": 2}


def test_missing_timestamps_are_reinserted_and_filled():
    frame = hourly([0.0, 1.0, 2.0, 3.0]).drop(index=pd.Timestamp("2024-01-01 02:00"))
    filled, counts = interpolate_hourly(frame, max_gap_hours=3)
    assert len(filled) == 4 and filled.loc["2024-01-01 02:00", "temperature_2m"] == 2.0
    assert counts["temperature_2m"] == 1


def test_gap_longer_than_allowed_is_an_error_naming_the_parameter():
    frame = hourly([0.0] + [np.nan] * 5 + [6.0])
    with pytest.raises(DataError, match="max_gap_hours"):
        interpolate_hourly(frame, max_gap_hours=4)


def test_duplicated_timestamps_are_rejected():
    frame = pd.concat([hourly([1.0, 2.0]), hourly([3.0])])
    with pytest.raises(DataError, match="duplicated"):
        interpolate_hourly(frame, max_gap_hours=3)


def test_three_hour_means_follow_the_brief():
    """00h is the mean of 00h, 01h, 02h; 03h of 03–05h; …"""
    frame = hourly(np.arange(48))
    series = aggregate_steps(frame, 3)
    assert len(series) == 16
    assert series["temperature_2m"].iloc[0] == pytest.approx(1.0)  # (0 + 1 + 2) / 3
    assert series["temperature_2m"].iloc[1] == pytest.approx(4.0)  # (3 + 4 + 5) / 3
    assert series.index[7] == pd.Timestamp("2024-01-01 21:00")
    assert series["temperature_2m"].iloc[7] == pytest.approx(22.0)


def test_partial_blocks_at_the_edges_are_dropped():
    frame = hourly(np.arange(25), start="2024-01-01 01:00")  # starts mid-block, ends 01:00 the next day
    series = aggregate_steps(frame, 3)
    assert series.index[0] == pd.Timestamp("2024-01-01 03:00")
    assert series.index[-1] == pd.Timestamp("2024-01-01 21:00")


def test_dst_spring_forward_day_keeps_eight_blocks():
    """Europe/Paris, 2024-03-31: 02:00 does not exist; the 00h block averages 00h and 01h."""
    index = pd.date_range("2024-03-31 00:00", "2024-03-31 23:00", freq="h", tz="Europe/Paris", name="time")
    assert len(index) == 23
    frame = pd.DataFrame({"temperature_2m": [float(t.hour) for t in index]}, index=index)
    series = aggregate_steps(frame, 3)
    assert len(series) == 8
    assert series["temperature_2m"].iloc[0] == pytest.approx(0.5)  # hours 0 and 1
    assert series["temperature_2m"].iloc[1] == pytest.approx(4.0)  # hours 3, 4, 5


def test_dst_fall_back_day_averages_the_repeated_hour():
    """Europe/Paris, 2024-10-27: 02:00 happens twice; the 00h block has four values."""
    index = pd.date_range("2024-10-27 00:00", "2024-10-27 23:00", freq="h", tz="Europe/Paris", name="time")
    assert len(index) == 25
    frame = pd.DataFrame({"temperature_2m": [float(t.hour) for t in index]}, index=index)
    series = aggregate_steps(frame, 3)
    assert len(series) == 8
    assert series["temperature_2m"].iloc[0] == pytest.approx((0 + 1 + 2 + 2) / 4)


def test_wind_direction_is_averaged_as_an_angle():
    index = pd.date_range("2024-01-01", periods=3, freq="h", name="time")
    frame = pd.DataFrame({"temperature_2m": [1.0, 2.0, 3.0], "wind_direction_10m": [350.0, 10.0, 0.0]}, index=index)
    series = aggregate_steps(frame, 3)
    direction = series["wind_direction_10m"].iloc[0]
    assert min(direction, 360 - direction) < 1e-6


def test_step_must_divide_the_day():
    with pytest.raises(DataError, match="step_hours"):
        aggregate_steps(hourly(np.arange(24)), 5)
