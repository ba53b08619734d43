"""The API in-process (FastAPI TestClient, lifespan included) over real SQLite databases built by the project's code."""

from __future__ import annotations

import json
import logging
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import (
    DAYS_A,
    LOCATION,
    OFFSET_A,
    ROOT,
    build_database,
    observed,
    predicted_a,
)

ALL_DAYS = ["2025-03-19", "2025-03-20", "2025-03-21"]
# Starlette 1.x would rather drive its TestClient with httpx2; httpx (pinned) works, the notice is noise.
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


# --- GET /predictions/{date} ---------------------------------------------------------------------


def test_predictions_for_a_day_are_the_eight_stored_steps(client) -> None:
    response = client.get("/predictions/2025-03-19")
    assert response.status_code == 200
    body = response.json()
    assert body["date"] == "2025-03-19" and body["count"] == 8
    first = body["predictions"][0]
    assert first == {
        "target_time": "2025-03-19T00:00:00Z",
        "step": 0,
        "predicted_temperature": round(5.0 + OFFSET_A, 2),
        "lower_80": round(4.0 + OFFSET_A, 2),
        "upper_80": round(6.0 + OFFSET_A, 2),
        "lower_95": round(3.0 + OFFSET_A, 2),
        "upper_95": round(7.0 + OFFSET_A, 2),
        "issue_time": "2025-03-18T21:00:00Z",
        "location": LOCATION,
        "model_id": 1,
        "model_name": "xgboost_lags",
        "model_version": "20250318-aaaa",
    }
    assert [item["step"] for item in body["predictions"]] == list(range(8))
    assert [item["target_time"][11:16] for item in body["predictions"]] == [f"{3 * s:02d}:00" for s in range(8)]
    assert [item["predicted_temperature"] for item in body["predictions"]] == [
        round(predicted_a(step), 2) for step in range(8)
    ]


def test_a_day_forecast_by_two_models_returns_both_by_time_then_model(client) -> None:
    body = client.get("/predictions/2025-03-21").json()
    assert body["count"] == 16
    keys = [(item["target_time"], item["model_id"]) for item in body["predictions"]]
    assert keys == sorted(keys)
    assert {item["model_name"] for item in body["predictions"]} == {"xgboost_lags", "sarima"}


def test_a_day_without_predictions_is_404_listing_the_days_that_have_some(client) -> None:
    response = client.get("/predictions/2025-05-01")
    assert response.status_code == 404
    body = response.json()
    assert body["available_dates"] == ALL_DAYS
    assert body["detail"] == (
        "no predictions for 2025-05-01; predictions exist for 3 day(s) from 2025-03-19 to 2025-03-21 "
        "(see available_dates)"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("19-03-2025", "date: '19-03-2025' is not a date in YYYY-MM-DD form"),
        ("20250319", "date: '20250319' is not a date in YYYY-MM-DD form"),
        ("2025-3-19", "date: '2025-3-19' is not a date in YYYY-MM-DD form"),
        ("2025-03-19T00:00", "date: '2025-03-19T00:00' is not a date in YYYY-MM-DD form"),
        ("tomorrow", "date: 'tomorrow' is not a date in YYYY-MM-DD form"),
        ("2025-02-30", "date: '2025-02-30' is not a calendar date (day is out of range for month)"),
        ("2025-13-01", "date: '2025-13-01' is not a calendar date (month must be in 1..12)"),
        ("0000-01-01", "date: '0000-01-01' is not a calendar date"),
        ("1800-01-01", "date: 1800-01-01 is outside the supported range 1900-01-01 to 2200-12-31"),
        ("9999-12-31", "date: 9999-12-31 is outside the supported range 1900-01-01 to 2200-12-31"),
    ],
)
def test_a_malformed_date_is_422_saying_what_is_wrong(client, raw: str, message: str) -> None:
    response = client.get(f"/predictions/{raw}")
    assert response.status_code == 422
    assert response.json()["detail"].startswith(message)


