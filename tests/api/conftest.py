"""Fixtures for the API tests.

* `prediction_db`: a real SQLite database built with the project's own code (migrations, register_model,
  store_predictions, upsert_observations) — the same calls the batch stage makes.
* `client`: FastAPI's TestClient over the app, lifespan included.
* `credit_model_dir`: the registered credit model the app scores with: the working tree's models/credit
  (written by `dvc repro credit_register`), or in a checkout without it (a fresh clone: model.joblib is a
  DVC output) a small model fitted and registered by the credit tests' own helpers. `credit_model` is it
  loaded once, shared by the apps the tests start.
* `base_url`: a real HTTP server. Locally, uvicorn started as a subprocess on 127.0.0.1 and a free port
  over `prediction_db`; with `API_BASE_URL` set (CI), the server already running there — e.g. the Docker
  image just pushed — and `EXPECTED_APP_VERSION` is what its `/version` must answer.

Project modules are imported inside the fixtures that need them: the HTTP tests also run in a CI job that
installs only pytest, httpx and schemathesis to test the image from outside.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.services import free_port, stop, wait_until_up
from tests.weather.postgres import postgres_url, sql_url  # noqa: F401  (PostgreSQL, started on demand; a fresh database per test)

ROOT = Path(__file__).resolve().parents[2]
IMAGE_PYTHON = Path(__file__).with_name("image_python.py")
CREDIT_MODEL_DIR = ROOT / "models" / "credit"
CREDIT_FILES = ("model.joblib", "model_card.json", "shap_background.csv.gz", "missing_value_grid.json")
CARS_MODEL_DIR = ROOT / "models" / "cars"
CARS_FILES = ("model.joblib", "model_card.json")
FREELANCE_MODEL_DIR = ROOT / "models" / "freelance"
LOCATION = "IJmuiden"
# Model A forecasts 19-21 March, model B (registered later) 21 March too; observations cover 19-20 March.
DAYS_A = ("2025-03-19", "2025-03-20", "2025-03-21")
DAYS_B = ("2025-03-21",)
OBSERVED_DAYS = ("2025-03-19", "2025-03-20")
OFFSET_A = 0.123456  # predicted = 5 + step + offset: shows the API's rounding to 0.01
OFFSET_B = -1.0


def predicted_a(step: int) -> float:
    return 5.0 + step + OFFSET_A


def observed(day: str, step: int) -> float:
    return (4.0 if day == "2025-03-19" else 6.0) + step


MONITORING_SUMMARY = {
    "status": "alert",
    "alerts": [{"name": "score_psi", "value": 0.31, "limit": 0.2, "message": "0.310 population stability index"}],
    "source": "recorded_traffic.jsonl.gz",
    "model": {"name": "xgboost", "version": "xgboost-abc"},
    "operations": {"requests": 8080, "latency_p95_ms": 210.0},
    "scores": {"score_psi": 0.31},
    "drift": {"share_drifted": 0.1},
    "limits": {"max_score_psi": 0.2},
}


def _predictions(days: tuple[str, ...], offset: float):
    import pandas as pd

    rows = []
    for day in map(pd.Timestamp, days):
        for step in range(8):
            rows.append(
                {
                    "issue_time": day - pd.Timedelta(hours=3),
                    "target_time": day + pd.Timedelta(hours=3 * step),
                    "step": step,
                    "predicted_temperature": 5.0 + step + offset,
                    "lower_80": 4.0 + step + offset,
                    "upper_80": 6.0 + step + offset,
                    "lower_95": 3.0 + step + offset,
                    "upper_95": 7.0 + step + offset,
                    "explanatory": {"lag_8": 4.0 + step},
                }
            )
    return pd.DataFrame(rows)


def _register(engine, database, name: str, version: str) -> int:
    return database.register_model(
        engine,
        name=name,
        version=version,
        location=LOCATION,
        training_start="2018-01-01",
        training_end="2025-03-18 21:00",
        parameters={"max_depth": 5},
        metrics={"mae": 1.2},
        artefact_path=f"models/weather/{name}.joblib",
        library_versions={"python": "3.11"},
        data_source="test (synthetic)",
    )


def build_database(path_or_url: Path | str, *, with_predictions: bool = True) -> str:
    """A migrated database (a SQLite file path, or any URL) holding two models' predictions and observations."""
    import pandas as pd

    from pipelines.weather import database

    url = path_or_url if isinstance(path_or_url, str) else f"sqlite:///{path_or_url}"
    engine = database.make_engine(url)
    try:
        database.migrate(engine)
        if with_predictions:
            first = _register(engine, database, "xgboost_lags", "20250318-aaaa")
            database.store_predictions(engine, first, _predictions(DAYS_A, OFFSET_A))
            second = _register(engine, database, "sarima", "20250318-bbbb")
            database.store_predictions(engine, second, _predictions(DAYS_B, OFFSET_B))
            times = pd.date_range(OBSERVED_DAYS[0], periods=8 * len(OBSERVED_DAYS), freq="3h", name="time")
            values = [observed(str(time.date()), time.hour // 3) for time in times]
            frame = pd.DataFrame({"temperature_2m": values, "relative_humidity_2m": 80.0}, index=times)
            database.upsert_observations(engine, frame, LOCATION, "3h")
    finally:
        engine.dispose()
    return url


def write_model_card(path: Path) -> Path:
    card = {"name": "sarima", "version": "20250318-bbbb", "created_at": "2025-03-19T00:00:00+00:00"}
    path.write_text(json.dumps(card), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def no_event_store_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps built from the environment store no scoring event (never in the checkout's data/db); the tests of
    the store pass their own URL."""
    monkeypatch.setenv("CREDIT_EVENTS_URL", "off")


@pytest.fixture(scope="session")
def prediction_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "weather.sqlite"
    build_database(path)
    return path


@pytest.fixture(scope="session")
def model_card(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_model_card(tmp_path_factory.mktemp("card") / "model_card.json")


def register_small_credit_model(directory: Path) -> Path:
    """A registered credit model in `directory`, fitted in seconds on the shipped sample with the credit
    tests' own helpers (the same files the credit_register stage writes; the card reduced to what is read)."""
    from pipelines.credit.data import read_application, split_labelled
    from tests.credit.conftest import LABELLED_FILE, fit_pipeline, write_registered_model

    train, _ = split_labelled(read_application(LABELLED_FILE, labelled=True), test_size=0.2, seed=7, max_rows=3000)
    return write_registered_model(directory, fit_pipeline(train), train, threshold=0.5)


@pytest.fixture(scope="session")
def credit_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if all((CREDIT_MODEL_DIR / name).is_file() for name in CREDIT_FILES):
        return CREDIT_MODEL_DIR
    return register_small_credit_model(tmp_path_factory.mktemp("credit"))


@pytest.fixture(scope="session")
def credit_model(credit_model_dir: Path):
    from api.credit import load_credit

    loaded = load_credit(credit_model_dir)
    assert loaded.available, loaded.detail
    return loaded


def register_small_cars_model(directory: Path) -> Path:
    """A registered cars model in `directory`, fitted in seconds on real listings with the cars tests' helpers."""
    from pipelines.cars.data import apply_outlier_rule, read_listings, remove_exact_duplicates, split_listings
    from tests.cars.conftest import LISTINGS_FILE, RULE, register_small_model

    unique, _ = remove_exact_duplicates(apply_outlier_rule(read_listings(LISTINGS_FILE), RULE)[0])
    train, validation, _ = split_listings(unique.sample(4000, random_state=0), 0.15, 0.15, seed=0)
    return register_small_model(directory, train, validation)


@pytest.fixture(scope="session")
def cars_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """models/cars when `dvc repro cars_register` wrote it, else a small model registered by the tests."""
    if all((CARS_MODEL_DIR / name).is_file() for name in CARS_FILES):
        return CARS_MODEL_DIR
    return register_small_cars_model(tmp_path_factory.mktemp("cars"))


@pytest.fixture(scope="session")
def cars_model(cars_model_dir: Path):
    from api.cars import load_cars

    loaded = load_cars(cars_model_dir)
    assert loaded.model is not None, loaded.detail
    return loaded


@pytest.fixture(scope="session")
def freelance_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The registered freelance estimator (models/freelance after `dvc repro freelance_register`), else a small
    one fitted and registered by the freelance tests' helper."""
    if all((FREELANCE_MODEL_DIR / name).is_file() for name in ("model.joblib", "model_card.json")):
        return FREELANCE_MODEL_DIR
    from tests.freelance.conftest import register_small_estimator

    return register_small_estimator(tmp_path_factory.mktemp("freelance"))


@pytest.fixture
def make_settings(prediction_db: Path, model_card: Path, credit_model_dir: Path):
    """Settings over the test database; keyword arguments override fields."""
    from api.settings import Settings

    def make(**changes) -> Settings:
        fields = {
            "database_url": f"sqlite:///{prediction_db}",
            "model_card_path": model_card,
            "app_version": "0.0.0",
            "log_level": "INFO",
            "max_period_days": 31,
            "credit_model_dir": credit_model_dir,
        }
        return Settings(**(fields | changes))

    return make


@pytest.fixture
def make_client(make_settings, credit_model, cars_model, freelance_model_dir, monkeypatch):
    """Start the app (lifespan included) with settings overrides; closed at the end of the test.

    The apps share the credit model loaded once, unless `credit_model_dir` is overridden: then the app
    loads it at start-up, as in production. The cars model loaded once is shared by every app; the freelance
    estimator is loaded from `freelance_model_dir` (FREELANCE_MODEL_DIR, as in production).
    """
    from fastapi.testclient import TestClient

    from api.main import create_app

    monkeypatch.setenv("FREELANCE_MODEL_DIR", str(freelance_model_dir))
    clients = []

    def make(**changes) -> TestClient:
        shared = None if "credit_model_dir" in changes else credit_model
        client = TestClient(
            create_app(make_settings(**changes), credit=shared, cars=cars_model), raise_server_exceptions=False
        )
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2.0).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, credit_model_dir: Path, cars_model_dir: Path, freelance_model_dir: Path
) -> Iterator[str]:
    """A real uvicorn process serving the test database, the credit, cars and freelance models, on 127.0.0.1 and a
    free port, with only the packages of the API image importable."""
    directory = tmp_path_factory.mktemp("live")
    database = directory / "weather.sqlite"
    build_database(database)
    card = write_model_card(directory / "model_card.json")
    env = {key: value for key, value in os.environ.items() if key != "APP_VERSION"}
    env |= {"WEATHER_DATABASE_URL": f"sqlite:///{database}", "WEATHER_MODEL_CARD": str(card), "LOG_LEVEL": "INFO"}
    env |= {"CREDIT_MODEL_DIR": str(credit_model_dir), "CREDIT_EVENTS_URL": f"sqlite:///{directory / 'events.sqlite'}"}
    summary = directory / "monitoring.json"
    summary.write_text(json.dumps(MONITORING_SUMMARY))
    env |= {"CREDIT_MONITORING_SUMMARY": str(summary)}
    env |= {"CREDIT_MODEL_DIR": str(credit_model_dir), "CARS_MODEL_DIR": str(cars_model_dir)}
    env |= {"FREELANCE_MODEL_DIR": str(freelance_model_dir)}
    log_file = directory / "uvicorn.log"
    for _attempt in range(3):  # the port may be taken between choosing it and binding it: try another
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        # Only the image's packages importable (tests/api/image_python.py): the HTTP tests also prove
        # that requirements-api.txt is enough to serve.
        command = [sys.executable, str(IMAGE_PYTHON), "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1"]
        command += ["--port", str(port)]
        with open(log_file, "w") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        if wait_until_up(lambda url=url: _healthy(url), process, timeout_s=30):
            break
        if process.poll() is None:  # running but silent: not a port taken by someone else, do not retry
            stop(process)
            raise RuntimeError(f"uvicorn did not answer within 30 s:\n{log_file.read_text()}")
    else:
        raise RuntimeError(f"uvicorn did not start:\n{log_file.read_text()}")
    try:
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="session")
def base_url(request: pytest.FixtureRequest) -> str:
    """API_BASE_URL when testing a running deployment (the image in CI), else the local uvicorn."""
    external = os.environ.get("API_BASE_URL")
    if external:
        return external.rstrip("/")
    return request.getfixturevalue("live_server")


@pytest.fixture(scope="session")
def expected_version() -> str:
    return os.environ.get("EXPECTED_APP_VERSION") or "0.0.0"


@pytest.fixture(scope="session")
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10.0) as client:
        yield client


@pytest.fixture(scope="session")
def openapi_schema(base_url: str):
    """The service's OpenAPI schema, for schemathesis; requests go to the same base URL."""
    import schemathesis

    return schemathesis.openapi.from_url(f"{base_url}/openapi.json", wait_for_schema=15)
