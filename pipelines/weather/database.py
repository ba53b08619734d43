"""The weather database: observations, model metadata and predictions (SQLite now, PostgreSQL by URL).

The schema is created only by the Alembic migrations in pipelines/weather/migrations, so moving to
PostgreSQL is a change of WEATHER_DATABASE_URL. Every write is one transaction made of upserts:
re-running a batch updates rows instead of duplicating them, and a bad row leaves the database as it was.
Times are stored as tz-naive UTC on both dialects and read back as timezone-aware UTC datetimes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pipelines.common.errors import DataError, ParamError, PipelineError
from pipelines.common.logs import get_logger
from pipelines.storage import sql
from pipelines.storage.sql import NAMING_CONVENTION, UTCDateTime, anchored_url, make_engine

ENV_VAR = "WEATHER_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
RESOLUTIONS = ("1h", "3h")
PREDICTION_COLUMNS = ("issue_time", "target_time", "step", "predicted_temperature", "explanatory")
INTERVAL_COLUMNS = ("lower_80", "upper_80", "lower_95", "upper_95")

log = get_logger("weather.database")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Observation(Base):
    __tablename__ = "weather_observations"
    __table_args__ = (
        sa.UniqueConstraint("location", "resolution", "time"),
        sa.CheckConstraint("resolution IN ('1h', '3h')", name="resolution"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location: Mapped[str] = mapped_column(sa.String)
    resolution: Mapped[str] = mapped_column(sa.String)
    time: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    temperature_2m: Mapped[float | None] = mapped_column(sa.Float)
    exogenous: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class Model(Base):
    __tablename__ = "models"
    __table_args__ = (sa.UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String)
    version: Mapped[str] = mapped_column(sa.String)
    location: Mapped[str] = mapped_column(sa.String)
    training_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    training_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    parameters: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    artefact_path: Mapped[str] = mapped_column(sa.String)
    library_versions: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    data_source: Mapped[str] = mapped_column(sa.String)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Prediction(Base):
    __tablename__ = "predictions"
    __table_args__ = (
        sa.UniqueConstraint("model_id", "issue_time", "target_time"),
        sa.CheckConstraint("step BETWEEN 0 AND 7", name="step_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("models.id"))
    location: Mapped[str] = mapped_column(sa.String)
    issue_time: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    target_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    step: Mapped[int] = mapped_column(sa.Integer)
    predicted_temperature: Mapped[float] = mapped_column(sa.Float)
    # Conformal prediction intervals (migration 0002); None for rows stored before intervals existed.
    lower_80: Mapped[float | None] = mapped_column(sa.Float)
    upper_80: Mapped[float | None] = mapped_column(sa.Float)
    lower_95: Mapped[float | None] = mapped_column(sa.Float)
    upper_95: Mapped[float | None] = mapped_column(sa.Float)
    explanatory: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


# --- connection and migrations ---------------------------------------------------------------


def database_url(default: str) -> str:
    """WEATHER_DATABASE_URL if set, else `default`; a relative SQLite path is made relative to the project root."""
    return anchored_url(os.environ.get(ENV_VAR) or default)


def checked_engine(url: str, param: str) -> sa.Engine:
    """An engine for `url` that has connected once; any failure is a ParamError naming `param`, raised
    before the caller writes anything."""
    try:
        engine = make_engine(url)
        with engine.connect():
            pass
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, sa.exc.OperationalError, ValueError) as error:
        shown = url
        with contextlib.suppress(Exception):
            shown = sa.make_url(url).render_as_string(hide_password=True)
        raise ParamError(param, f"cannot open database {shown!r}: {type(error).__name__}: {error}") from error
    return engine


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """The weather database's Alembic config, optionally bound to an open connection."""
    return sql.alembic_config(MIGRATIONS_DIR, connection)


def migrate(engine_or_url: sa.Engine | str, revision: str = "head") -> None:
    """Bring the schema to `revision` (Alembic upgrade) in one transaction."""
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        sql.upgrade(engine, MIGRATIONS_DIR, revision)
    finally:
        if engine is not engine_or_url:
            engine.dispose()
    log.info("database %s migrated to %s", engine.url.render_as_string(hide_password=True), revision)


# --- writes ----------------------------------------------------------------------------------


