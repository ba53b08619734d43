"""The weather database on a real SQLite file and a real PostgreSQL server: schema, upserts, reads, rollback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from pipelines.common.errors import DataError
from pipelines.common.paths import ROOT
from pipelines.weather import database
from pipelines.weather.database import Model, Observation, Prediction

UTC = dt.UTC
TABLES = {"weather_observations", "models", "predictions"}


@pytest.fixture
def url(sql_url: str) -> str:
    return sql_url


@pytest.fixture
def engine(url: str) -> Iterator[sa.Engine]:
    engine = database.make_engine(url)
    database.migrate(engine)
    yield engine
    engine.dispose()


def observations(periods: int = 8, offset: float = 0.0) -> pd.DataFrame:
    index = pd.date_range("2025-03-19", periods=periods, freq="3h", name="time")
    return pd.DataFrame(
        {"temperature_2m": np.arange(periods) + offset, "relative_humidity_2m": 80.0, "pressure_msl": 1013.0},
        index=index,
    )


def register(engine: sa.Engine, version: str = "1", **changes) -> int:
    fields = {
        "name": "xgboost_lags",
        "version": version,
        "location": "IJmuiden",
        "training_start": "2018-01-01",
        "training_end": pd.Timestamp("2025-03-18 21:00"),
        "parameters": {"max_depth": np.int64(5), "learning_rate": 0.05},
        "metrics": {"mae": np.float64(1.2), "rmse": float("nan")},
        "artefact_path": Path("models/weather/xgboost_lags.joblib"),
        "library_versions": {"xgboost": "2.1.4"},
        "data_source": "real-sample",
    }
    return database.register_model(engine, **(fields | changes))


def predictions(days: tuple[str, ...] = ("2025-03-19", "2025-03-20"), offset: float = 0.0) -> pd.DataFrame:
    rows = []
    for day in map(pd.Timestamp, days):
        for step in range(8):
            rows.append(
                {
                    "issue_time": day - pd.Timedelta(hours=3),  # issued the evening before
                    "target_time": day + pd.Timedelta(hours=3 * step),
                    "step": step,
                    "predicted_temperature": 5.0 + step + offset,
                    "explanatory": {"lag_8": np.float64(4.0 + step), "hour": 3 * step, "missing": np.nan},
                }
            )
    return pd.DataFrame(rows)


def rows(engine: sa.Engine, table: type[database.Base]) -> list[sa.Row]:
    with engine.connect() as connection:
        return connection.execute(sa.select(table.__table__).order_by(table.id)).all()


def test_migrations_create_the_schema(engine: sa.Engine) -> None:
    inspector = sa.inspect(engine)
    assert TABLES | {"alembic_version"} <= set(inspector.get_table_names())
    indexes = {index["name"]: index["column_names"] for index in inspector.get_indexes("predictions")}
    assert indexes["ix_predictions_target_time"] == ["target_time"]
    unique = {tuple(uq["column_names"]) for uq in inspector.get_unique_constraints("predictions")}
    assert ("model_id", "issue_time", "target_time") in unique
    assert inspector.get_foreign_keys("predictions")[0]["referred_table"] == "models"
    with engine.connect() as connection:  # the models and the migration describe the same schema
        assert compare_metadata(MigrationContext.configure(connection), database.Base.metadata) == []


def test_upsert_observations_is_idempotent_and_updates_values(engine: sa.Engine) -> None:
    assert database.upsert_observations(engine, observations(), "IJmuiden", "3h") == 8
    again = observations(offset=10.0)
    again.iloc[2, 0] = np.nan
    again.iloc[3, 2] = np.nan
    again.index = again.index.tz_localize("UTC").tz_convert("Europe/Paris")  # same instants, other zone
    assert database.upsert_observations(engine, again, "IJmuiden", "3h") == 8
    database.upsert_observations(engine, observations(), "IJmuiden", "1h")  # another resolution: other rows

    stored = [row for row in rows(engine, Observation) if row.resolution == "3h"]
    assert len(stored) == 8
    assert stored[0].time == dt.datetime(2025, 3, 19, tzinfo=UTC)
    assert [row.temperature_2m for row in stored[:3]] == [10.0, 11.0, None]
    assert stored[0].exogenous == {"relative_humidity_2m": 80.0, "pressure_msl": 1013.0}
    assert stored[3].exogenous == {"relative_humidity_2m": 80.0}
    assert len(rows(engine, Observation)) == 16


def test_register_model_is_idempotent(engine: sa.Engine) -> None:
    assert database.latest_model(engine) is None
    first = register(engine)
    assert register(engine, metrics={"mae": 1.1}) == first
    second = register(engine, version="2")
    assert second != first and len(rows(engine, Model)) == 2

    assert rows(engine, Model)[0].metrics == {"mae": 1.1}
    latest = database.latest_model(engine)
    assert latest["id"] == second
    assert latest["parameters"] == {"max_depth": 5, "learning_rate": 0.05}
    assert latest["metrics"] == {"mae": 1.2, "rmse": None}  # NaN is not JSON
    assert latest["training_start"] == dt.datetime(2018, 1, 1, tzinfo=UTC)
    assert latest["artefact_path"] == "models/weather/xgboost_lags.joblib"


def test_store_predictions_is_idempotent_and_reads_join_observations(engine: sa.Engine) -> None:
    model_id = register(engine)
    database.upsert_observations(engine, observations(), "IJmuiden", "3h")  # 2025-03-19 only
    database.upsert_observations(engine, observations(offset=50.0), "IJmuiden", "1h")  # must not be joined
    assert database.store_predictions(engine, model_id, predictions()) == 16
    assert database.store_predictions(engine, model_id, predictions(offset=1.0)) == 16
    stored = rows(engine, Prediction)
    assert len(stored) == 16
    assert stored[1].location == "IJmuiden"
    assert stored[1].explanatory == {"lag_8": 5.0, "hour": 3, "missing": None}

    assert database.available_prediction_dates(engine) == [dt.date(2025, 3, 19), dt.date(2025, 3, 20)]
    day = database.predictions_for_date(engine, dt.date(2025, 3, 20))
    assert [row["step"] for row in day] == list(range(8))
    assert [row["predicted_temperature"] for row in day] == [6.0 + step for step in range(8)]
    assert day[0]["target_time"] == dt.datetime(2025, 3, 20, tzinfo=UTC)
    assert day[0]["issue_time"] == dt.datetime(2025, 3, 19, 21, tzinfo=UTC)
    assert (day[0]["model_id"], day[0]["model_name"], day[0]["model_version"]) == (model_id, "xgboost_lags", "1")
    assert database.predictions_for_date(engine, dt.date(2025, 3, 21)) == []

    joined = database.predictions_with_observations(engine, dt.date(2025, 3, 19), dt.date(2025, 3, 20))
    assert len(joined) == 16
    assert [row["observed_temperature"] for row in joined] == [float(step) for step in range(8)] + [None] * 8
    assert len(database.predictions_with_observations(engine, dt.date(2025, 3, 20), dt.date(2025, 3, 20))) == 8

    with pytest.raises(DataError, match="model_id 999"):
        database.store_predictions(engine, 999, predictions())


def test_bad_input_is_rejected_and_nothing_is_written(engine: sa.Engine) -> None:
    model_id = register(engine)
    database.store_predictions(engine, model_id, predictions())

    with pytest.raises(DataError, match="explanatory"):
        database.store_predictions(engine, model_id, predictions().drop(columns="explanatory"))
    with_nan = predictions(offset=100.0)
    with_nan.loc[5, "predicted_temperature"] = np.nan
    with pytest.raises(DataError, match="predicted_temperature"):
        database.store_predictions(engine, model_id, with_nan)
    # Rows 0-9 update existing rows, then row 10 breaks the database's step check: all of it is undone.
    bad_step = predictions(offset=100.0)
    bad_step.loc[10, "step"] = 8
    with pytest.raises(DataError, match="step"):
        database.store_predictions(engine, model_id, bad_step)
    assert [row.predicted_temperature for row in rows(engine, Prediction)] == [5.0 + step for step in range(8)] * 2

    with pytest.raises(DataError, match="temperature_2m"):
        database.upsert_observations(engine, observations().drop(columns="temperature_2m"), "IJmuiden", "3h")
    not_numeric = observations().astype({"temperature_2m": object})
    not_numeric.iloc[1, 0] = "warm"
    with pytest.raises(DataError, match="temperature_2m"):
        database.upsert_observations(engine, not_numeric, "IJmuiden", "3h")
    assert rows(engine, Observation) == []


def test_downgrade_and_upgrade_round_trip(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        command.downgrade(database.alembic_config(connection), "base")
    assert not TABLES & set(sa.inspect(engine).get_table_names())
    database.migrate(engine)
    database.migrate(engine)  # already at head: nothing to do
    assert TABLES <= set(sa.inspect(engine).get_table_names())
    assert register(engine) == database.latest_model(engine)["id"]


def test_database_url_prefers_the_environment_and_anchors_sqlite_paths(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(database.ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert database.database_url("sqlite:///data/db/weather.sqlite") == f"sqlite:///{ROOT}/data/db/weather.sqlite"
    monkeypatch.setenv(database.ENV_VAR, "postgresql+psycopg://weather:s3cret@db:5432/weather")
    assert (
        database.database_url("sqlite:///data/db/weather.sqlite")
        == "postgresql+psycopg://weather:s3cret@db:5432/weather"
    )


def test_sqlite_file_folder_is_created_and_foreign_keys_are_enforced(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'folder' / 'weather.sqlite'}"
    database.migrate(url)
    assert (tmp_path / "nested" / "folder" / "weather.sqlite").is_file()
    engine = database.make_engine(url)
    values = {
        "model_id": 999,
        "location": "x",
        "issue_time": dt.datetime(2025, 1, 1),
        "target_time": dt.datetime(2025, 1, 1),
        "step": 0,
        "predicted_temperature": 1.0,
        "explanatory": {},
        "created_at": dt.datetime(2025, 1, 1),
    }
    with pytest.raises(sa.exc.IntegrityError, match="FOREIGN KEY"), engine.begin() as connection:
        connection.execute(sa.insert(Prediction.__table__).values(values))
    engine.dispose()


def test_a_batch_transaction_commits_observations_model_and_predictions_together_or_not_at_all(
    engine: sa.Engine,
) -> None:
    with pytest.raises(RuntimeError, match="killed"), database.transaction(engine) as connection:
        database.upsert_observations(connection, observations(), "IJmuiden", "3h")
        model_id = register(connection)
        raise RuntimeError("killed before the predictions were stored")
    assert rows(engine, Observation) == [] and rows(engine, Model) == []

    bounds = predictions().assign(
        lower_80=lambda f: f["predicted_temperature"] - 1,
        upper_80=lambda f: f["predicted_temperature"] + 1,
        lower_95=lambda f: f["predicted_temperature"] - 2,
        upper_95=lambda f: f["predicted_temperature"] + 2,
    )
    with database.transaction(engine) as connection:
        database.upsert_observations(connection, observations(), "IJmuiden", "3h")
        model_id = register(connection)
        database.store_predictions(connection, model_id, bounds)
    [first, *_] = database.predictions_for_date(engine, dt.date(2025, 3, 19))
    assert (first["lower_95"], first["lower_80"], first["upper_80"], first["upper_95"]) == (3.0, 4.0, 6.0, 7.0)
    assert len(rows(engine, Prediction)) == 16 and len(rows(engine, Observation)) == 8


def test_a_bad_database_url_is_a_param_error_naming_the_parameter() -> None:
    from pipelines.common.errors import ParamError

    for url in ("sqlit:///x.sqlite", "nonsense"):
        with pytest.raises(ParamError, match="weather.batch.database_url"):
            database.checked_engine(url, "weather.batch.database_url").dispose()