# --- GET /predictions/combined -------------------------------------------------------------------


def test_combined_pairs_predictions_with_observations_and_scores_them(client) -> None:
    response = client.get("/predictions/combined", params={"start": "2025-03-19", "end": "2025-03-21"})
    assert response.status_code == 200
    body = response.json()
    assert (body["start"], body["end"], body["count"], body["observed_count"]) == ("2025-03-19", "2025-03-21", 32, 16)
    errors = [predicted_a(step) - observed(day, step) for day in ("2025-03-19", "2025-03-20") for step in range(8)]
    assert body["mae"] == round(sum(map(abs, errors)) / 16, 2)
    assert body["rmse"] == round(math.sqrt(sum(e * e for e in errors) / 16), 2)
    first = body["items"][0]
    assert first["observed_temperature"] == observed("2025-03-19", 0)
    assert first["error"] == round(predicted_a(0) - observed("2025-03-19", 0), 2)
    unobserved = [item for item in body["items"] if item["target_time"].startswith("2025-03-21")]
    assert len(unobserved) == 16
    assert all(item["observed_temperature"] is None and item["error"] is None for item in unobserved)
    times = [item["target_time"] for item in body["items"]]
    assert times == sorted(times)


def test_combined_over_one_day_equals_that_day(client) -> None:
    combined = client.get("/predictions/combined?start=2025-03-20&end=2025-03-20").json()
    day = client.get("/predictions/2025-03-20").json()
    assert combined["count"] == day["count"] == 8
    drop = {"observed_temperature", "error"}
    assert [{k: v for k, v in item.items() if k not in drop} for item in combined["items"]] == day["predictions"]


def test_combined_without_any_observation_has_no_scores(client) -> None:
    body = client.get("/predictions/combined?start=2025-03-21&end=2025-03-25").json()
    assert (body["count"], body["observed_count"], body["mae"], body["rmse"]) == (16, 0, None, None)


def test_a_period_up_to_the_maximum_is_accepted_and_a_longer_one_is_422(make_client) -> None:
    client = make_client(max_period_days=3)
    assert client.get("/predictions/combined?start=2025-03-19&end=2025-03-21").status_code == 200
    response = client.get("/predictions/combined?start=2025-03-19&end=2025-03-22")
    assert response.status_code == 422
    assert response.json() == {
        "detail": "period: 2025-03-19 to 2025-03-22 is 4 days; the longest accepted period is 3 days"
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2025-03-21&end=2025-03-19", "period: end 2025-03-19 is before start 2025-03-21"),
        ("start=2025-03-19", "end: required (YYYY-MM-DD)"),
        ("", "start: required (YYYY-MM-DD); end: required (YYYY-MM-DD)"),
        ("start=19/03/2025&end=2025-03-20", "start: '19/03/2025' is not a date in YYYY-MM-DD form"),
        ("start=2025-03-19&end=2025-02-29", "end: '2025-02-29' is not a calendar date (day is out of range for month)"),
        ("start=1900-01-01&end=2200-12-31", "period: 1900-01-01 to 2200-12-31 is 109938 days; the longest accepted"),
    ],
)
def test_a_bad_period_is_422_saying_what_is_wrong(client, query: str, message: str) -> None:
    response = client.get(f"/predictions/combined?{query}")
    assert response.status_code == 422
    assert response.json()["detail"].startswith(message)


def test_a_period_without_predictions_is_404_listing_the_days(client) -> None:
    response = client.get("/predictions/combined?start=2025-01-01&end=2025-01-31")
    assert response.status_code == 404
    assert response.json()["available_dates"] == ALL_DAYS


# --- /version and /health ------------------------------------------------------------------------


def test_version_is_a_json_string(make_client) -> None:
    assert make_client().get("/version").json() == "0.0.0"
    sha = "0123456789abcdef0123456789abcdef01234567"
    response = make_client(app_version=sha).get("/version")
    assert response.status_code == 200 and response.json() == sha
    assert response.headers["content-type"] == "application/json"


