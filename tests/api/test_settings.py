"""The service's settings model (api/settings.py, pydantic-settings): one variable per field, blank = unset, every
bad value a SettingsError naming the variable and the rule, the table in docs/api.md generated from the fields,
and uvicorn's protocol (api/server.py), which reads them before the app does.

(What each setting does to the service is tested where it acts: test_app.py, test_credit.py, test_credit_events.py,
test_faults.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import ROOT

DOCS = ROOT / "docs" / "api.md"
START = "<!-- generated from api/settings.py by `python -m api.settings`; tests/api/test_settings.py checks it -->"
END = "<!-- end of the generated table -->"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No setting of the caller's environment leaks into the test."""
    from api.settings import Settings

    for field in Settings.model_fields.values():
        monkeypatch.delenv(str(field.validation_alias), raising=False)
    return monkeypatch


def _environment_without_settings(**variables: str) -> dict[str, str]:
    from api.settings import Settings

    names = {str(field.validation_alias) for field in Settings.model_fields.values()}
    return {name: value for name, value in os.environ.items() if name not in names} | variables


def test_the_documented_table_is_the_one_generated_from_the_fields() -> None:
    from api.settings import Settings, settings_table

    text = DOCS.read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1
    documented = text.split(START, 1)[1].split(END, 1)[0].strip() + "\n"
    assert documented == settings_table(), "docs/api.md is stale: paste `python -m api.settings` between the markers"
    rows = [line for line in documented.splitlines()[2:]]
    assert [row.split("`")[1] for row in rows] == [field.validation_alias for field in Settings.model_fields.values()]


def test_the_table_states_each_rule_the_validation_applies(environment: pytest.MonkeyPatch) -> None:
    """The 'accepts' column is built from the same constraints that reject a value: the bounds it shows are
    exactly the ones where a value starts failing."""
    from api.settings import Settings, SettingsError, settings_table

    row = next(line for line in settings_table().splitlines() if line.startswith("| `MAX_BODY_BYTES`"))
    assert "between 1024 and 16777216" in row
    for value, accepted in (("1023", False), ("1024", True), ("16777216", True), ("16777217", False)):
        environment.setenv("MAX_BODY_BYTES", value)
        if accepted:
            assert Settings.from_env().max_body_bytes == int(value)
        else:
            with pytest.raises(SettingsError, match=f"MAX_BODY_BYTES: must be between 1024 and 16777216, got {value}"):
                Settings.from_env()


