"""Alembic environment for the weather database (pipelines/storage/sql.py `run_environment`).

`pipelines.weather.database.migrate` passes an open connection; the `alembic` command line (alembic.ini at the
repo root) uses WEATHER_DATABASE_URL, else params.yaml weather.batch.database_url.
"""

from pipelines.common.params import load_params
from pipelines.storage.sql import run_environment
from pipelines.weather.database import Base, database_url

run_environment(Base.metadata, lambda: database_url(load_params("weather").section("batch").get("database_url")))
