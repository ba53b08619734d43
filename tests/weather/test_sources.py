"""Open-Meteo readers and the archive client, tested on real recorded responses and the shipped CSVs.

The client talks real HTTP to a local server that replays the recorded Buenos Aires body,
sliced to the dates and variables each request asks for.
"""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd
import pytest
import requests

from pipelines.common.errors import DataError, ParamError
from pipelines.common.paths import EXTERNAL_DIR
from pipelines.weather.sources import (
    canonical_name,
    fetch_archive,
    parse_archive_response,
    read_openmeteo_csv,
    select_period,
    select_variables,
    trim_trailing_empty,
    year_chunks,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "open_meteo"
BUENOS_AIRES = FIXTURES / "archive_buenos_aires_2010_2019.json.gz"
PARIS = FIXTURES / "archive_paris_2025.json"
BA_TIMEZONE = "America/Argentina/Buenos_Aires"
BA_VARIABLES = ["temperature_2m", "relative_humidity_2m", "wind_speed_10m", "precipitation"]


def load_buenos_aires() -> dict:
    with gzip.open(BUENOS_AIRES, "rt", encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def buenos_aires() -> dict:
    return load_buenos_aires()


class ReplayServer:
    """A local archive endpoint: answers from `plan` first ((status, json body) pairs), then replays."""

    def __init__(self, body: dict):
        self.body = body
        self.plan: list[tuple[int, dict]] = []
        self.requests: list[dict[str, str]] = []
        self.days = np.array([t[:10] for t in body["hourly"]["time"]])  # local dates, as the API filters
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = {key: values[0] for key, values in parse_qs(urlparse(self.path).query).items()}
                server.requests.append(query)
                status, answer, *headers = server.plan.pop(0) if server.plan else server.replay(query)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                for name, value in (headers[0] if headers else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/archive"

    def replay(self, query: dict[str, str]) -> tuple[int, dict]:
        """The recorded body, restricted as the real API would restrict it (or its 400 answers)."""
        if query.get("timezone") != self.body["timezone"]:
            return 400, {"error": True, "reason": f"replay holds only {self.body['timezone']} data"}
        recorded = {canonical_name(key): key for key in self.body["hourly"]}
        unknown = [name for name in query["hourly"].split(",") if canonical_name(name) not in recorded]
        if unknown:
            return 400, {"error": True, "reason": f"Cannot initialize variable from invalid String value {unknown[0]}"}
        rows = np.flatnonzero((self.days >= query["start_date"]) & (self.days <= query["end_date"]))
        hourly = {"time": [self.body["hourly"]["time"][i] for i in rows]}
        for name in query["hourly"].split(","):  # the API echoes the names asked for
            values = self.body["hourly"][recorded[canonical_name(name)]]
            hourly[name] = [values[i] for i in rows]
        return 200, {**{k: v for k, v in self.body.items() if k != "hourly"}, "hourly": hourly}

    def __enter__(self) -> Self:
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(buenos_aires):
    with ReplayServer(buenos_aires) as running:
        yield running


def fetch(server: ReplayServer, start="2012-03-01", end="2012-03-03", variables=("temperature_2m",), **kwargs):
    options = {"timezone": BA_TIMEZONE, "retries": 2, "backoff_s": 0.001, "timeout_s": 5, "url": server.url}
    return fetch_archive(-34.6037, -58.3816, start, end, list(variables), **(options | kwargs))


# --- parsing recorded API bodies -------------------------------------------------------------


def test_parse_paris_fixture_converts_local_time_to_utc():
    body = json.loads(PARIS.read_text(encoding="utf-8"))
    frame = parse_archive_response(body, ["temperature_2m", "pressure_msl", "wind_speed_10m"])
    assert len(frame) == 2184
    assert frame.index.name == "time" and frame.index.tz is None
    assert frame.index[0] == pd.Timestamp("2025-10-27T23:00")  # 2025-10-28T00:00 at UTC+1
    assert frame.index[-1] == pd.Timestamp("2026-01-26T22:00")
    assert (frame.index[1:] - frame.index[:-1] == pd.Timedelta(hours=1)).all()
    assert frame["temperature_2m"].iloc[0] == body["hourly"]["temperature_2m"][0]


def test_parse_buenos_aires_fixture_maps_legacy_names(buenos_aires):
    frame = parse_archive_response(buenos_aires, ["temperature_2m", "relative_humidity_2m", "windspeed_10m"])
    assert list(frame.columns) == ["temperature_2m", "relative_humidity_2m", "wind_speed_10m"]
    assert len(frame) == 87_648
    assert frame.index[0] == pd.Timestamp("2010-01-01T03:00")  # 00:00 at UTC−3
    assert frame.index[-1] == pd.Timestamp("2020-01-01T02:00")
    assert frame["relative_humidity_2m"].iloc[0] == buenos_aires["hourly"]["relativehumidity_2m"][0]
    assert frame.notna().all().all()
    assert frame["temperature_2m"].between(-0.7, 36.5).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda body: body.pop("hourly"), "no 'hourly' block"),
        (lambda body: body["hourly"].pop("time"), "no 'hourly' block"),
        (lambda body: body["hourly"]["temperature_2m"].pop(), "3 values for 4 times"),
        (lambda body: body["hourly"].pop("pressure_msl"), "lacks pressure_msl"),
        (lambda body: body["hourly"].update(time=[], temperature_2m=[], pressure_msl=[]), "empty 'hourly.time'"),
        (lambda body: body["hourly"]["time"].__setitem__(2, "2025-10-28T01:00"), "duplicated timestamp"),
        (lambda body: body["hourly"]["pressure_msl"].__setitem__(0, "high"), "non-numeric"),
        (lambda body: body.update(error=True, reason="Something went wrong."), "Something went wrong."),
    ],
)
def test_parse_rejects_unexpected_bodies(change, message):
    body = json.loads(PARIS.read_text(encoding="utf-8"))
    body["hourly"] = {key: values[:4] for key, values in body["hourly"].items()}
    change(body)
    with pytest.raises(DataError, match=message):
        parse_archive_response(body, ["temperature_2m", "pressure_msl"])


