"""Open-Meteo hourly weather: the Historical Weather (archive) API client and the CSV readers.

Every reader returns a frame indexed by UTC time (tz-naive, hourly, named "time") whose
columns carry Open-Meteo's current variable names, whatever spelling the source used.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import requests
import requests_cache
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pipelines.common.errors import DataError, ParamError
from pipelines.common.logs import get_logger

log = get_logger("weather.sources")

ARCHIVE_URL = "https://archive-api.open-meteo.com/v1/archive"
ARCHIVE_FIRST_DAY = dt.date(1940, 1, 1)  # ERA5 starts in 1940
HOUR = pd.Timedelta(hours=1)
DAY = dt.timedelta(days=1)
TIME_FORMAT = "%Y-%m-%dT%H:%M"

# Older API spellings that the API still accepts and echoes back (e.g. "relativehumidity_2m").
_LEGACY_PREFIXES = {
    "relativehumidity_": "relative_humidity_",
    "dewpoint_": "dew_point_",
    "windspeed_": "wind_speed_",
    "winddirection_": "wind_direction_",
    "windgusts_": "wind_gusts_",
    "cloudcover": "cloud_cover",
}
_VARIABLE_NAME = re.compile(r"[a-z0-9_]+")
_UNITS_SUFFIX = re.compile(r"\s*\((.*)\)\s*$")  # "temperature_2m (°C)" in Open-Meteo CSV exports
_MISSING_TEXT = {"", "nan", "null"}
# Transient answers worth retrying (urllib3 waits as long as a 429's or 503's Retry-After says); any other 4xx
# is our request's fault and is not.
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_BACKOFF_S = 120


def canonical_name(name: str) -> str:
    """The current Open-Meteo name of a variable ("windspeed_10m" → "wind_speed_10m")."""
    for legacy, current in _LEGACY_PREFIXES.items():
        if name.startswith(legacy):
            return current + name[len(legacy) :]
    return name


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _as_date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ParamError(name, f"expected a date YYYY-MM-DD, got {value!r}") from None


def validate_request(
    latitude: float, longitude: float, start: Any, end: Any, variables: list[str]
) -> tuple[dt.date, dt.date]:
    """Check an archive request before sending it; return the period as dates."""
    if not -90 <= latitude <= 90:
        raise ParamError("weather.location.latitude", f"must be within [-90, 90], got {latitude}")
    if not -180 <= longitude <= 180:
        raise ParamError("weather.location.longitude", f"must be within [-180, 180], got {longitude}")
    first, last = _as_date(start, "weather.download.start"), _as_date(end, "weather.download.end")
    if first > last:
        raise ParamError("weather.download.start", f"{first} is after weather.download.end {last}")
    if first < ARCHIVE_FIRST_DAY:
        raise ParamError("weather.download.start", f"{first} is before {ARCHIVE_FIRST_DAY}, where the archive begins")
    if last > utc_today():
        raise ParamError("weather.download.end", f"{last} is in the future (today is {utc_today()} UTC)")
    if not variables:
        raise ParamError("weather.download", "no hourly variables requested")
    for variable in variables:
        if not isinstance(variable, str) or not _VARIABLE_NAME.fullmatch(variable):
            raise ParamError("weather.download", f"invalid variable name {variable!r}")
    return first, last


def year_chunks(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Split a period by calendar year: long single requests are slow and time out on the server."""
    return [
        (max(first, dt.date(year, 1, 1)), min(last, dt.date(year, 12, 31))) for year in range(first.year, last.year + 1)
    ]


