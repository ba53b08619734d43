"""The `alembic` command line on both databases: the env.py of each migrations folder, run as Alembic runs it."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC = [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini")]


@pytest.mark.parametrize(
    ("name", "variable", "table"),
    [
        ("alembic", "WEATHER_DATABASE_URL", "predictions"),
        ("credit_events", "CREDIT_EVENTS_URL", "credit_scoring_events"),
    ],
)
def test_upgrade_head_creates_the_schema_and_sql_mode_prints_it(tmp_path, name, variable, table):
    database = tmp_path / "db.sqlite"
    env = {"PATH": "/usr/bin:/bin", variable: f"sqlite:///{database}"}
    upgrade = subprocess.run(
        [*ALEMBIC, "-n", name, "upgrade", "head"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert upgrade.returncode == 0, upgrade.stderr
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {table, "alembic_version"} <= tables

    offline = subprocess.run(
        [*ALEMBIC, "-n", name, "upgrade", "head", "--sql"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert offline.returncode == 0, offline.stderr
    assert f"CREATE TABLE {table}" in offline.stdout