def test_parse_keeps_nulls_as_missing_values():
    body = json.loads(PARIS.read_text(encoding="utf-8"))
    body["hourly"]["temperature_2m"][-1] = None
    assert np.isnan(parse_archive_response(body, ["temperature_2m"])["temperature_2m"].iloc[-1])


# --- the client over HTTP --------------------------------------------------------------------


def test_client_splits_a_long_period_by_year_and_covers_whole_utc_days(server, buenos_aires):
    frame, metadata = fetch(server, "2011-06-01", "2013-02-10", variables=BA_VARIABLES)
    # A day of padding either side, because the API cuts days in local time (UTC−3).
    assert [(r["start_date"], r["end_date"]) for r in server.requests] == [
        ("2011-05-31", "2011-12-31"),
        ("2012-01-01", "2012-12-31"),
        ("2013-01-01", "2013-02-11"),
    ]
    assert frame.index[0] == pd.Timestamp("2011-06-01T00:00")
    assert frame.index[-1] == pd.Timestamp("2013-02-10T23:00")
    whole = parse_archive_response(buenos_aires, BA_VARIABLES).loc[frame.index[0] : frame.index[-1]]
    pd.testing.assert_frame_equal(frame, whole)
    assert metadata["grid"] == {"latitude": -34.622143, "longitude": -58.40909, "elevation": 18.0}
    assert metadata["utc_offset_seconds"] == -10800 and metadata["units"]["relative_humidity_2m"] == "%"
    assert len(metadata["requests"]) == 3 and len(metadata["sha256"]) == 64


def test_year_chunks_cover_the_period_exactly():
    chunks = year_chunks(dt.date(2018, 1, 1), dt.date(2025, 4, 4))
    assert len(chunks) == 8 and chunks[0] == (dt.date(2018, 1, 1), dt.date(2018, 12, 31))
    assert chunks[-1] == (dt.date(2025, 1, 1), dt.date(2025, 4, 4))
    assert all(b[0] - a[1] == dt.timedelta(days=1) for a, b in itertools.pairwise(chunks))


def test_client_retries_server_errors_with_back_off(server):
    server.plan = [(500, {"error": True, "reason": "Something went wrong."}), (429, {"reason": "Too many"})]
    frame, _ = fetch(server, retries=2)
    assert len(server.requests) == 3
    assert len(frame) == 72


def test_client_gives_up_after_the_retries(server):
    server.plan = [(503, {"error": True, "reason": "Service Unavailable"})] * 3
    with pytest.raises(DataError, match="after 3 attempts.*HTTP 503: Service Unavailable"):
        fetch(server, retries=2)
    assert len(server.requests) == 3


def test_client_waits_as_long_as_retry_after_says(server):
    server.plan = [(429, {"reason": "Too many requests"}, {"Retry-After": "1"})]
    started = time.monotonic()
    frame, _ = fetch(server, retries=2)  # back-off alone would wait 1 ms
    assert time.monotonic() - started >= 1.0
    assert len(server.requests) == 2 and len(frame) == 72


