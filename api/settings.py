"""Service settings, read once at start-up from environment variables (all optional), as a pydantic-settings model.

Each field of `Settings` is read from exactly one variable, its `validation_alias` (names are case-sensitive, no
prefix); the table of variables in docs/api.md is generated from the fields (`python -m api.settings`,
tests/api/test_settings.py checks they agree). Code (the tests) builds Settings with field names instead:
`Settings(database_url=…)`, the fields not given still read from the environment.

A blank variable counts as unset. Relative paths are relative to the project root (the image's working
directory), like the pipeline's; so are the paths of SQLite URLs. A malformed value stops the service at
start-up with a SettingsError naming the variable and the rule (`CREDIT_EVENTS_RETENTION_DAYS: must be between
1 and 3660, got -1`): a misconfigured deployment fails loudly instead of serving with a silent fallback.
"""

from __future__ import annotations

import argparse
import sys
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types
import sqlalchemy as sa
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from pipelines.common.paths import PARAMS_FILE, resolve
from pipelines.credit import events
from pipelines.storage.sql import anchored_url
from pipelines.weather import database

DEFAULT_DATABASE_URL = "sqlite:///data/db/weather.sqlite"
DEFAULT_MODEL_CARD = "models/weather/model_card.json"
DEFAULT_CREDIT_MODEL_DIR = "models/credit"
DEFAULT_CARS_MODEL_DIR = "models/cars"
DEFAULT_FREELANCE_MODEL_DIR = "models/freelance"
DEFAULT_MONITORING_SUMMARY = "reports/credit/monitoring.json"
DEFAULT_VERSION = "0.0.0"
DEFAULT_MAX_PERIOD_DAYS = 31
MAX_PERIOD_LIMIT = 3660  # ten years: anything longer is a typo, not a setting
DEFAULT_MAX_BODY_BYTES = 64 * 1024
MAX_BODY_LIMIT = 16 * 1024 * 1024
DEFAULT_SCORING_THREADS = 1  # bench/api_load.py: two scoring threads spent more CPU per score than one
DEFAULT_BODY_TIMEOUT_S = 10
DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_EVENTS_RETENTION_DAYS = 90
EVENTS_OFF = "off"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LOG_LEVELS: tuple[str, ...] = typing.get_args(LogLevel)


class SettingsError(ValueError):
    """An environment variable has a value the service cannot use; the message names it."""


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