def upsert_observations(engine: sa.Engine | sa.Connection, frame: pd.DataFrame, location: str, resolution: str) -> int:
    """Insert or update one row per time; columns other than temperature_2m go into `exogenous` (NaN omitted)."""
    if resolution not in RESOLUTIONS:
        raise DataError(f"resolution: must be one of {', '.join(RESOLUTIONS)}, got {resolution!r}")
    _require(frame, ("temperature_2m",), "observations")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError("observations: the index must be a DatetimeIndex named 'time'")
    if frame.index.hasnans or frame.index.has_duplicates:
        raise DataError("observations: index 'time' has missing or duplicate times")
    temperatures = _numeric(frame, "temperature_2m")
    others = frame.drop(columns="temperature_2m").to_dict("records")
    rows = [
        {
            "location": location,
            "resolution": resolution,
            "time": time,
            "temperature_2m": None if math.isnan(temperature) else float(temperature),
            "exogenous": {key: value for key, value in _json_safe(extra).items() if value is not None},
        }
        for time, temperature, extra in zip(frame.index, temperatures, others)
    ]
    with _transaction(engine, "observations") as connection:
        _upsert(connection, Observation.__table__, rows, ("location", "resolution", "time"))
    log.info("stored %d %s observations for %s", len(rows), resolution, location)
    return len(rows)


def register_model(
    engine: sa.Engine | sa.Connection,
    *,
    name: str,
    version: str,
    location: str,
    training_start: Any,
    training_end: Any,
    parameters: Mapping[str, Any],
    metrics: Mapping[str, Any],
    artefact_path: str | Path,
    library_versions: Mapping[str, Any],
    data_source: str,
) -> int:
    """Record a trained model and return its id; the same name+version updates that row (created_at is kept)."""
    row = {
        "name": name,
        "version": version,
        "location": location,
        "training_start": _timestamp(training_start, "training_start"),
        "training_end": _timestamp(training_end, "training_end"),
        "parameters": _json_safe(parameters),
        "metrics": _json_safe(metrics),
        "artefact_path": str(artefact_path),
        "library_versions": _json_safe(library_versions),
        "data_source": data_source,
        "created_at": _now(),
    }
    with _transaction(engine, "models") as connection:
        _upsert(connection, Model.__table__, [row], ("name", "version"), keep=("created_at",))
        model_id = connection.scalar(sa.select(Model.id).where(Model.name == name, Model.version == version))
    log.info("registered model %s %s as id %d", name, version, model_id)
    return model_id


def store_predictions(engine: sa.Engine | sa.Connection, model_id: int, frame: pd.DataFrame) -> int:
    """Insert or update predictions of one model, keyed by (issue_time, target_time); location comes from the model."""
    _require(frame, PREDICTION_COLUMNS, "predictions")
    issue_times = _times(frame, "issue_time")
    target_times = _times(frame, "target_time")
    steps = _numeric(frame, "step")
    if steps.isna().any() or (steps != steps.round()).any():
        raise DataError("predictions: column 'step' must hold whole numbers")
    values = _numeric(frame, "predicted_temperature")
    if values.isna().any():
        raise DataError(f"predictions: column 'predicted_temperature' has {int(values.isna().sum())} missing value(s)")
    if not all(isinstance(item, Mapping) for item in frame["explanatory"]):
        raise DataError("predictions: column 'explanatory' must hold dicts of explanatory variable values")
    with _transaction(engine, "predictions") as connection:
        location = connection.scalar(sa.select(Model.location).where(Model.id == model_id))
        if location is None:
            raise DataError(f"predictions: model_id {model_id} is not a registered model")
        now = _now()
        rows = [
            {
                "model_id": model_id,
                "location": location,
                "issue_time": issue,
                "target_time": target,
                "step": int(step),
                "predicted_temperature": float(value),
                "explanatory": _json_safe(explanatory),
                "created_at": now,
            }
            for issue, target, step, value, explanatory in zip(
                issue_times, target_times, steps, values, frame["explanatory"]
            )
        ]
        for column in INTERVAL_COLUMNS:
            bounds = _numeric(frame, column) if column in frame else pd.Series(np.nan, index=frame.index)
            for row, bound in zip(rows, bounds, strict=True):
                row[column] = None if pd.isna(bound) else float(bound)
        _upsert(connection, Prediction.__table__, rows, ("model_id", "issue_time", "target_time"), keep=("created_at",))
    log.info("stored %d predictions of model %d", len(rows), model_id)
    return len(rows)


@contextlib.contextmanager
def transaction(engine: sa.Engine, what: str = "batch") -> Iterator[sa.Connection]:
    """One transaction around several writes: pass the connection it yields to upsert_observations,
    register_model and store_predictions, and they are committed together or not at all."""
    with _transaction(engine, what) as connection:
        yield connection