def test_answers_come_from_the_cache_on_the_second_download(server, tmp_path):
    cache = tmp_path / "cache" / "open-meteo.sqlite"
    first, meta_first = fetch(server, cache_path=cache)
    sent = len(server.requests)
    second, meta_second = fetch(server, cache_path=cache)
    assert len(server.requests) == sent  # nothing sent the second time
    pd.testing.assert_frame_equal(first, second)
    assert meta_first["sha256"] == meta_second["sha256"]
    other, _ = fetch(server, cache_path=cache, start="2012-03-02")  # another period is another request
    assert len(server.requests) == sent + 1 and len(other) == 48


def test_client_retries_connection_errors():
    with ReplayServer({"hourly": {"time": []}}) as closed:
        url = closed.url
    with pytest.raises(DataError, match="after 2 attempts.*ConnectionError"):
        fetch_archive(0, 0, "2012-03-01", "2012-03-01", ["temperature_2m"], retries=1, backoff_s=0.001, url=url)


def test_client_surfaces_a_400_reason_without_retrying(server):
    with pytest.raises(DataError, match="HTTP 400.*invalid String value temperature_3m"):
        fetch(server, variables=["temperature_2m", "temperature_3m"], retries=3)
    assert len(server.requests) == 1


def test_client_rejects_a_body_without_hourly_data(server):
    server.plan = [(200, {"latitude": -34.62, "longitude": -58.41, "utc_offset_seconds": -10800})]
    with pytest.raises(DataError, match="no 'hourly' block"):
        fetch(server)


def test_client_uses_an_injected_session(server):
    with requests.Session() as session:
        session.headers["User-Agent"] = "weather-tests"
        frame, _ = fetch(server, session=session)
    assert len(frame) == 72


class NoNetwork:
    def get(self, *args, **kwargs):
        raise AssertionError("a request was sent although the parameters are invalid")


@pytest.mark.parametrize(
    ("latitude", "longitude", "start", "end", "variables", "name", "message"),
    [
        (52.5, 4.6, "2020-02-01", "2020-01-01", ["temperature_2m"], "weather.download.start", "after"),
        (52.5, 4.6, "2020-01-01", "2999-01-01", ["temperature_2m"], "weather.download.end", "in the future"),
        (52.5, 4.6, "1939-12-31", "1940-01-31", ["temperature_2m"], "weather.download.start", "before 1940-01-01"),
        (52.5, 4.6, "2020-01-01", "31/01/2020", ["temperature_2m"], "weather.download.end", "YYYY-MM-DD"),
        (91.0, 4.6, "2020-01-01", "2020-01-31", ["temperature_2m"], "weather.location.latitude", r"\[-90, 90\]"),
        (52.5, -181, "2020-01-01", "2020-01-31", ["temperature_2m"], "weather.location.longitude", "180"),
        (52.5, 4.6, "2020-01-01", "2020-01-31", [], "weather.download", "no hourly variables"),
        (52.5, 4.6, "2020-01-01", "2020-01-31", ["temperature_2m,rain"], "weather.download", "invalid variable"),
    ],
)
def test_client_validates_before_any_request(latitude, longitude, start, end, variables, name, message):
    with pytest.raises(ParamError, match=message) as caught:
        fetch_archive(latitude, longitude, start, end, variables, session=NoNetwork())
    assert caught.value.name == name


# --- CSV files -------------------------------------------------------------------------------


def test_shipped_ijmuiden_csv_reads_and_trims_the_hours_era5_had_not_reached():
    frame, metadata = read_openmeteo_csv(EXTERNAL_DIR / "weather" / "ijmuiden_hourly.csv.gz")
    assert metadata == {"layout": "plain"}
    assert len(frame) == 63_624 and len(frame.columns) == 10
    assert frame.index[0] == pd.Timestamp("2018-01-01T00:00") and frame.index[-1] == pd.Timestamp("2025-04-04T23:00")
    trimmed, count = trim_trailing_empty(frame, "temperature_2m")
    assert count == 47
    assert trimmed.index[-1] == pd.Timestamp("2025-04-03T00:00")
    assert trimmed.notna().all().all()


def test_shipped_paris_csv_reads_whole():
    frame, _ = read_openmeteo_csv(EXTERNAL_DIR / "weather" / "paris_hourly.csv.gz")
    assert list(frame.columns) == ["temperature_2m"] and len(frame) == 96_432
    assert trim_trailing_empty(frame, "temperature_2m")[1] == 0
    assert frame["temperature_2m"].between(-9.9, 41).all()


EXPORT = """latitude,longitude,elevation,utc_offset_seconds,timezone,timezone_abbreviation
48.89279,2.2920206,36.0,3600,Europe/Paris,GMT+1

time,temperature_2m (°C),relativehumidity_2m (%),wind_speed_10m (km/h)
2025-10-28T00:00,9.8,93,7.2
2025-10-28T01:00,9.5,,6.9
2025-10-28T02:00,9.1,95,6.5

time,temperature_2m_max (°C)
2025-10-28,12.4
"""


