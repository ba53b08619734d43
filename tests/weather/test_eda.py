"""The exploratory analysis: on a synthetic 3-hour series with a known trend, daily cycle and
one injected anomaly, the numbers come back; the stage writes a complete, linked report."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.common.errors import DataError, ParamError
from pipelines.common.io import read_json, write_json
from pipelines.common.params import Params
from pipelines.weather.data import write_series
from stages.weather import eda

SLOPE_PER_YEAR = 0.3  # °C/year → 3 °C/decade
DAILY_HALF_RANGE = {"DJF": 1.0, "MAM": 2.0, "JJA": 3.0, "SON": 2.0}  # peak-to-peak = twice this
ANOMALY_DAY = pd.Timestamp("2021-07-14")
ANOMALY_DELTA = 6.0
EDA_PARAMS = {
    "rolling_window_days": 30,
    "trend_harmonics": 2,
    "stl_period_days": 365,
    "stl_seasonal": 7,
    "stl_robust": True,
    "stl_recent_days": 28,
    "anomaly_z": 3.0,
    "top_anomalies": 10,
    "acf_lags": 24,
}


def synthetic_frame(seed: int = 0) -> pd.DataFrame:
    """Three years of 3-hour temperature: linear trend + yearly sine + seasonal daily sine + noise + one warm day."""
    index = pd.date_range("2020-01-01", "2022-12-31 21:00", freq="3h", name="time")
    rng = np.random.default_rng(seed)
    years = np.asarray((index - index[0]) / pd.Timedelta(days=1)) / 365.25
    yearly = 6 * np.sin(2 * np.pi * (index.dayofyear.to_numpy() - 110) / 365.25)
    half_range = np.array([DAILY_HALF_RANGE[s] for s in eda.season_of(index)])
    step = index.hour.to_numpy() // 3
    daily = half_range * np.sin(2 * np.pi * (step - 2) / 8)  # max at 12h, min at 00h
    temperature = 10 + SLOPE_PER_YEAR * years + yearly + daily + rng.normal(0, 0.3, len(index))
    temperature[index.normalize() == ANOMALY_DAY] += ANOMALY_DELTA
    dew_point = temperature - 3 + rng.normal(0, 1.0, len(index))
    direction = rng.uniform(0, 360, len(index))
    return pd.DataFrame(
        {"temperature_2m": temperature, "dew_point_2m": dew_point, "wind_direction_10m": direction}, index=index
    )


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_frame()


@pytest.fixture(scope="module")
def settings() -> eda.EdaSettings:
    return eda.EdaSettings.from_params(Params(EDA_PARAMS, "weather.eda"))


def weather_params(**eda_overrides) -> Params:
    return Params(
        {
            "location": {"name": "Testville", "latitude": 52.0, "longitude": 4.6},
            "download": {"target": "temperature_2m"},
            "eda": EDA_PARAMS | eda_overrides,
        },
        "weather",
    )


def test_trend_slope_is_recovered(frame):
    daily, interpolated = eda.daily_means(frame["temperature_2m"])
    assert interpolated == 0 and len(daily) == 3 * 365 + 1
    trend = eda.linear_trend(daily, harmonics=2)
    assert trend.slope_per_decade == pytest.approx(10 * SLOPE_PER_YEAR, abs=0.15)
    assert trend.residual_std < 0.5  # trend + harmonics explain the daily means


def test_daily_amplitude_by_season(frame):
    amplitudes = eda.daily_amplitude(eda.daily_profile(frame["temperature_2m"]))
    assert list(amplitudes) == ["DJF", "MAM", "JJA", "SON"]
    for season, half_range in DAILY_HALF_RANGE.items():
        assert amplitudes[season] == pytest.approx(2 * half_range, abs=0.2)


def test_injected_anomaly_is_the_largest(frame, settings):
    daily, _ = eda.daily_means(frame["temperature_2m"])
    anomalies = eda.find_anomalies(daily, eda.day_climatology(daily), settings.anomaly_z)
    assert anomalies.index[0] == ANOMALY_DAY
    top = anomalies.iloc[0]
    assert top["z"] > 10
    assert top["observed"] - top["expected"] == pytest.approx(ANOMALY_DELTA, abs=1.0)
    assert len(anomalies) <= 10  # noise alone flags only a handful of days at 3 σ


def test_the_expected_value_of_a_day_inside_a_cold_spell_is_its_climatology_not_the_spell(frame):
    """Issue 14.8: a 3-week cold spell must not drag the reference of the days inside it down with it."""
    daily, _ = eda.daily_means(frame["temperature_2m"])
    normal = eda.day_climatology(daily)
    spell = daily.index[(daily.index >= "2022-11-20") & (daily.index < "2022-12-11")]
    cold = daily.copy()
    cold[spell] -= 8.0
    expected = eda.day_climatology(cold)
    day = pd.Timestamp("2022-12-02")
    # The spell is one year of the three in the day's window mean: the reference moves by a third of it at most.
    assert abs(expected[day] - normal[day]) <= 8.0 / 3 + 0.3
    top = eda.find_anomalies(cold, expected, 2.0)
    assert day in top.index and top.loc[day, "z"] < -2


def test_autocorrelation_shows_the_daily_cycle(frame):
    acfs = eda.autocorrelations(frame["temperature_2m"], 24)
    assert acfs["difference"][8] > 0.5 > acfs["difference"][4]
    assert acfs["level"][8] > acfs["level"][4]


def test_exogenous_correlations_split_directions_and_skip_when_absent(frame):
    table = eda.exogenous_correlations(frame, "temperature_2m")
    assert table.index[0] == "dew_point_2m" and table.loc["dew_point_2m", "same_time"] > 0.9
    assert "wind_direction_10m (east, sin)" in table.index and "wind_direction_10m" not in table.index
    assert eda.exogenous_correlations(frame[["temperature_2m"]], "temperature_2m").empty


def test_settings_are_validated():
    with pytest.raises(ParamError, match="weather.eda.stl_seasonal"):
        eda.EdaSettings.from_params(Params(EDA_PARAMS | {"stl_seasonal": 8}, "weather.eda"))
    with pytest.raises(ParamError, match="weather.eda.anomaly_z: missing"):
        eda.EdaSettings.from_params(Params({k: v for k, v in EDA_PARAMS.items() if k != "anomaly_z"}, "weather.eda"))


def test_too_short_a_series_is_a_clear_error(frame, settings):
    daily, _ = eda.daily_means(frame["temperature_2m"].loc[:"2022-06-30"])  # 2.5 years: too few for STL
    with pytest.raises(DataError, match="stl_period_days"):
        eda.stl_decompose(daily, settings)


def test_stage_writes_a_linked_report_with_provenance(tmp_path, frame):
    series_path, summary_path = tmp_path / "series_3h.csv.gz", tmp_path / "clean_summary.json"
    write_series(series_path, frame)
    write_json(
        summary_path,
        {
            "rows": len(frame) * 3,
            "start": "2020-01-01T00:00:00",
            "end": "2022-12-31T23:00:00",
            "filled_values": 4,
            "filled_by_column": {"temperature_2m": 4, "dew_point_2m": 0},
            "source": {"source": "csv", "kind": "synthetic", "description": "generated for the test"},
        },
    )
    html_path, json_path, figures = (
        tmp_path / "out" / "eda.html",
        tmp_path / "out" / "eda.json",
        tmp_path / "out" / "eda",
    )
    metrics = eda.run_eda(weather_params(stl_robust=False), series_path, summary_path, html_path, json_path, figures)

    html = html_path.read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert title == "Exploratory analysis — 3-hour temperature, Testville (synthetic)"
    assert 'id="provenance"' in html
    for expected in ("generated for the test", "synthetic", "4 by linear interpolation", "CC BY 4.0"):
        assert expected in html
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) == len(set(sources)) == 9 and all(src.endswith(".png") for src in sources)
    for src in sources:
        assert (html_path.parent / src).is_file(), src
        assert (html_path.parent / src).stat().st_size > 10_000
    assert sorted(p.name for p in figures.glob("*.png")) == sorted(Path(src).name for src in sources)
    assert ANOMALY_DAY.strftime("%Y-%m-%d") in html  # in the anomaly table and text

    saved = read_json(json_path)
    assert saved == metrics
    assert saved["trend_c_per_decade"] == pytest.approx(3.0, abs=0.15)
    assert saved["anomalies"]["largest_date"] == "2021-07-14"
    assert saved["daily_amplitude_c"]["summer"] == pytest.approx(6.0, abs=0.2)
    assert set(saved["correlations"]) == {
        "dew_point_2m",
        "wind_direction_10m (east, sin)",
        "wind_direction_10m (north, cos)",
    }
    assert saved["autocorrelation"]["lag1"] > saved["autocorrelation"]["lag4"]
