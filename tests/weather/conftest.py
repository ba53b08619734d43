"""Fixtures shared by the weather tests."""

from tests.weather.postgres import postgres_url, sql_url  # noqa: F401  (registers the fixtures)
