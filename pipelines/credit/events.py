"""The credit scoring events: one row per `POST /credit/score` request the API answered (SQLite file by
default, PostgreSQL by URL), written by the API (api/events.py) and read by the monitoring stage.

A row holds what the application sent (`inputs`, exactly the JSON body, nothing added), what the service
answered (HTTP status, probability, decision, threshold, model version, or the error message) and how long
it took. The schema is created only by the Alembic migrations in pipelines/credit/migrations. Writes are
one transaction per batch: a batch the database rejects leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pipelines.common.errors import DataError
from pipelines.storage import sql
from pipelines.storage.sql import NAMING_CONVENTION, UTCDateTime, anchored_url

ENV_VAR = "CREDIT_EVENTS_URL"
DEFAULT_URL = "sqlite:///data/db/credit_events.sqlite"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class ScoringEvent(Base):
    __tablename__ = "credit_scoring_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    http_status: Mapped[int] = mapped_column(sa.Integer)
    latency_ms: Mapped[float] = mapped_column(sa.Float)
    client_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    probability: Mapped[float | None] = mapped_column(sa.Float)
    decision: Mapped[str | None] = mapped_column(sa.String)
    threshold: Mapped[float | None] = mapped_column(sa.Float)
    model_version: Mapped[str | None] = mapped_column(sa.String)
    inputs: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)


COLUMNS = tuple(column.name for column in ScoringEvent.__table__.columns if column.name != "id")


def events_url(value: str | None = None) -> str:
    """`value`, else CREDIT_EVENTS_URL, else the SQLite default; a relative SQLite path is anchored at the
    project root."""
    return anchored_url(value or os.environ.get(ENV_VAR) or DEFAULT_URL)


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    sql.upgrade(engine, MIGRATIONS_DIR, revision)


def store_events(engine: sa.Engine, events: Iterable[Mapping[str, Any]]) -> int:
    """Insert the events in one transaction; an unknown key or a row the database rejects is a DataError
    and nothing is written."""
    rows = [dict(event) for event in events]
    for number, row in enumerate(rows):
        if unknown := set(row) - set(COLUMNS):
            raise DataError(f"scoring event {number}: unknown field(s) {', '.join(sorted(unknown))}")
        if row.get("received_at") is None or row.get("http_status") is None:
            raise DataError(f"scoring event {number}: received_at and http_status are required")
    if not rows:
        return 0
    # Every row with every column: an executemany takes its column list from the first row alone.
    rows = [{name: row.get(name) for name in COLUMNS} for row in rows]
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(ScoringEvent), rows)
    except (sa.exc.IntegrityError, sa.exc.DataError, sa.exc.StatementError) as error:
        raise DataError(f"scoring events: the database rejected a row, nothing was written: {error}") from error
    return len(rows)


def delete_before(engine: sa.Engine, cutoff: dt.datetime) -> int:
    """Delete the events received before `cutoff` (the retention rule); returns how many."""
    with engine.begin() as connection:
        result = connection.execute(sa.delete(ScoringEvent).where(ScoringEvent.received_at < cutoff))
    return result.rowcount or 0


def read_events(engine: sa.Engine, since: dt.datetime | None = None) -> pd.DataFrame:
    """The events (received at or after `since`), oldest first, one column per field; `received_at` in UTC."""
    query = sa.select(*(ScoringEvent.__table__.c[name] for name in ("id", *COLUMNS))).order_by(ScoringEvent.id)
    if since is not None:
        query = query.where(ScoringEvent.received_at >= since)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    frame = pd.DataFrame(rows, columns=["id", *COLUMNS])
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
    return frame