@contextlib.contextmanager
def _transaction(engine: sa.Engine | sa.Connection, what: str) -> Iterator[sa.Connection]:
    """One transaction; a row the database rejects (constraint, bad value) becomes a DataError after rollback.

    Given a connection, the writes join the transaction already open on it (its owner commits)."""
    if isinstance(engine, sa.Connection):
        yield engine
        return
    try:
        with engine.begin() as connection:
            yield connection
    except (sa.exc.IntegrityError, sa.exc.DataError) as error:
        raise DataError(f"{what}: the database rejected a row, nothing was written: {error.orig}") from error


def _upsert(
    connection: sa.Connection, table: sa.Table, rows: list[dict], keys: tuple[str, ...], keep: tuple[str, ...] = ()
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE every other column except `keep`."""
    inserts = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
    if connection.dialect.name not in inserts:
        raise PipelineError(f"unsupported database {connection.dialect.name!r}: use sqlite or postgresql")
    if not rows:
        return
    statement = inserts[connection.dialect.name](table)
    updates = {name: statement.excluded[name] for name in rows[0] if name not in keys + keep}
    connection.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {', '.join(missing)}")


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    try:
        return pd.to_numeric(frame[column]).astype(float)
    except (TypeError, ValueError) as error:
        raise DataError(f"column '{column}' has non-numeric values: {error}") from error


def _times(frame: pd.DataFrame, column: str) -> pd.Series:
    try:
        times = pd.to_datetime(frame[column], utc=True)  # naive times are taken as UTC
    except (TypeError, ValueError) as error:
        raise DataError(f"column '{column}' has values that are not times: {error}") from error
    if times.isna().any():
        raise DataError(f"column '{column}' has missing times")
    return times


def _timestamp(value: Any, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise DataError(f"{name}: not a time: {value!r}") from error
    if pd.isna(stamp):
        raise DataError(f"{name}: missing")
    return stamp


def _json_safe(value: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, NaN/inf to None (PostgreSQL rejects NaN in JSON), times to ISO."""
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_safe(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


# --- reads (for the API and monitoring) ------------------------------------------------------


def available_prediction_dates(engine: sa.Engine) -> list[dt.date]:
    """The UTC days that have at least one prediction, oldest first."""
    with engine.connect() as connection:
        times = connection.scalars(sa.select(Prediction.target_time).distinct()).all()
    return sorted({time.date() for time in times})


def predictions_for_date(engine: sa.Engine, day: dt.date) -> list[dict[str, Any]]:
    """Every prediction whose target time falls on `day` (UTC), by target time then model."""
    start = _midnight(day)
    with engine.connect() as connection:
        rows = connection.execute(_predictions_between(start, start + dt.timedelta(days=1))).mappings().all()
    return [dict(row) for row in rows]


def predictions_with_observations(engine: sa.Engine, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Predictions for the days start..end (inclusive), each with the observed 3-hour temperature (or None)."""
    if end < start:
        raise DataError(f"period: end {end} is before start {start}")
    observed = sa.and_(
        Observation.location == Prediction.location,
        Observation.resolution == "3h",
        Observation.time == Prediction.target_time,
    )
    query = (
        _predictions_between(_midnight(start), _midnight(end) + dt.timedelta(days=1))
        .add_columns(Observation.temperature_2m.label("observed_temperature"))
        .outerjoin(Observation, observed)
    )
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def latest_model(engine: sa.Engine) -> dict[str, Any] | None:
    """The most recently registered model as a dict of its columns, or None when there is none."""
    query = sa.select(Model.__table__).order_by(Model.created_at.desc(), Model.id.desc()).limit(1)
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return None if row is None else dict(row)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _predictions_between(start: dt.datetime, end: dt.datetime) -> sa.Select:
    return (
        sa.select(
            Prediction.target_time,
            Prediction.step,
            Prediction.predicted_temperature,
            Prediction.lower_80,
            Prediction.upper_80,
            Prediction.lower_95,
            Prediction.upper_95,
            Prediction.issue_time,
            Prediction.location,
            Model.id.label("model_id"),
            Model.name.label("model_name"),
            Model.version.label("model_version"),
        )
        .join(Model, Prediction.model_id == Model.id)
        .where(Prediction.target_time >= start, Prediction.target_time < end)
        .order_by(Prediction.target_time, Model.id, Prediction.issue_time)
    )
