"""Alembic environment for the credit scoring events.

`pipelines.credit.events.migrate` passes an open connection in `config.attributes`; the command line
(`alembic -n credit_events upgrade head`, alembic.ini at the repo root) uses CREDIT_EVENTS_URL, else the
SQLite default.
"""

from alembic import context

from pipelines.common.logs import configure
from pipelines.credit.events import Base, events_url
from pipelines.storage.sql import make_engine

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by rebuilding them
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """`alembic -n credit_events upgrade head --sql`: print the SQL instead of running it."""
    context.configure(url=events_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(events_url())
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
