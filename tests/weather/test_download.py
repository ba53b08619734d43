"""The download stage: params → hourly UTC frame + provenance, from the shipped CSV or the API (local replay)."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from pipelines.common.errors import DataError, ParamError
from pipelines.common.io import read_json
from pipelines.common.params import Params
from pipelines.weather.data import read_series
from stages.weather import download as stage
from stages.weather.download import download
from tests.weather.test_sources import BA_TIMEZONE, ReplayServer, load_buenos_aires

EXOGENOUS = ["relative_humidity_2m", "pressure_msl", "wind_speed_10m"]
IJMUIDEN_SHA256 = "8f57a44a6be514ceafd7a2ec6c9b2127e582251a93ab19ebdc81055572bdfc4c"


def weather_params(**download_overrides) -> Params:
    settings = {
        "source": "csv",
        "csv_path": "data/external/weather/ijmuiden_hourly.csv.gz",
        "start": "2025-03-01",
        "end": "2025-04-04",
        "timezone": "GMT",
        "target": "temperature_2m",
        "exogenous": EXOGENOUS,
        "timeout_s": 5,
        "retries": 1,
        "backoff_s": 0.001,
    }
    location = {"name": "IJmuiden", "latitude": 52.4779, "longitude": 4.61}
    return Params({"location": location, "download": settings | download_overrides}, "weather")


def test_shipped_csv_gives_utc_hours_and_honest_provenance():
    frame, provenance = download(weather_params())
    assert list(frame.columns) == ["temperature_2m", *EXOGENOUS]
    assert frame.index[0] == pd.Timestamp("2025-03-01T00:00")
    assert frame.index[-1] == pd.Timestamp("2025-04-03T00:00")  # ERA5 stopped there when the file was made
    assert frame["temperature_2m"].notna().all()
    assert provenance["source"] == "csv" and provenance["kind"] == "real-sample"
    assert provenance["description"].endswith("IJmuiden, shipped in data/external/weather")
    assert provenance["file"] == "data/external/weather/ijmuiden_hourly.csv.gz"
    assert provenance["sha256"] == IJMUIDEN_SHA256
    assert provenance["grid"] == {"latitude": 52.478031, "longitude": 4.684015, "elevation": 8.0}
    assert provenance["trimmed_trailing_rows"] == 47
    assert provenance["rows"] == len(frame) == 33 * 24 + 1
    assert (provenance["start"], provenance["end"]) == ("2025-03-01T00:00", "2025-04-03T00:00")
    assert provenance["variables"] == list(frame.columns)
    assert provenance["licence"] == "CC BY 4.0 — Weather data by Open-Meteo.com"


def test_a_dropped_in_export_is_read_with_its_own_grid(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "latitude,longitude,elevation,utc_offset_seconds,timezone,timezone_abbreviation\n"
        "52.478031,4.684015,8.0,0,GMT,GMT\n\n"
        "time,temperature_2m (°C),relativehumidity_2m (%)\n"
        + "".join(f"2025-01-01T{hour:02d}:00,{hour / 2},{80 + hour}\n" for hour in range(24)),
        encoding="utf-8",
    )
    frame, provenance = download(
        weather_params(csv_path=str(path), start="2025-01-01", end="2025-01-01", exogenous=["relative_humidity_2m"])
    )
    assert len(frame) == 24 and provenance["layout"] == "export"
    assert provenance["description"].endswith(f"read from {path}")
    assert provenance["units"] == {"temperature_2m": "°C", "relative_humidity_2m": "%"}
    assert provenance["grid"]["longitude"] == 4.684015 and "origin" not in provenance


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"exogenous": ["shortwave_radiation"]}, ParamError, "weather.download.exogenous: shortwave_radiation"),
        ({"source": "ftp"}, ParamError, "weather.download.source: must be one of csv, open-meteo"),
        ({"csv_path": "data/external/weather/absent.csv"}, ParamError, "weather.download.csv_path: file not found"),
        ({"start": "2017-01-01"}, DataError, "outside the data, which covers 2018-01-01T00:00"),
    ],
)
def test_bad_params_fail_clearly(overrides, error, message):
    with pytest.raises(error, match=message):
        download(weather_params(**overrides))


def test_an_empty_target_is_an_empty_download(tmp_path):
    path = tmp_path / "empty.csv.gz"
    path.write_bytes(gzip.compress(b"time,temperature_2m\n2025-01-01T00:00,\n2025-01-01T01:00,\n"))
    with pytest.raises(DataError, match="empty download"):
        download(weather_params(csv_path=str(path), start="2025-01-01", end="2025-01-01", exogenous=[]))


def test_api_source_downloads_over_http_with_api_provenance():
    params = weather_params(
        source="open-meteo",
        start="2015-12-30",
        end="2016-01-02",
        timezone=BA_TIMEZONE,
        exogenous=["relative_humidity_2m", "wind_speed_10m"],
    )
    with ReplayServer(load_buenos_aires()) as server:
        frame, provenance = download(params, url=server.url)
    assert [(r["start_date"], r["end_date"]) for r in server.requests] == [
        ("2015-12-29", "2015-12-31"),
        ("2016-01-01", "2016-01-03"),
    ]
    assert server.requests[0]["hourly"] == "temperature_2m,relative_humidity_2m,wind_speed_10m"
    assert len(frame) == 4 * 24 and frame.notna().all().all()
    assert provenance["source"] == "open-meteo" and provenance["kind"] == "real-api"
    assert provenance["url"] == server.url and len(provenance["requests"]) == 2
    assert provenance["grid"] == {"latitude": -34.622143, "longitude": -58.40909, "elevation": 18.0}
    assert provenance["source_timezone"] == BA_TIMEZONE and provenance["utc_offset_seconds"] == -10800
    assert provenance["trimmed_trailing_rows"] == 0


def test_main_writes_the_raw_files_atomically(tmp_path, monkeypatch):
    monkeypatch.setattr(stage, "load_params", lambda section: weather_params())
    monkeypatch.setattr(stage, "RAW_HOURLY", tmp_path / "hourly.csv.gz")
    monkeypatch.setattr(stage, "RAW_SOURCE", tmp_path / "source.json")
    stage.main()
    with gzip.open(tmp_path / "hourly.csv.gz", "rt") as handle:
        assert handle.readline().strip() == "time,temperature_2m," + ",".join(EXOGENOUS)
        assert handle.readline().startswith("2025-03-01T00:00,")
    hourly = read_series(tmp_path / "hourly.csv.gz")
    provenance = read_json(tmp_path / "source.json")
    assert len(hourly) == provenance["rows"] and provenance["sha256"] == IJMUIDEN_SHA256
    assert sorted(path.name for path in tmp_path.iterdir()) == ["hourly.csv.gz", "source.json"]
