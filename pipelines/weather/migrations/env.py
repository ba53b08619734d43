"""Alembic environment for the weather database.

`pipelines.weather.database.migrate` passes an open connection in `config.attributes`; the `alembic`
command line (alembic.ini at the repo root) uses WEATHER_DATABASE_URL, else params.yaml
weather.batch.database_url.
"""

from alembic import context

from pipelines.common.logs import configure
from pipelines.common.params import load_params
from pipelines.weather.database import Base, database_url, make_engine

config = context.config


def _url() -> str:
    return database_url(load_params("weather").section("batch").get("database_url"))


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds tables so later migrations work there too.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    context.configure(url=_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if config.config_file_name is not None:  # the command line: show Alembic's progress messages
    configure()

if context.is_offline_mode():
    run_offline()
else:
    run_online()