def test_health_reports_the_database_and_the_model_card(client) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["version"] == "0.0.0"
    database = body["database"]
    assert database["available"] is True and database["backend"] == "sqlite" and database["detail"] is None
    assert (database["prediction_days"], database["first_date"], database["last_date"]) == (3, *ALL_DAYS[::2])
    assert database["latest_model"]["name"] == "sarima"
    assert body["model_card"] == {
        "found": True,
        "detail": None,
        "name": "sarima",
        "version": "20250318-bbbb",
        "created_at": "2025-03-19T00:00:00+00:00",
    }


# --- the database missing, unreadable, empty; the model card missing ----------------------------


def test_a_missing_database_leaves_the_service_up_and_data_endpoints_503(make_client, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "weather.sqlite"
    client = make_client(database_url=f"sqlite:///{missing}")
    health = client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["database"]["available"] is False
    # The file's name, never the server's absolute path (outside the project: the name alone).
    assert health.json()["database"]["detail"] == "database file not found: weather.sqlite"
    assert str(tmp_path) not in health.text
    for path in ("/predictions/2025-03-19", "/predictions/combined?start=2025-03-19&end=2025-03-20"):
        response = client.get(path)
        assert response.status_code == 503
        assert "the prediction database is unavailable (database file not found" in response.json()["detail"]
        assert response.headers["retry-after"] == "30"
    assert client.get("/version").status_code == 200
    assert not missing.parent.exists()  # opened read-only: nothing created

    # The batch job writes the database later: the running service picks it up without a restart.
    missing.parent.mkdir()
    build_database(missing)
    assert client.get("/predictions/2025-03-19").status_code == 200
    assert client.get("/health").json()["status"] == "ok"


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"this is not a database" * 100, "file is not a database"), (b"", "no such table: predictions")],
)
def test_an_unreadable_database_is_503(make_client, tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "weather.sqlite"
    path.write_bytes(content)
    client = make_client(database_url=f"sqlite:///{path}")
    response = client.get("/predictions/2025-03-19")
    assert response.status_code == 503
    assert reason in response.json()["detail"]
    assert client.get("/health").json()["database"]["detail"] == f"cannot read the database (sqlite): {reason}"
    assert path.read_bytes() == content  # untouched


def test_an_empty_database_answers_404_and_health_says_so(make_client, tmp_path: Path) -> None:
    url = build_database(tmp_path / "weather.sqlite", with_predictions=False)
    client = make_client(database_url=url)
    response = client.get("/predictions/2025-03-19")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "no predictions for 2025-03-19; the database holds no predictions yet",
        "available_dates": [],
    }
    health = client.get("/health").json()
    assert health["status"] == "degraded"
    assert health["database"]["detail"] == "the database holds no predictions yet"


def test_a_missing_model_card_degrades_health_but_not_the_data(make_client, tmp_path: Path) -> None:
    client = make_client(model_card_path=tmp_path / "model_card.json")
    health = client.get("/health").json()
    assert health["status"] == "degraded"
    assert health["model_card"]["found"] is False
    assert health["model_card"]["detail"] == "model card not found: model_card.json"
    assert str(tmp_path) not in json.dumps(health)
    assert client.get("/predictions/2025-03-19").status_code == 200


