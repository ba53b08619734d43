"""Expectations on the real data shipped as the offline default (the README's numbers hold)."""

import pandas as pd
import pytest

from pipelines.common.paths import EXTERNAL_DIR
from pipelines.common.provenance import file_sha256
from pipelines.weather.sources import read_openmeteo_csv

SHIPPED = {
    "ijmuiden_hourly.csv.gz": "8f57a44a6be514ceafd7a2ec6c9b2127e582251a93ab19ebdc81055572bdfc4c",
    "paris_hourly.csv.gz": "96e3de5b9ce9cb0cff48dc2f5aaafff587b14df2227eab5e2f298589615647c4",
}
PLAUSIBLE = {
    "temperature_2m": (-30, 45),
    "relative_humidity_2m": (0, 100),
    "dew_point_2m": (-40, 35),
    "pressure_msl": (940, 1060),
    "cloud_cover": (0, 100),
    "wind_speed_10m": (0, 200),
    "wind_direction_10m": (0, 360),
}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_file_is_the_documented_one(name):
    path = EXTERNAL_DIR / "weather" / name
    assert file_sha256(path) == SHIPPED[name]
    assert name in (EXTERNAL_DIR / "weather" / "README.md").read_text()


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_file_is_hourly_complete_and_plausible(name):
    frame, _ = read_openmeteo_csv(EXTERNAL_DIR / "weather" / name)
    steps = frame.index.to_series().diff().dropna()
    assert (steps == pd.Timedelta(hours=1)).all()
    observed = frame.dropna(how="all")
    assert observed.index[-1] - observed.index[0] > pd.Timedelta(days=365 * 7)
    assert observed.isna().sum().sum() == 0  # missing values only at the trailing end
    for column, (low, high) in PLAUSIBLE.items():
        if column in observed:
            assert observed[column].between(low, high).all(), column