def _variable(name: str, description: str, **extra: Any) -> Any:
    """The Field arguments of a setting read from the variable `name`; `extra` goes to the generated table:
    `default` (the default as shown when it is not the field's own), `accepts` (what a value may be, when the
    type does not say), `unit` (of a number)."""
    return {"validation_alias": name, "description": description, "json_schema_extra": extra}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        case_sensitive=True,
        validate_by_name=True,  # code passes field names (the variable is the alias)
        validate_by_alias=True,
        validate_default=True,  # the defaults go through the same anchoring as the variables
        frozen=True,
    )

    database_url: str = Field(
        default_factory=_params_database_url,
        **_variable(
            database.ENV_VAR,
            "the prediction database; e.g. `postgresql+psycopg://user@host/weather`",
            default=f"`params.yaml` `weather.batch.database_url` (`{DEFAULT_DATABASE_URL}`)",
            accepts="a SQLAlchemy URL",
        ),
    )
    model_card_path: Path = Field(
        DEFAULT_MODEL_CARD,
        **_variable("WEATHER_MODEL_CARD", "the deployed weather model's card, reported by `/health`"),
    )
    credit_model_dir: Path = Field(
        DEFAULT_CREDIT_MODEL_DIR,
        **_variable(
            "CREDIT_MODEL_DIR",
            "the registered credit model that `/credit/score` serves: `model.joblib`, `model_card.json`, "
            "`shap_background.csv.gz`",
        ),
    )
    events_url: str | None = Field(
        events.DEFAULT_URL,
        **_variable(
            events.ENV_VAR,
            "where every `/credit/score` request and its answer are stored (see [Scoring events](#scoring-events)); "
            "a PostgreSQL URL works the same; `off` stores nothing",
            default=f"`{events.DEFAULT_URL}` (image: `/var/lib/credit-events/…`, a volume)",
            accepts=f"a SQLAlchemy URL or `{EVENTS_OFF}`",
        ),
    )
    events_retention_days: Annotated[int, Field(ge=1, le=MAX_PERIOD_LIMIT)] = Field(
        DEFAULT_EVENTS_RETENTION_DAYS,
        **_variable(
            "CREDIT_EVENTS_RETENTION_DAYS",
            "stored events older than this are deleted (at start-up, then hourly)",
            unit="days",
        ),
    )
    monitoring_summary: Path = Field(
        DEFAULT_MONITORING_SUMMARY,
        **_variable(
            "CREDIT_MONITORING_SUMMARY",
            "the monitoring summary `GET /credit/monitoring` serves (what `python -m stages.credit.monitor` writes)",
        ),
    )
    cars_model_dir: Path = Field(
        DEFAULT_CARS_MODEL_DIR,
        **_variable("CARS_MODEL_DIR", "the registered cars model: `model.joblib`, `model_card.json`"),
    )
    freelance_model_dir: Path = Field(
        DEFAULT_FREELANCE_MODEL_DIR,
        **_variable(
            "FREELANCE_MODEL_DIR",
            "the registered freelance estimator: `model.joblib`, `model_card.json` (`dvc repro freelance_register`)",
        ),
    )
    app_version: str = Field(
        DEFAULT_VERSION,
        **_variable("APP_VERSION", "what `/version` answers; the image built by CI bakes in the commit id"),
    )
    log_level: LogLevel = Field("INFO", **_variable("LOG_LEVEL", "the service's log level"))
    max_period_days: Annotated[int, Field(ge=1, le=MAX_PERIOD_LIMIT)] = Field(
        DEFAULT_MAX_PERIOD_DAYS,
        **_variable("MAX_PERIOD_DAYS", "the longest period `/predictions/combined` accepts", unit="days"),
    )
    max_body_bytes: Annotated[int, Field(ge=1024, le=MAX_BODY_LIMIT)] = Field(
        DEFAULT_MAX_BODY_BYTES,
        **_variable(
            "MAX_BODY_BYTES",
            "the largest request body; larger answers 413 (from `Content-Length`, before reading); "
            "a credit application is under 4 KiB",
            unit="bytes",
        ),
    )
    body_timeout_s: Annotated[int, Field(ge=1, le=600)] = Field(
        DEFAULT_BODY_TIMEOUT_S,
        **_variable(
            "BODY_TIMEOUT_S",
            "a request body not received within this answers 408 and the connection closes",
            unit="seconds",
        ),
    )
    scoring_threads: Annotated[int, Field(ge=1, le=64)] = Field(
        DEFAULT_SCORING_THREADS,
        **_variable(
            "SCORING_THREADS",
            "`/credit/score` requests computed at once; the others wait without holding a thread, so the event loop "
            "and the weather reads always have threads left. Scoring is mostly Python holding the GIL: a second "
            "thread adds GIL contention rather than a core",
            unit="threads",
        ),
    )
    header_timeout_s: Annotated[float, Field(gt=0, le=600)] = Field(
        DEFAULT_HEADER_TIMEOUT_S,
        **_variable(
            "HEADER_TIMEOUT_S",
            "with `--http api.server:HeaderTimeoutProtocol` (the image's command): a connection without complete "
            "request headers this long after opening or after its last answer is closed",
            unit="seconds",
        ),
    )

    @classmethod
    def from_env(cls) -> Settings:
        """The settings of the environment; SettingsError naming each bad variable and its rule."""
        try:
            return cls()
        except ValidationError as error:
            raise SettingsError("; ".join(_explain(item) for item in error.errors())) from None

    def shown(self) -> dict[str, str]:
        """The values by field name as text, database passwords hidden."""
        values = {name: "" if value is None else str(value) for name, value in self}
        for name in ("database_url", "events_url"):
            if values[name]:
                values[name] = sa.make_url(values[name]).render_as_string(hide_password=True)
        return values

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the variables; no .env file, no secrets directory."""
        return init_settings, _VariablesOnly(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values: Any) -> Any:
        if isinstance(values, dict):
            return {key: value for key, value in values.items() if not (isinstance(value, str) and not value.strip())}
        return values

    @field_validator("app_version", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator(
        "model_card_path", "credit_model_dir", "monitoring_summary", "cars_model_dir", "freelance_model_dir"
    )
    @classmethod
    def _from_the_root(cls, value: Path) -> Path:
        return resolve(value)

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: Any) -> str:
        try:
            return anchored_url(str(value).strip())
        except Exception as error:  # sqlalchemy.exc.ArgumentError and friends: an unparsable URL
            raise ValueError(f"not a database URL: {error}") from error

    @field_validator("events_url", mode="before")
    @classmethod
    def _events_url(cls, value: Any) -> str | None:
        if value is None or str(value).strip().lower() == EVENTS_OFF:
            return None  # scoring requests are not stored
        try:
            return anchored_url(str(value).strip())
        except Exception as error:  # sqlalchemy.exc.ArgumentError and friends: an unparsable URL
            raise ValueError(f"not a database URL (or '{EVENTS_OFF}'): {error}") from error


class _VariablesOnly(EnvSettingsSource):
    """The environment source, reading each field from its variable only: with `validate_by_name` the stock source
    would also read a variable spelt like the field (`database_url`, `log_level`)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        value, key, complex_ = super().get_field_value(field, field_name)
        return (value if key == field.validation_alias else None), key, complex_