def test_the_database_file_is_never_modified(make_client, prediction_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "weather.sqlite"
    shutil.copy(prediction_db, copy)
    before = copy.read_bytes()
    client = make_client(database_url=f"sqlite:///{copy}")
    for path in ("/health", "/predictions/2025-03-19", "/predictions/combined?start=2025-03-19&end=2025-03-21"):
        assert client.get(path).status_code == 200
    assert copy.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weather.sqlite"]  # no journal left behind


def test_answers_come_from_memory_until_the_database_changes(
    make_client, prediction_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.weather import database

    copy = tmp_path / "weather.sqlite"
    shutil.copy(prediction_db, copy)
    reads = []
    real = database.predictions_for_date
    monkeypatch.setattr(database, "predictions_for_date", lambda *args: reads.append(args[1]) or real(*args))
    client = make_client(database_url=f"sqlite:///{copy}")
    first = client.get("/predictions/2025-03-19").json()
    assert client.get("/predictions/2025-03-19").json() == first
    assert len(reads) == 1  # the second answer came from memory

    # The batch job stores new values for that day: the next answer has them.
    engine = database.make_engine(f"sqlite:///{copy}")
    try:
        model_id = database.latest_model(engine)["id"]
        frame = _predictions_frame("2025-03-19", value=42.0)
        database.store_predictions(engine, model_id, frame)
    finally:
        engine.dispose()
    again = client.get("/predictions/2025-03-19").json()
    assert len(reads) == 2
    assert [item["predicted_temperature"] for item in again["predictions"] if item["model_name"] == "sarima"] == [
        42.0
    ] * 8

    copy.unlink()  # the database disappears: no stale answer, a 503
    assert client.get("/predictions/2025-03-19").status_code == 503


def _predictions_frame(day: str, value: float):
    import pandas as pd

    start = pd.Timestamp(day)
    return pd.DataFrame(
        {
            "issue_time": [start - pd.Timedelta(hours=3)] * 8,
            "target_time": [start + pd.Timedelta(hours=3 * step) for step in range(8)],
            "step": list(range(8)),
            "predicted_temperature": [value] * 8,
            "explanatory": [{}] * 8,
        }
    )


def test_a_postgresql_database_is_served_like_the_sqlite_one(make_client, postgres_url: str) -> None:
    """Moving to PostgreSQL is a change of WEATHER_DATABASE_URL: the same database, the same answers."""
    import uuid

    import sqlalchemy as sa

    schema = f"api_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = sa.make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
        build_database(url.render_as_string(hide_password=False))
        postgres = make_client(database_url=url.render_as_string(hide_password=False))
        sqlite = make_client()
        for path in (
            "/predictions/2025-03-21",
            "/predictions/combined?start=2025-03-19&end=2025-03-21",
            "/predictions/2025-05-01",
        ):
            answer = postgres.get(path)
            assert (answer.status_code, answer.json()) == (sqlite.get(path).status_code, sqlite.get(path).json())
        assert postgres.get("/health").json()["database"]["backend"] == "postgresql"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_an_unreachable_postgresql_server_is_503_not_a_hang(make_client) -> None:
    client = make_client(database_url="postgresql+psycopg://weather@127.0.0.1:1/weather")
    response = client.get("/predictions/2025-03-19")
    assert response.status_code == 503
    assert "cannot read the database (postgresql)" in response.json()["detail"]
    health = client.get("/health").json()
    assert health["status"] == "degraded" and health["database"]["backend"] == "postgresql"


# --- logging -------------------------------------------------------------------------------------


def _api_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "api"]


@pytest.mark.parametrize(
    ("path", "level", "text"),
    [
        ("/predictions/2025-03-19", logging.INFO, "GET /predictions/2025-03-19: 8 predictions"),
        ("/predictions/combined?start=2025-03-19&end=2025-03-20", logging.INFO, "16 predictions, 16 observed"),
        ("/version", logging.INFO, "GET /version: 0.0.0"),
        ("/health", logging.INFO, "GET /health: ok"),
        ("/predictions/2025-05-01", logging.INFO, "GET /predictions/2025-05-01 → 404: no predictions"),
        ("/predictions/2025-02-30", logging.WARNING, "→ 422: date: '2025-02-30' is not a calendar date"),
        ("/predictions/combined?start=x&end=y", logging.WARNING, "→ 422: start: 'x' is not a date"),
    ],
)
def test_every_handler_logs_one_line(client, caplog: pytest.LogCaptureFixture, path: str, level: int, text: str):
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="api"):
        client.get(path)
    records = _api_records(caplog)
    assert len(records) == 1, [record.getMessage() for record in records]
    assert records[0].levelno == level and text in records[0].getMessage()
    assert records[0].exc_info is None