@pytest.mark.parametrize("compress", [False, True])
def test_export_layout_with_location_header_and_units(tmp_path, compress):
    path = tmp_path / ("export.csv.gz" if compress else "export.csv")
    path.write_bytes(gzip.compress(EXPORT.encode()) if compress else EXPORT.encode())
    frame, metadata = read_openmeteo_csv(path)
    assert list(frame.columns) == ["temperature_2m", "relative_humidity_2m", "wind_speed_10m"]
    assert list(frame.index) == list(pd.date_range("2025-10-27T23:00", periods=3, freq="h"))
    assert frame["temperature_2m"].tolist() == [9.8, 9.5, 9.1]
    assert np.isnan(frame["relative_humidity_2m"].iloc[1])
    assert metadata == {
        "layout": "export",
        "grid": {"latitude": 48.89279, "longitude": 2.2920206, "elevation": 36.0},
        "utc_offset_seconds": 3600,
        "timezone": "Europe/Paris",
        "units": {"temperature_2m": "°C", "relative_humidity_2m": "%", "wind_speed_10m": "km/h"},
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no data rows"),
        ("date,temperature_2m\n2025-01-01T00:00,1.0\n", "no 'time' column"),
        ("time,temperature_2m\n2025-01-01T00:00,1.0\n2025-01-01 xx,2.0\n", "line 3: cannot parse time '2025-01-01 xx'"),
        ("time,temperature_2m\n2025-01-01T00:00,1.0\n2025-01-01T01:00,warm\n", "line 3, column temperature_2m"),
        ("time,temperature_2m\n2025-01-01T00:00,1.0\n2025-01-01T00:00,2.0\n", "line 3: duplicated timestamp"),
        ("time,temperature_2m\n2025-01-01T00:00,1.0\n2025-01-01T03:00,2.0\n", "line 3: step of 0 days 03:00"),
        ("time,temperature_2m\n2025-01-01T00:00,1.0\n\n2025-01-01T01:00,2.0\n", "blank line at line 3"),
        ("time,temperature_2m,temperature_2m (°C)\n2025-01-01T00:00,1.0,1.0\n", "a column appears twice"),
        ("time,temperature_2m\n2025-01-01T00:00,1.0,7\n", "line 2: 3 fields where the header has 2"),
        ("latitude,longitude\n48.9\n\ntime,temperature_2m\n2025-01-01T00:00,1.0\n", "line 2: the location values"),
    ],
)
def test_malformed_csv_names_file_and_problem(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message) as caught:
        read_openmeteo_csv(path)
    assert str(path) in str(caught.value)


def test_missing_csv_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        read_openmeteo_csv(tmp_path / "absent.csv")


# --- selection helpers -----------------------------------------------------------------------


@pytest.fixture
def small() -> pd.DataFrame:
    index = pd.date_range("2025-01-01", periods=72, freq="h", name="time")
    return pd.DataFrame({"temperature_2m": np.arange(72.0), "cloud_cover": 50.0, "pressure_msl": 1013.0}, index=index)


def test_select_variables_orders_target_first_and_accepts_legacy_names(small):
    assert list(select_variables(small, "temperature_2m", ["pressure_msl", "cloudcover"]).columns) == [
        "temperature_2m",
        "pressure_msl",
        "cloud_cover",
    ]


def test_select_variables_names_the_param_and_what_the_file_has(small):
    with pytest.raises(ParamError, match="shortwave_radiation not in the data; it has: temperature_2m") as caught:
        select_variables(small, "temperature_2m", ["cloud_cover", "shortwave_radiation"])
    assert caught.value.name == "weather.download.exogenous"
    with pytest.raises(ParamError, match="weather.download.target"):
        select_variables(small, "temperature_80m", [])


def test_select_period_keeps_whole_utc_days(small):
    day = select_period(small, "2025-01-02", "2025-01-02")
    assert day.index[0] == pd.Timestamp("2025-01-02T00:00") and day.index[-1] == pd.Timestamp("2025-01-02T23:00")


@pytest.mark.parametrize(("start", "end"), [("2024-12-30", "2025-01-02"), ("2025-01-02", "2025-01-05")])
def test_select_period_outside_the_data_is_an_error(small, start, end):
    with pytest.raises(DataError, match="outside the data, which covers 2025-01-01T00:00 → 2025-01-03T23:00"):
        select_period(small, start, end)


def test_all_empty_target_is_an_empty_download(small):
    small["temperature_2m"] = np.nan
    with pytest.raises(DataError, match="empty download"):
        trim_trailing_empty(small, "temperature_2m")
    with pytest.raises(DataError, match="empty download"):
        select_period(small.iloc[:0], "2025-01-01", "2025-01-01")