def fetch_archive(
    latitude: float,
    longitude: float,
    start: Any,
    end: Any,
    variables: list[str],
    *,
    timezone: str = "GMT",
    session: requests.Session | None = None,
    timeout_s: float = 60,
    retries: int = 4,
    backoff_s: float = 2.0,
    cache_path: str | Path | None = None,
    cache_days: float = 1.0,
    url: str = ARCHIVE_URL,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Download hourly `variables` for the UTC days start…end from the archive API.

    Returns the frame and metadata: the grid cell the API chose, the request URLs, units,
    and the sha256 of the response bodies (in request order). Without an injected `session`, requests go
    through `open_meteo_session` (retries, and the answer cache at `cache_path` when given).
    """
    first, last = validate_request(latitude, longitude, start, end, variables)
    # The API cuts whole days in `timezone`; a day either side keeps the UTC days whole.
    pad = dt.timedelta(0) if timezone.upper() in ("GMT", "UTC") else DAY
    fetch_first, fetch_last = max(first - pad, ARCHIVE_FIRST_DAY), min(last + pad, utc_today())
    own_session = session is None
    session = session or open_meteo_session(retries, backoff_s, cache_path, cache_days)
    frames, urls, digest, body = [], [], hashlib.sha256(), {}
    try:
        for chunk_first, chunk_last in year_chunks(fetch_first, fetch_last):
            query = {
                "latitude": latitude,
                "longitude": longitude,
                "start_date": chunk_first.isoformat(),
                "end_date": chunk_last.isoformat(),
                "hourly": ",".join(variables),
                "timezone": timezone,
            }
            response = _get(session, url, query, timeout_s, retries)
            digest.update(response.content)
            urls.append(response.url)
            body = _json_body(response)
            frames.append(parse_archive_response(body, variables))
            log.info("Open-Meteo %s → %s: %d hours", chunk_first, chunk_last, len(frames[-1]))
    finally:
        if own_session:
            session.close()
    frame = pd.concat(frames)
    _raise_if_not_hourly(frame.index, "Open-Meteo responses put together")
    frame = frame.loc[pd.Timestamp(first) : pd.Timestamp(last) + DAY - HOUR]
    if frame.empty:
        raise DataError(f"empty download: Open-Meteo returned no hours within {first} → {last} UTC")
    units = {canonical_name(k): v for k, v in body.get("hourly_units", {}).items() if k != "time"}
    metadata = {
        "url": url,
        "requests": urls,
        "grid": {key: body.get(key) for key in ("latitude", "longitude", "elevation")},
        "timezone": body.get("timezone"),
        "utc_offset_seconds": body.get("utc_offset_seconds"),
        "units": {name: units[name] for name in frame.columns if name in units},
        "sha256": digest.hexdigest(),
    }
    return frame, metadata


def open_meteo_session(
    retries: int, backoff_s: float, cache_path: str | Path | None = None, cache_days: float = 1.0
) -> requests.Session:
    """A session that retries connection errors, timeouts, 429 and 5xx with exponential back-off (honouring
    Retry-After), and, with `cache_path`, keeps successful answers in a SQLite cache for `cache_days` (the
    archive revises its last days for a while: a short expiry, not forever)."""
    if cache_path is None:
        session = requests.Session()
    else:
        Path(cache_path).parent.mkdir(parents=True, exist_ok=True)
        session = requests_cache.CachedSession(
            str(cache_path), backend="sqlite", expire_after=dt.timedelta(days=cache_days), allowable_codes=(200,)
        )
    retry = Retry(
        total=retries,
        backoff_factor=backoff_s,
        backoff_max=MAX_BACKOFF_S,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer comes back, so its reason can be reported
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _get(session: requests.Session, url: str, query: dict, timeout_s: float, retries: int) -> requests.Response:
    """One GET through the session's retry policy; what is still failing after it becomes a DataError."""
    attempts = f"after {retries + 1} attempts"
    try:
        response = session.get(url, params=query, timeout=timeout_s)
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as error:
        cause = error.args[0] if error.args else error
        reason = getattr(cause, "reason", cause)  # urllib3's MaxRetryError carries the last error
        last = f"{type(error).__name__}: {reason}"
        raise DataError(f"Open-Meteo request failed {attempts}, last: {last} — {url}") from None
    if response.status_code in RETRY_STATUSES:
        raise DataError(
            f"Open-Meteo request failed {attempts}, last: HTTP {response.status_code}: {_reason(response)} — {url}"
        )
    if response.status_code >= 400:
        raise DataError(
            f"Open-Meteo rejected the request (HTTP {response.status_code}): {_reason(response)} — {response.url}"
        )
    if getattr(response, "from_cache", False):
        log.info("Open-Meteo answer from the cache: %s", response.url)
    return response


def _reason(response: requests.Response) -> str:
    """Open-Meteo explains errors as {"error": true, "reason": "..."}; fall back to the raw text."""
    try:
        reason = response.json().get("reason")
    except (ValueError, AttributeError):
        reason = None
    return str(reason) if reason else (response.text.strip()[:200] or response.reason)


def _json_body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise DataError(f"Open-Meteo answered with a body that is not JSON — {response.url}") from None


def parse_archive_response(body: Any, variables: list[str]) -> pd.DataFrame:
    """An archive API JSON body → hourly UTC frame with the (canonical) requested variables."""
    if not isinstance(body, dict):
        raise DataError(f"Open-Meteo response is not a JSON object but {type(body).__name__}")
    if body.get("error"):
        raise DataError(f"Open-Meteo response is an error: {body.get('reason')}")
    hourly = body.get("hourly")
    if not isinstance(hourly, dict) or "time" not in hourly:
        raise DataError(f"Open-Meteo response has no 'hourly' block with a 'time' array (keys: {', '.join(body)})")
    times = hourly["time"]
    if not times:
        raise DataError("Open-Meteo response has an empty 'hourly.time' array")
    columns = {canonical_name(key): values for key, values in hourly.items() if key != "time"}
    wanted = list(dict.fromkeys(canonical_name(name) for name in variables))
    missing = [name for name in wanted if name not in columns]
    if missing:
        raise DataError(f"Open-Meteo response lacks {', '.join(missing)} (it has: {', '.join(columns)})")
    data = {}
    for name in wanted:
        if len(columns[name]) != len(times):
            raise DataError(f"Open-Meteo response: {name} has {len(columns[name])} values for {len(times)} times")
        try:
            data[name] = np.asarray(columns[name], dtype=float)  # null → NaN
        except (TypeError, ValueError):
            raise DataError(f"Open-Meteo response: {name} holds non-numeric values") from None
    try:
        local = pd.to_datetime(times, format=TIME_FORMAT)
    except (TypeError, ValueError) as error:
        raise DataError(f"Open-Meteo response: cannot parse 'hourly.time': {error}") from None
    # One fixed offset applies to the whole response: the API does not follow daylight saving.
    index = pd.DatetimeIndex(local - pd.Timedelta(seconds=int(body.get("utc_offset_seconds", 0))), name="time")
    _raise_if_not_hourly(index, "Open-Meteo response")
    return pd.DataFrame(data, index=index)


def _hourly_problem(times: pd.DatetimeIndex) -> tuple[int, str] | None:
    """The position and description of the first duplicated timestamp or non-hourly step."""
    duplicated = np.flatnonzero(times.duplicated())
    if duplicated.size:
        return int(duplicated[0]), f"duplicated timestamp {times[duplicated[0]]:{TIME_FORMAT}}"
    steps = times[1:] - times[:-1]
    irregular = np.flatnonzero(steps != HOUR)
    if irregular.size:
        position = int(irregular[0]) + 1
        return position, f"step of {steps[irregular[0]]} before {times[position]:{TIME_FORMAT}} (expected 1 hour)"
    return None


def _raise_if_not_hourly(times: pd.DatetimeIndex, where: str) -> None:
    problem = _hourly_problem(times)
    if problem:
        raise DataError(f"{where}: {problem[1]}")


def read_openmeteo_csv(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read an Open-Meteo CSV (gzip or not) in either layout; times become UTC.

    Plain layout: `time,<variable>,...` with times in UTC (the shipped files).
    Export layout (website / `format=csv`): a location header line and its values line, a
    blank line, then `time,temperature_2m (°C),...` in local time at `utc_offset_seconds`.
    """
    path = Path(path)
    lines = _read_lines(path)
    metadata: dict[str, Any] = {"layout": "plain"}
    header_line = 0
    if lines and lines[0].startswith("latitude,"):
        metadata = _export_metadata(lines, path)
        header_line = next((i for i in range(2, len(lines)) if lines[i].strip()), len(lines))
    # A blank line ends the block: an export may append a daily block after the hourly one.
    end = next((i for i in range(header_line, len(lines)) if not lines[i].strip()), len(lines))
    if metadata["layout"] == "plain" and any(line.strip() for line in lines[end:]):
        raise DataError(f"{path}: blank line at line {end + 1} inside the data")
    rows = list(csv.reader(lines[header_line:end]))
    if len(rows) < 2:
        raise DataError(f"{path}: no data rows")
    ragged = next((i for i, row in enumerate(rows) if len(row) != len(rows[0])), None)
    if ragged is not None:
        line = header_line + ragged + 1
        raise DataError(f"{path}: line {line}: {len(rows[ragged])} fields where the header has {len(rows[0])}")
    raw = pd.DataFrame(rows[1:], columns=rows[0])
    names, units = [], {}
    for column in raw.columns:
        unit = _UNITS_SUFFIX.search(column)
        name = canonical_name(_UNITS_SUFFIX.sub("", column).strip())
        names.append(name)
        if unit:
            units[name] = unit.group(1)
    if "time" not in names:
        raise DataError(f"{path}: no 'time' column (columns: {', '.join(raw.columns)})")
    if len(set(names)) != len(names):
        raise DataError(f"{path}: a column appears twice (columns: {', '.join(names)})")
    raw.columns = names

    def line_of(row: int) -> int:  # 1-based line in the file of data row `row`
        return header_line + 2 + row

    times = pd.to_datetime(raw["time"], format="ISO8601", errors="coerce")
    bad = np.flatnonzero(times.isna())
    if bad.size:
        raise DataError(f"{path}: line {line_of(bad[0])}: cannot parse time {raw['time'].iloc[bad[0]]!r}")
    index = pd.DatetimeIndex(times - pd.Timedelta(seconds=metadata.get("utc_offset_seconds", 0)), name="time")
    problem = _hourly_problem(index)
    if problem:
        raise DataError(f"{path}: line {line_of(problem[0])}: {problem[1]}")
    frame = pd.DataFrame(index=index)
    for name in (n for n in names if n != "time"):
        values = pd.to_numeric(raw[name], errors="coerce")
        failed = raw[name][values.isna()]  # empty cells, and text that is not a number
        bad = failed[~failed.str.strip().str.lower().isin(_MISSING_TEXT)]
        if len(bad):
            raise DataError(f"{path}: line {line_of(bad.index[0])}, column {name}: not a number: {bad.iloc[0]!r}")
        frame[name] = values.to_numpy(dtype=float)
    if units:
        metadata["units"] = {name: units[name] for name in frame.columns if name in units}
    return frame, metadata


def _read_lines(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":  # gzip magic: decide by content, not by the file name
            data = gzip.decompress(data)
        return data.decode("utf-8-sig").splitlines()
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read {path}: {error}") from None


def _export_metadata(lines: list[str], path: Path) -> dict[str, Any]:
    """The location header of an Open-Meteo CSV export (lines 1–2)."""
    rows = list(csv.reader(lines[:2]))
    if len(rows) < 2 or len(rows[0]) != len(rows[1]):
        raise DataError(f"{path}: line 2: the location values do not match the header on line 1")
    header = dict(zip(rows[0], rows[1]))
    if "location_id" in header:
        raise DataError(f"{path}: multi-location exports are not supported; export one location")
    try:
        return {
            "layout": "export",
            "grid": {key: float(header[key]) for key in ("latitude", "longitude", "elevation") if header.get(key)},
            "utc_offset_seconds": int(float(header.get("utc_offset_seconds") or 0)),
            "timezone": header.get("timezone"),
        }
    except ValueError as error:
        raise DataError(f"{path}: line 2: bad location value: {error}") from None


def select_variables(frame: pd.DataFrame, target: str, exogenous: list[str]) -> pd.DataFrame:
    """The target column first, then the exogenous ones in the order asked."""
    target = canonical_name(target)
    wanted = [canonical_name(name) for name in exogenous]
    has = ", ".join(frame.columns)
    if target not in frame.columns:
        raise ParamError("weather.download.target", f"{target} is not in the data; it has: {has}")
    missing = [name for name in wanted if name not in frame.columns]
    if missing:
        raise ParamError("weather.download.exogenous", f"{', '.join(missing)} not in the data; it has: {has}")
    if target in wanted or len(set(wanted)) != len(wanted):
        raise ParamError("weather.download.exogenous", "lists a variable twice or repeats the target")
    return frame[[target, *wanted]]


def select_period(frame: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    """The rows of the UTC days start…end; the data must reach into both days."""
    first, last = _as_date(start, "weather.download.start"), _as_date(end, "weather.download.end")
    if first > last:
        raise ParamError("weather.download.start", f"{first} is after weather.download.end {last}")
    if frame.empty:
        raise DataError("empty download: no rows")
    begins, ends = frame.index[0], frame.index[-1]
    if begins.date() > first or ends.date() < last:
        raise DataError(
            f"period {first} → {last} is outside the data, which covers "
            f"{begins:{TIME_FORMAT}} → {ends:{TIME_FORMAT}} UTC"
        )
    return frame.loc[pd.Timestamp(first) : pd.Timestamp(last) + DAY - HOUR]


def trim_trailing_empty(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, int]:
    """Drop trailing rows whose target is empty: the reanalysis had not reached those hours yet."""
    present = frame[target].notna().to_numpy()
    if not present.any():
        raise DataError(f"empty download: every {target} value is empty")
    keep = len(present) - int(np.argmax(present[::-1]))
    return frame.iloc[:keep], len(frame) - keep
