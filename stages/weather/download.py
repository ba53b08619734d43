"""Stage: hourly Open-Meteo weather (a CSV export on disk or the live archive API) → data/raw/weather."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipelines.common.errors import ParamError
from pipelines.common.io import write_csv, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import Params, load_params
from pipelines.common.paths import pipeline_dirs, resolve, shown
from pipelines.common.provenance import file_sha256
from pipelines.common.stage import run_stage
from pipelines.weather.data import TIME_FORMAT
from pipelines.weather.paths import RAW_HOURLY, RAW_SOURCE
from pipelines.weather.sources import (
    ARCHIVE_URL,
    fetch_archive,
    read_openmeteo_csv,
    select_period,
    select_variables,
    trim_trailing_empty,
)

log = get_logger("weather.download")

LICENCE = "CC BY 4.0 — Weather data by Open-Meteo.com"
DESCRIPTION = "Open-Meteo Historical Weather (ERA5 reanalysis)"
SUPPORTED_TARGET = "temperature_2m"

# A plain CSV does not say which grid cell it holds; the shipped samples are recognised by
# content hash (origins documented in the data README).
KNOWN_SAMPLES = {
    "8f57a44a6be514ceafd7a2ec6c9b2127e582251a93ab19ebdc81055572bdfc4c": {
        "grid": {"latitude": 52.478031, "longitude": 4.684015, "elevation": 8.0},
        "origin": "archive API response (lat 52.4779, lon 4.61, 2018-01-01 → 2025-04-04, requested 2025-04-04) "
        "recovered from the requests-cache of TimLprogrammer/tata-steel-weather-app",
    },
    "96e3de5b9ce9cb0cff48dc2f5aaafff587b14df2227eab5e2f298589615647c4": {
        "grid": {"latitude": 48.822495, "longitude": 2.288136, "elevation": 36.0},
        "origin": "archive API response (lat 48.8566, lon 2.3522, 2014-01-01 → 2024-12-31, cached 2025-12-18) "
        "recovered from the requests-cache of 2025-2026-estia-bihar/manuelli_laurent_projet_final",
    },
}


def download(params: Params, *, url: str = ARCHIVE_URL) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read or download the hourly data the `weather` params ask for; return it and its provenance.

    `url` is the archive endpoint (tests point it at a local server).
    """
    location, settings = params.section("location"), params.section("download")
    name = location.get("name", type_=str)
    latitude = location.number("latitude", minimum=-90, maximum=90)
    longitude = location.number("longitude", minimum=-180, maximum=180)
    source = settings.choice("source", ("csv", "open-meteo"))
    target = settings.get("target", type_=str)
    if target != SUPPORTED_TARGET:
        raise ParamError(
            settings.name("target"),
            f"{target!r} is not supported: the database, the API and the reports forecast {SUPPORTED_TARGET!r}",
        )
    exogenous = settings.string_list("exogenous", [])
    start, end = settings.get("start"), settings.get("end")

    if source == "csv":
        frame, details = _read_csv(settings, name)
    else:
        log.info("downloading %s from %s, %s → %s", ", ".join([target, *exogenous]), url, start, end)
        frame, metadata = fetch_archive(
            latitude,
            longitude,
            start,
            end,
            [target, *exogenous],
            timezone=settings.get("timezone", "GMT", type_=str),
            timeout_s=settings.number("timeout_s", 60, minimum=1),
            retries=settings.integer("retries", 4, minimum=0),
            backoff_s=settings.number("backoff_s", 2.0, minimum=0),
            cache_path=resolve(cache) if (cache := settings.get("http_cache", None)) else None,
            cache_days=settings.number("cache_days", 1, minimum=0),
            url=url,
        )
        details = {
            "source": "open-meteo",
            "kind": "real-api",
            "description": f"{DESCRIPTION} API, {name}, downloaded in {len(metadata['requests'])} request(s)",
            **_described(metadata),
            "url": metadata["url"],
            "requests": metadata["requests"],
            "sha256": metadata["sha256"],
        }
    frame = select_period(select_variables(frame, target, exogenous), start, end)
    frame, trimmed = trim_trailing_empty(frame, target)
    if trimmed:
        log.info("dropped %d trailing hours with no %s (not yet covered by the reanalysis)", trimmed, target)
    log.info("%d hours of %s, %s → %s UTC", len(frame), ", ".join(frame.columns), frame.index[0], frame.index[-1])
    heading = {key: details.pop(key) for key in ("source", "kind", "description")}
    return frame, {
        **heading,
        "location": {"name": name, "latitude": latitude, "longitude": longitude},
        **details,
        "time_zone": "UTC",
        "rows": len(frame),
        "start": frame.index[0].strftime(TIME_FORMAT),
        "end": frame.index[-1].strftime(TIME_FORMAT),
        "trimmed_trailing_rows": trimmed,
        "variables": list(frame.columns),
        "licence": LICENCE,
    }


def _read_csv(settings: Params, name: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    path = resolve(settings.get("csv_path", type_=str))
    if not path.is_file():
        raise ParamError(settings.name("csv_path"), f"file not found: {path}")
    log.info("reading %s", shown(path))
    frame, metadata = read_openmeteo_csv(path)
    sha256 = file_sha256(path)
    known = KNOWN_SAMPLES.get(sha256, {})
    shipped = path.parent == pipeline_dirs("weather")["external"]
    where = f"shipped in {shown(path.parent)}" if shipped else f"read from {shown(path)}"
    return frame, {
        "source": "csv",
        "kind": "real-sample",
        "description": f"{DESCRIPTION} export, {name}, {where}",
        **_described({**known, **metadata}),
        "file": shown(path),
        "sha256": sha256,
        "layout": metadata["layout"],
    }


def _described(metadata: dict[str, Any]) -> dict[str, Any]:
    """What a source says about itself: grid cell, original time zone, units, origin — when known."""
    keys = {
        "grid": "grid",
        "timezone": "source_timezone",
        "utc_offset_seconds": "utc_offset_seconds",
        "units": "units",
        "origin": "origin",
    }
    return {out: metadata[key] for key, out in keys.items() if metadata.get(key) is not None}


def main() -> None:
    frame, provenance = download(load_params("weather"))
    write_csv(RAW_HOURLY, frame, date_format=TIME_FORMAT, index_label="time")
    write_json(RAW_SOURCE, provenance)
    log.info("wrote %s and %s", shown(RAW_HOURLY), shown(RAW_SOURCE))


if __name__ == "__main__":
    run_stage(main, "weather.download")