# --- error messages and the table of variables, both from the fields ---------------------------------------


def variable(field_name: str) -> str:
    return str(Settings.model_fields[field_name].validation_alias)


def _field_of(location: str) -> tuple[str, FieldInfo] | None:
    for name, field in Settings.model_fields.items():
        if location in (name, field.validation_alias):
            return name, field
    return None


def _extra(field: FieldInfo) -> dict[str, Any]:
    return field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}


def _bounds(field: FieldInfo) -> str:
    """The range of a number field in words, from its constraints: 'between 1 and 3660'."""
    found = {
        attribute: getattr(item, attribute)
        for item in field.metadata
        for kind, attribute in ((annotated_types.Ge, "ge"), (annotated_types.Gt, "gt"), (annotated_types.Le, "le"))
        if isinstance(item, kind)
    }
    if {"ge", "le"} <= set(found):
        return f"between {found['ge']} and {found['le']}"
    if {"gt", "le"} <= set(found):
        return f"more than {found['gt']} and at most {found['le']}"
    raise TypeError(f"Settings field with bounds other than ge/gt and le: {found}")


def _number_kind(field: FieldInfo) -> str:
    unit = _extra(field).get("unit")
    kind = "a whole number" if field.annotation is int else "a number"
    return f"{kind} of {unit}" if unit else kind


def _explain(error: Any) -> str:
    """One pydantic error as `VARIABLE: rule, got value`."""
    location = str(error["loc"][0]) if error["loc"] else "settings"
    found = _field_of(location)
    if found is None:
        return f"{location}: {error['msg']}"
    name, field = found
    given = error.get("input")
    kind = error["type"]
    if kind in ("int_parsing", "int_from_float", "int_type", "float_parsing", "float_type"):
        rule = f"must be {_number_kind(field)}, got {given!r}"
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal"):
        rule = f"must be {_bounds(field)}, got {given}"
    elif kind == "literal_error":
        rule = f"must be one of {', '.join(typing.get_args(field.annotation))}, got {given!r}"
    elif kind == "value_error":
        rule = str(error["ctx"]["error"])
    else:
        rule = f"{error['msg']}, got {given!r}"
    return f"{variable(name)}: {rule}"


def _accepts(field: FieldInfo) -> str:
    extra = _extra(field)
    if "accepts" in extra:
        return str(extra["accepts"])
    if field.annotation is Path:
        return "a path"
    if typing.get_origin(field.annotation) is Literal:
        return ", ".join(f"`{choice}`" for choice in typing.get_args(field.annotation))
    if field.annotation in (int, float):
        return f"{_number_kind(field)}, {_bounds(field)}"
    return "text"


def _default(field: FieldInfo) -> str:
    extra = _extra(field)
    return str(extra["default"]) if "default" in extra else f"`{field.default}`"


def settings_table() -> str:
    """The Markdown table of the variables, one row per field of Settings, in their order."""
    rows = ["| variable | default | accepts | meaning |", "|---|---|---|---|"]
    for field in Settings.model_fields.values():
        rows.append(f"| `{field.validation_alias}` | {_default(field)} | {_accepts(field)} | {field.description} |")
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m api.settings", description="The API's settings (environment variables)."
    )
    parser.add_argument(
        "--check", action="store_true", help="read the environment as start-up does; print the values or the error"
    )
    arguments = parser.parse_args(argv)
    if not arguments.check:
        sys.stdout.write(settings_table())
        return 0
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    for name, value in settings.shown().items():
        sys.stdout.write(f"{variable(name)}={value}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