def test_the_defaults_without_any_variable(environment: pytest.MonkeyPatch) -> None:
    from api.settings import Settings

    settings = Settings.from_env()
    assert settings.events_url == f"sqlite:///{ROOT}/data/db/credit_events.sqlite"  # anchored at the root
    assert settings.monitoring_summary == ROOT / "reports/credit/monitoring.json"
    assert (settings.cars_model_dir, settings.freelance_model_dir) == (ROOT / "models/cars", ROOT / "models/freelance")
    assert (settings.max_body_bytes, settings.body_timeout_s, settings.scoring_threads) == (65536, 10, 1)
    assert (settings.events_retention_days, settings.header_timeout_s) == (90, 10.0)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CREDIT_EVENTS_RETENTION_DAYS", "-1", "CREDIT_EVENTS_RETENTION_DAYS: must be between 1 and 3660, got -1"),
        ("CREDIT_EVENTS_RETENTION_DAYS", "a year", "CREDIT_EVENTS_RETENTION_DAYS: must be a whole number of days"),
        ("MAX_BODY_BYTES", "64 KiB", "MAX_BODY_BYTES: must be a whole number of bytes, got '64 KiB'"),
        ("BODY_TIMEOUT_S", "601", "BODY_TIMEOUT_S: must be between 1 and 600, got 601"),
        ("SCORING_THREADS", "0", "SCORING_THREADS: must be between 1 and 64, got 0"),
        ("SCORING_THREADS", "1.5", "SCORING_THREADS: must be a whole number of threads, got '1.5'"),
        ("HEADER_TIMEOUT_S", "0", "HEADER_TIMEOUT_S: must be more than 0 and at most 600, got 0"),
        ("HEADER_TIMEOUT_S", "soon", "HEADER_TIMEOUT_S: must be a number of seconds, got 'soon'"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'"),
        ("CREDIT_EVENTS_URL", "://", "CREDIT_EVENTS_URL: not a database URL (or 'off')"),
    ],
)
def test_a_bad_value_names_the_variable_and_the_rule(
    environment: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    from api.settings import Settings, SettingsError

    environment.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        Settings.from_env()
    assert str(raised.value).startswith(message)


def test_every_bad_variable_is_named_at_once(environment: pytest.MonkeyPatch) -> None:
    from api.settings import Settings, SettingsError

    environment.setenv("MAX_PERIOD_DAYS", "0")
    environment.setenv("WEATHER_DATABASE_URL", "not a url")
    with pytest.raises(SettingsError) as raised:
        Settings.from_env()
    assert str(raised.value).startswith("WEATHER_DATABASE_URL: not a database URL")
    assert str(raised.value).endswith("; MAX_PERIOD_DAYS: must be between 1 and 3660, got 0")


def test_a_blank_variable_counts_as_unset(environment: pytest.MonkeyPatch) -> None:
    from api.settings import Settings

    for name in ("MAX_BODY_BYTES", "CREDIT_EVENTS_URL", "APP_VERSION", "LOG_LEVEL", "CARS_MODEL_DIR"):
        environment.setenv(name, "  ")
    settings = Settings.from_env()
    assert (settings.max_body_bytes, settings.app_version, settings.log_level) == (65536, "0.0.0", "INFO")
    assert settings.events_url == f"sqlite:///{ROOT}/data/db/credit_events.sqlite"
    assert settings.cars_model_dir == ROOT / "models/cars"


def test_values_are_read_from_their_variable_only(environment: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Names are case-sensitive and a variable spelt like the field (pydantic-settings' fallback when fields may
    be given by name) is not read: `database_url` is a common variable of other programs."""
    from api.settings import Settings

    environment.setenv("database_url", "sqlite:///elsewhere.sqlite")
    environment.setenv("max_period_days", "7")
    environment.setenv("log_level", "DEBUG")
    environment.setenv("Scoring_Threads", "5")
    settings = Settings.from_env()
    assert (settings.max_period_days, settings.log_level, settings.scoring_threads) == (31, "INFO", 1)
    assert "elsewhere" not in settings.database_url
    environment.setenv("SCORING_THREADS", "5")
    environment.setenv("CARS_MODEL_DIR", "other/cars")
    environment.setenv("HEADER_TIMEOUT_S", "2.5")
    settings = Settings.from_env()
    assert (settings.scoring_threads, settings.cars_model_dir, settings.header_timeout_s) == (
        5,
        ROOT / "other/cars",
        2.5,
    )


def test_code_gives_fields_by_name_and_the_rest_come_from_the_environment(
    environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from api.settings import Settings

    environment.setenv("SCORING_THREADS", "3")
    environment.setenv("MAX_PERIOD_DAYS", "9")
    settings = Settings(database_url="sqlite:///relative.sqlite", max_period_days=4, events_url=None)
    assert settings.database_url == f"sqlite:///{ROOT}/relative.sqlite"  # the same anchoring as a variable's
    assert (settings.max_period_days, settings.scoring_threads, settings.events_url) == (4, 3, None)
    with pytest.raises(ValueError, match="frozen"):
        settings.max_period_days = 5  # type: ignore[misc]


def test_a_broken_params_file_is_named_not_replaced_by_the_default(environment: pytest.MonkeyPatch) -> None:
    """Without WEATHER_DATABASE_URL the default is params.yaml's weather.batch.database_url (a checkout)."""
    import pipelines.common.params
    from api.settings import Settings, SettingsError

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("mapping values are not allowed here")

    environment.setattr(pipelines.common.params, "load_params", broken)
    with pytest.raises(SettingsError, match="params.yaml weather.batch.database_url: mapping values"):
        Settings.from_env()
    environment.setenv("WEATHER_DATABASE_URL", "sqlite:///set.sqlite")  # params.yaml is not read then
    assert Settings.from_env().database_url == f"sqlite:///{ROOT}/set.sqlite"


def test_off_stores_no_event_in_any_case(environment: pytest.MonkeyPatch) -> None:
    from api.settings import Settings

    for value in ("off", " OFF ", "Off"):
        environment.setenv("CREDIT_EVENTS_URL", value)
        assert Settings.from_env().events_url is None


def test_the_log_levels_are_the_ones_logging_knows() -> None:
    import logging

    from api.settings import LOG_LEVELS

    assert LOG_LEVELS == ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
    assert all(isinstance(logging.getLevelName(level), int) for level in LOG_LEVELS)


def test_urls_are_anchored_like_the_pipelines(environment: pytest.MonkeyPatch) -> None:
    """The settings' own anchoring agrees with the pipeline functions that read the same variables."""
    from api.settings import Settings
    from pipelines.credit.events import events_url
    from pipelines.weather.database import database_url

    for url in ("sqlite:///data/db/x.sqlite", "sqlite:////tmp/abs.sqlite", "sqlite://", "postgresql://u:p@h/db"):
        environment.setenv("WEATHER_DATABASE_URL", url)
        environment.setenv("CREDIT_EVENTS_URL", url)
        settings = Settings.from_env()
        assert (settings.database_url, settings.events_url) == (database_url("unused"), events_url())


def test_check_prints_the_values_with_passwords_hidden_or_the_error() -> None:
    command = [sys.executable, "-m", "api.settings", "--check"]
    env = _environment_without_settings(
        WEATHER_DATABASE_URL="postgresql+psycopg://reader:s3cret@db.example/weather", SCORING_THREADS="4"
    )
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "WEATHER_DATABASE_URL=postgresql+psycopg://reader:***@db.example/weather" in lines
    assert "SCORING_THREADS=4" in lines and "s3cret" not in result.stdout
    env["CREDIT_EVENTS_RETENTION_DAYS"] = "-1"
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == "CREDIT_EVENTS_RETENTION_DAYS: must be between 1 and 3660, got -1\n"


@pytest.mark.parametrize(
    ("code", "variables", "expected"),
    [
        ("import api.server; print(api.server.HEADER_TIMEOUT_S)", {"HEADER_TIMEOUT_S": "2"}, "2.0"),
        ("import api.server", {"HEADER_TIMEOUT_S": "-3"}, "HEADER_TIMEOUT_S: must be more than 0 and at most 600"),
    ],
)
def test_what_reads_settings_before_the_app_names_a_bad_variable(
    code: str, variables: dict[str, str], expected: str
) -> None:
    """uvicorn imports api.server's protocol before the app's lifespan reads the settings: a bad value stops the
    process there, with the same message."""
    env = _environment_without_settings(**variables)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    if expected[0].isdigit():
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected
    else:
        assert result.returncode != 0
        assert expected in result.stderr.splitlines()[-1]
