"""The credit scoring event store on a real SQLite file and a real PostgreSQL server: schema, writes,
reads, retention, and a rejected batch that leaves nothing behind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command

from pipelines.common.errors import DataError
from pipelines.common.paths import ROOT
from pipelines.credit import events
from pipelines.storage.sql import alembic_config, make_engine

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine(sql_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(sql_url)
    events.migrate(engine)
    yield engine
    engine.dispose()


def event(**changes) -> dict:
    base = {
        "received_at": NOW,
        "http_status": 200,
        "latency_ms": 12.5,
        "client_id": 100001,
        "probability": 0.1249,
        "decision": "refuse",
        "threshold": 0.089,
        "model_version": "xgboost-abc",
        "inputs": {"SK_ID_CURR": 100001, "AMT_CREDIT": 406597.5, "NAME_CONTRACT_TYPE": "Cash loans"},
    }
    return base | changes


def test_events_round_trip_with_their_inputs_and_utc_times(engine: sa.Engine) -> None:
    rejected = event(http_status=422, probability=None, decision=None, error="AMT_CREDIT: must be > 0")
    assert events.store_events(engine, [event(), rejected]) == 2
    frame = events.read_events(engine)
    assert list(frame["http_status"]) == [200, 422]
    assert frame.loc[0, "inputs"] == event()["inputs"]
    assert frame.loc[0, "received_at"] == NOW
    assert frame.loc[1, "error"] == "AMT_CREDIT: must be > 0"
    assert frame["probability"].isna().tolist() == [False, True]
    assert len(events.read_events(engine, since=NOW + dt.timedelta(seconds=1))) == 0


@pytest.mark.parametrize(
    ("bad", "message"),
    [({"surname": "Doe"}, "unknown field"), ({"http_status": None}, "http_status are required")],
)
def test_a_bad_event_is_a_data_error_and_nothing_of_its_batch_is_written(engine, bad: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        events.store_events(engine, [event(), event() | bad])
    assert events.read_events(engine).empty


def test_a_batch_the_database_rejects_is_rolled_back(engine: sa.Engine) -> None:
    with pytest.raises(DataError, match="nothing was written"):
        events.store_events(engine, [event(), event(latency_ms="slow")])
    assert events.read_events(engine).empty


def test_retention_deletes_only_older_events(engine: sa.Engine) -> None:
    old, recent = NOW - dt.timedelta(days=100), NOW - dt.timedelta(days=10)
    events.store_events(engine, [event(received_at=old), event(received_at=recent)])
    assert events.delete_before(engine, NOW - dt.timedelta(days=90)) == 1
    assert list(events.read_events(engine)["received_at"]) == [recent]


def test_downgrade_and_upgrade_round_trip(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(events.MIGRATIONS_DIR, connection), "base")
    assert "credit_scoring_events" not in sa.inspect(engine).get_table_names()
    events.migrate(engine)
    assert "credit_scoring_events" in sa.inspect(engine).get_table_names()


def test_the_migrations_create_the_tables_the_model_declares(engine: sa.Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), events.Base.metadata) == []


def test_the_url_comes_from_the_environment_and_sqlite_paths_are_anchored(monkeypatch) -> None:
    monkeypatch.delenv(events.ENV_VAR, raising=False)
    assert events.events_url() == f"sqlite:///{ROOT / 'data/db/credit_events.sqlite'}"
    monkeypatch.setenv(events.ENV_VAR, "postgresql+psycopg://monitor:s3cret@db/credit")
    assert events.events_url() == "postgresql+psycopg://monitor:s3cret@db/credit"
