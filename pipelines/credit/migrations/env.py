"""Alembic environment for the credit scoring events (pipelines/storage/sql.py `run_environment`).

`pipelines.credit.events.migrate` passes an open connection; the command line (`alembic -n credit_events
upgrade head`, alembic.ini at the repo root) uses CREDIT_EVENTS_URL, else the SQLite default.
"""

from pipelines.credit.events import Base, events_url
from pipelines.storage.sql import run_environment

run_environment(Base.metadata, events_url)
