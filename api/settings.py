"""Service settings, read once at start-up from environment variables (all optional).

- `WEATHER_DATABASE_URL`: the prediction database; default params.yaml `weather.batch.database_url` when
  params.yaml is there, else the SQLite file `data/db/weather.sqlite` (the Docker image ships no params.yaml).
- `WEATHER_MODEL_CARD`: the deployed model's card, reported by `/health`; default `models/weather/model_card.json`.
- `CREDIT_MODEL_DIR`: the registered credit model that `/credit/score` serves (model.joblib, model_card.json,
  shap_background.csv.gz); default `models/credit`.
- `CREDIT_EVENTS_URL`: where every `POST /credit/score` request and its answer are stored (api/events.py);
  default the SQLite file `data/db/credit_events.sqlite`, `off` stores nothing.
- `CREDIT_EVENTS_RETENTION_DAYS`: stored events older than this are deleted; default 90.
- `CREDIT_MONITORING_SUMMARY`: the monitoring summary `GET /credit/monitoring` serves; default
  `reports/credit/monitoring.json` (what `python -m stages.credit.monitor` writes).
- `APP_VERSION`: what `GET /version` answers; default `0.0.0` (the image built by CI bakes in the commit id).
- `LOG_LEVEL`: DEBUG, INFO, WARNING, ERROR or CRITICAL; default INFO.
- `MAX_PERIOD_DAYS`: the longest period `/predictions/combined` accepts, in days; default 31.
- `MAX_BODY_BYTES`: the largest request body accepted (larger: 413); default 65536 (64 KiB; a credit
  application is under 4 KiB).
- `BODY_TIMEOUT_S`: how long a request body may take to arrive (else 408, connection closed); default 10.
- `SCORING_THREADS`: how many credit scoring requests run at once (the others wait their turn, so
  the event loop and the weather reads always have threads left); default 2, one per core here.

Relative paths are relative to the project root (the image's working directory), like the pipeline's.
A malformed value stops the service at start-up with a message naming the variable: a misconfigured
deployment fails loudly instead of serving with a silent fallback.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.common.paths import PARAMS_FILE, resolve
from pipelines.credit import events
from pipelines.weather.database import ENV_VAR, database_url

DEFAULT_DATABASE_URL = "sqlite:///data/db/weather.sqlite"
DEFAULT_MODEL_CARD = "models/weather/model_card.json"
DEFAULT_CREDIT_MODEL_DIR = "models/credit"
DEFAULT_MONITORING_SUMMARY = "reports/credit/monitoring.json"
DEFAULT_VERSION = "0.0.0"
DEFAULT_MAX_PERIOD_DAYS = 31
MAX_PERIOD_LIMIT = 3660  # ten years: anything longer is a typo, not a setting
DEFAULT_MAX_BODY_BYTES = 64 * 1024
MAX_BODY_LIMIT = 16 * 1024 * 1024
DEFAULT_SCORING_THREADS = 2
DEFAULT_BODY_TIMEOUT_S = 10
DEFAULT_EVENTS_RETENTION_DAYS = 90
EVENTS_OFF = "off"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """An environment variable has a value the service cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    model_card_path: Path
    app_version: str = DEFAULT_VERSION
    log_level: str = "INFO"
    max_period_days: int = DEFAULT_MAX_PERIOD_DAYS
    credit_model_dir: Path = field(default_factory=lambda: resolve(DEFAULT_CREDIT_MODEL_DIR))
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    scoring_threads: int = DEFAULT_SCORING_THREADS
    body_timeout_s: int = DEFAULT_BODY_TIMEOUT_S
    events_url: str | None = None  # None: scoring requests are not stored (the default of Settings built in code)
    events_retention_days: int = DEFAULT_EVENTS_RETENTION_DAYS
    monitoring_summary: Path = field(default_factory=lambda: resolve(DEFAULT_MONITORING_SUMMARY))

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            database_url=_database_url(),
            model_card_path=resolve(env.get("WEATHER_MODEL_CARD") or DEFAULT_MODEL_CARD),
            app_version=(env.get("APP_VERSION") or "").strip() or DEFAULT_VERSION,
            log_level=_log_level(env.get("LOG_LEVEL")),
            max_period_days=_max_period_days(env.get("MAX_PERIOD_DAYS")),
            credit_model_dir=resolve(env.get("CREDIT_MODEL_DIR") or DEFAULT_CREDIT_MODEL_DIR),
            max_body_bytes=_whole_number("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1024, MAX_BODY_LIMIT),
            scoring_threads=_whole_number("SCORING_THREADS", DEFAULT_SCORING_THREADS, 1, 64),
            body_timeout_s=_whole_number("BODY_TIMEOUT_S", DEFAULT_BODY_TIMEOUT_S, 1, 600),
            events_url=_events_url(env.get(events.ENV_VAR)),
            monitoring_summary=resolve(env.get("CREDIT_MONITORING_SUMMARY") or DEFAULT_MONITORING_SUMMARY),
            events_retention_days=_whole_number(
                "CREDIT_EVENTS_RETENTION_DAYS", DEFAULT_EVENTS_RETENTION_DAYS, 1, MAX_PERIOD_LIMIT
            ),
        )


def _database_url() -> str:
    """WEATHER_DATABASE_URL, else the params/SQLite default; relative SQLite paths anchored at the project root."""
    default = DEFAULT_DATABASE_URL if os.environ.get(ENV_VAR) else _params_database_url()
    try:
        return database_url(default)
    except Exception as error:  # sqlalchemy.exc.ArgumentError and friends: an unparsable URL
        raise SettingsError(f"WEATHER_DATABASE_URL: not a database URL: {error}") from error


def _params_database_url() -> str:
    """params.yaml's weather.batch.database_url when the file is there (a checkout), else the built-in default.

    The Docker image ships no params.yaml; its default is the same SQLite file.
    """
    if not PARAMS_FILE.is_file():
        return DEFAULT_DATABASE_URL
    from pipelines.common.params import load_params  # yaml only; imported lazily since the image may not need it

    try:
        value = load_params("weather").section("batch").get("database_url", DEFAULT_DATABASE_URL)
    except Exception as error:  # a broken params.yaml must not hide behind a silent default
        raise SettingsError(f"params.yaml weather.batch.database_url: {error}") from error
    return str(value)


def _events_url(value: str | None) -> str | None:
    if value is not None and value.strip().lower() == EVENTS_OFF:
        return None
    try:
        return events.events_url(value.strip() if value else None)
    except Exception as error:  # sqlalchemy.exc.ArgumentError and friends: an unparsable URL
        raise SettingsError(f"{events.ENV_VAR}: not a database URL (or '{EVENTS_OFF}'): {error}") from error


def _log_level(value: str | None) -> str:
    level = (value or "INFO").strip().upper()
    if level not in LOG_LEVELS or not isinstance(logging.getLevelName(level), int):
        raise SettingsError(f"LOG_LEVEL: must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


def _max_period_days(value: str | None) -> int:
    if value is None or not value.strip():
        return DEFAULT_MAX_PERIOD_DAYS
    try:
        days = int(value)
    except ValueError:
        raise SettingsError(f"MAX_PERIOD_DAYS: must be a whole number of days, got {value!r}") from None
    if not 1 <= days <= MAX_PERIOD_LIMIT:
        raise SettingsError(f"MAX_PERIOD_DAYS: must be between 1 and {MAX_PERIOD_LIMIT}, got {days}")
    return days


def _whole_number(name: str, default: int, low: int, high: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name}: must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name}: must be between {low} and {high}, got {number}")
    return number
