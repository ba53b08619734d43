"""Engines, a UTC datetime column type, naming conventions and migrations, shared by the project's databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from pipelines.common.logs import configure as configure_logs
from pipelines.common.paths import resolve

# Deterministic constraint names: the ones the migrations create, needed to alter them later.
NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "ix": "ix_%(column_0_label)s",
}


class UTCDateTime(sa.TypeDecorator):
    """Naive or aware datetimes in, tz-naive UTC stored, aware UTC out: identical on SQLite and PostgreSQL."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return stamp.to_pydatetime()

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


def is_sqlite_file(url: sa.URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def anchored_url(value: str) -> str:
    """The URL as a string (password kept), a relative SQLite file path made relative to the project root: the one
    rule for every database URL of the project (params, environment variables, API settings)."""
    url = sa.make_url(value)
    if is_sqlite_file(url):
        url = url.set(database=str(resolve(url.database)))
    return url.render_as_string(hide_password=False)


def make_engine(url: str | sa.URL) -> sa.Engine:
    """An engine for `url`; a SQLite file's folder is created, and its connections enforce foreign keys."""
    parsed = sa.make_url(url)
    if is_sqlite_file(parsed):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # pre_ping: a long-running API survives a PostgreSQL restart instead of failing on a stale connection.
    engine = sa.create_engine(parsed, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_foreign_keys)
    return engine


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless every connection turns them on.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(migrations_dir: Path, connection: sa.Connection | None = None) -> Config:
    """An Alembic config built in code (no alembic.ini needed), optionally bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine, migrations_dir: Path, revision: str = "head") -> None:
    """Bring the schema to `revision` (Alembic upgrade) in one transaction."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(migrations_dir, connection), revision)


def run_environment(metadata: sa.MetaData, url: Callable[[], str]) -> None:
    """The body of a migrations folder's Alembic `env.py`, the same for every database of the project.

    `upgrade` passes an open connection in `config.attributes`; the `alembic` command line has none, so the
    database is `url()` (called only then). `--sql` prints the SQL instead of running it.
    """
    from alembic import context  # only importable while Alembic runs an env.py

    config = context.config

    def run(connection: sa.Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            # SQLite cannot ALTER most things in place; batch mode rebuilds tables so later migrations work there too.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()

    if config.config_file_name is not None:  # the command line: show Alembic's progress messages
        configure_logs()
    if context.is_offline_mode():
        context.configure(url=url(), target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    engine = make_engine(url())
    try:
        with engine.begin() as connection:
            run(connection)
    finally:
        engine.dispose()