def test_unavailable_data_is_logged_as_an_error_with_its_stack_trace(
    make_client, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "weather.sqlite"
    path.write_bytes(b"garbage" * 100)
    client = make_client(database_url=f"sqlite:///{path}")
    caplog.clear()
    client.get("/predictions/2025-03-19")
    [record] = _api_records(caplog)
    assert record.levelno == logging.ERROR and "→ 503" in record.getMessage()
    assert record.exc_info is not None and "DatabaseError" in caplog.text  # the sqlite error's traceback


def test_an_unexpected_error_is_a_logged_500_without_internals(
    make_client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from api.store import PredictionStore

    def broken(self, day):
        raise RuntimeError("bug in the service")

    monkeypatch.setattr(PredictionStore, "for_date", broken)
    client = make_client()
    response = client.get("/predictions/2025-03-19")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error (logged on the server)"}
    errors = [record for record in _api_records(caplog) if record.levelno == logging.ERROR]
    assert errors and errors[0].exc_info is not None and "bug in the service" in caplog.text


# --- settings, start-up, OpenAPI -----------------------------------------------------------------


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from api.settings import Settings

    for name in ("WEATHER_DATABASE_URL", "WEATHER_MODEL_CARD", "APP_VERSION", "LOG_LEVEL", "MAX_PERIOD_DAYS"):
        monkeypatch.delenv(name, raising=False)
    from pipelines.common.params import load_params
    from pipelines.weather.database import database_url

    defaults = Settings.from_env()
    configured = load_params("weather").section("batch").get("database_url")
    assert defaults.database_url == database_url(configured)  # params.yaml's, a SQLite path anchored at the root
    assert defaults.model_card_path == ROOT / "models/weather/model_card.json"
    assert (defaults.app_version, defaults.log_level, defaults.max_period_days) == ("0.0.0", "INFO", 31)

    monkeypatch.setenv("WEATHER_DATABASE_URL", "sqlite:///elsewhere/weather.sqlite")
    monkeypatch.setenv("WEATHER_MODEL_CARD", str(tmp_path / "card.json"))
    monkeypatch.setenv("APP_VERSION", " abc123 ")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("MAX_PERIOD_DAYS", "7")
    custom = Settings.from_env()
    assert custom.database_url == f"sqlite:///{ROOT}/elsewhere/weather.sqlite"
    assert custom.model_card_path == tmp_path / "card.json"
    assert (custom.app_version, custom.log_level, custom.max_period_days) == ("abc123", "DEBUG", 7)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAX_PERIOD_DAYS", "a week", "MAX_PERIOD_DAYS: must be a whole number of days, got 'a week'"),
        ("MAX_PERIOD_DAYS", "0", "MAX_PERIOD_DAYS: must be between 1 and 3660, got 0"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'"),
        ("WEATHER_DATABASE_URL", "not a url", "WEATHER_DATABASE_URL: not a database URL"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    from api.settings import Settings, SettingsError

    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env()


def test_the_app_reads_its_settings_at_start_up(
    monkeypatch: pytest.MonkeyPatch, prediction_db: Path, model_card: Path
) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app

    monkeypatch.setenv("WEATHER_DATABASE_URL", f"sqlite:///{prediction_db}")
    monkeypatch.setenv("WEATHER_MODEL_CARD", str(model_card))
    monkeypatch.setenv("APP_VERSION", "from-the-environment")
    monkeypatch.setenv("MAX_PERIOD_DAYS", "2")
    with TestClient(create_app()) as client:
        assert client.get("/version").json() == "from-the-environment"
        assert client.get("/predictions/combined?start=2025-03-19&end=2025-03-21").status_code == 422
        assert client.get("/openapi.json").json()["info"]["version"] == "from-the-environment"


def test_openapi_documents_every_answer_with_examples(client) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert list(paths) == [
        "/predictions/combined",
        "/predictions/{date}",
        "/version",
        "/health",
        "/credit/score",
        "/credit/model",
        "/credit/importance",
        "/credit/monitoring",
        "/credit/form",
        "/cars/estimate",
        "/freelance/estimate",
    ]  # the credit endpoints: test_credit.py; cars and freelance: test_cars.py, test_freelance.py
    for path in ("/predictions/combined", "/predictions/{date}"):
        responses = paths[path]["get"]["responses"]
        assert set(responses) == {"200", "404", "422", "503"}
        assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorMessage")
        assert responses["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/NotFoundMessage")
        for parameter in paths[path]["get"]["parameters"]:
            assert parameter["schema"]["format"] == "date" and parameter["examples"]
    components = schema["components"]["schemas"]
    for name in ("DayPredictions", "CombinedPredictions", "Health", "ErrorMessage", "NotFoundMessage"):
        assert components[name]["examples"], name
    assert paths["/version"]["get"]["responses"]["200"]["content"]["application/json"]["example"] == "0.0.0"


def test_the_examples_in_the_schema_are_real_answers(client) -> None:
    """The documented examples were taken from the pipeline's run; they must fit the response models."""
    from api import schemas

    for model in (schemas.DayPredictions, schemas.CombinedPredictions, schemas.Health, schemas.NotFoundMessage):
        for example in model.model_config["json_schema_extra"]["examples"]:
            model.model_validate(example)


def test_importing_the_app_does_not_import_training_libraries() -> None:
    """The API image ships only the API's runtime dependencies: no TensorFlow, XGBoost, statsmodels, DVC…"""
    heavy = ["tensorflow", "keras", "xgboost", "statsmodels", "pmdarima", "sklearn", "dvc", "matplotlib", "shap"]
    code = f"import sys, api.main; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_days_a_and_the_fixture_agree(client) -> None:
    # Guards the fixture itself: every day model A forecast is served.
    for day in DAYS_A:
        assert client.get(f"/predictions/{day}").status_code == 200


def test_a_cached_day_is_answered_by_the_fast_path_exactly_as_by_the_handler(client, caplog) -> None:
    from api.main import cached_day

    caplog.set_level(logging.INFO, logger="api")
    service = client.app.state.service
    scope = {"type": "http", "method": "GET", "path": "/predictions/2025-03-19", "query_string": b""}
    assert cached_day(service, scope) is None  # nothing cached yet: the handler answers
    first = client.get("/predictions/2025-03-19")
    assert cached_day(service, scope) is not None  # now the fast path does
    second = client.get("/predictions/2025-03-19")
    assert second.status_code == first.status_code == 200 and second.content == first.content
    assert second.headers.raw == first.headers.raw  # the guard's security headers included, in the same order
    assert second.headers["x-content-type-options"] == "nosniff"
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("GET /predictions/2025-03-19")]
    assert lines == ["GET /predictions/2025-03-19: 8 predictions"] * 2
    for other in ("/predictions/2025-13-45", "/predictions/combined", "/predictions/2025-03-19x"):
        assert cached_day(service, scope | {"path": other}) is None
    assert cached_day(service, scope | {"query_string": b"a=1"}) is None
    assert cached_day(None, scope) is None  # before the lifespan made the service


def test_the_fast_path_leaves_any_error_of_the_cache_to_the_handler(client, monkeypatch) -> None:
    from api.main import cached_day

    service = client.app.state.service
    assert client.get("/predictions/2025-03-19").status_code == 200  # cached now

    def fails(key):
        raise PermissionError("database file: permission denied")

    monkeypatch.setattr(service.store.cache, "lookup", fails)
    assert cached_day(service, {"type": "http", "method": "GET", "path": "/predictions/2025-03-19"}) is None
    answer = client.get("/predictions/2025-03-19")  # the handler meets it: the app's own 500, logged
    assert answer.status_code == 500 and answer.json() == {"detail": "internal error (logged on the server)"}
