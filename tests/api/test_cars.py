"""POST /cars/estimate in-process (FastAPI TestClient, lifespan included) over the registered cars model
(models/cars, or a small one the tests register; see `cars_model_dir` in conftest.py)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from tests.api.conftest import ROOT

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture(scope="module")
def card(cars_model_dir: Path) -> dict:
    return json.loads((cars_model_dir / "model_card.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def example() -> dict:
    from pipelines.cars.serving import EXAMPLE

    return dict(EXAMPLE)


def test_the_example_is_priced_with_the_registered_model(client, card, example, cars_model) -> None:
    from pipelines.cars.serving import CarEstimate

    response = client.post("/cars/estimate", json=example)
    assert response.status_code == 200, response.text
    body = response.json()
    CarEstimate.model_validate(body)
    assert body == cars_model.model.estimate(example)
    assert body["lower"] < body["price"] < body["upper"] and body["currency"] == "EUR"
    assert (body["model"], body["model_version"]) == (card["model"], card["version"])
    assert body["interval_coverage"] == card["interval"]["coverage"]


def test_an_older_or_more_driven_car_is_never_priced_higher_over_http(client, example) -> None:
    prices = [client.post("/cars/estimate", json=example | {"year": year}).json()["price"] for year in (2013, 2017)]
    assert prices[0] <= prices[1]
    driven = [client.post("/cars/estimate", json=example | {"mileage": km}).json()["price"] for km in (20_000, 150_000)]
    assert driven[1] <= driven[0]


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"mileage": -1}, "mileage: Input should be greater than or equal to 0"),
        ({"gear": "Manuel"}, "gear: Input should be 'Manual', 'Automatic' or 'Semi-automatic'"),
        ({"hp": "lots"}, "hp: Input should be a valid number"),
        ({"colour": "red"}, "colour: unknown field"),
        ({"year": 2024}, "year: 2024 is after 2021"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, example, change, text) -> None:
    response = client.post("/cars/estimate", json=example | change)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(text), response.text


def test_a_missing_field_is_named(client, example) -> None:
    body = {key: value for key, value in example.items() if key != "make"}
    response = client.post("/cars/estimate", json=body)
    assert response.status_code == 422 and response.json()["detail"] == "make: required"


def test_an_unknown_make_is_priced_with_a_warning(client, example) -> None:
    response = client.post("/cars/estimate", json=example | {"make": "Nomake"})
    assert response.status_code == 200 and "make: 'Nomake'" in response.json()["warnings"][0]


def test_a_missing_model_is_503_and_the_rest_still_serves(make_settings, credit_model, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from api.cars import load_cars
    from api.main import create_app

    app = create_app(make_settings(), credit=credit_model, cars=load_cars(tmp_path / "nowhere"))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/cars/estimate", json={})
        assert response.status_code == 503, response.text
        assert "model.joblib, model_card.json missing" in response.json()["detail"]
        assert "/tmp/" not in response.text and str(ROOT) not in response.text
        health = client.get("/health").json()
        assert health["status"] == "ok"
        assert health["cars"]["available"] is False
        assert "model.joblib, model_card.json missing" in health["cars"]["detail"]
        assert "/tmp/" not in health["cars"]["detail"] + health["cars"]["model_dir"]
        assert client.get("/predictions/2025-03-19").status_code == 200


def test_health_reports_the_loaded_cars_and_freelance_models(client, cars_model) -> None:
    health = client.get("/health").json()
    assert health["cars"] == {
        "available": True,
        "detail": None,
        "model_dir": health["cars"]["model_dir"],
        "version": cars_model.model.version,
    }
    assert health["freelance"]["available"] is True and health["freelance"]["version"]


def test_a_model_that_is_not_the_cards_is_refused_before_unpickling(cars_model_dir, tmp_path) -> None:
    from api.cars import load_cars

    copy = tmp_path / "cars"
    shutil.copytree(cars_model_dir, copy)
    with open(copy / "model.joblib", "ab") as handle:
        handle.write(b"tampered")
    loaded = load_cars(copy)
    assert loaded.model is None and "artefact_sha256" in loaded.detail


@pytest.mark.parametrize(
    ("body", "level", "text"),
    [
        ("example", logging.INFO, "POST /cars/estimate: Volkswagen Golf 2017, 60000 km, 110 hp → "),
        ({"mileage": -1}, logging.WARNING, "POST /cars/estimate → 422: make: required"),
    ],
)
def test_the_handler_logs_one_line(client, caplog, example, body, level, text) -> None:
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="api"):
        client.post("/cars/estimate", json=example if body == "example" else body)
    records = [record for record in caplog.records if record.name == "api"]
    assert len(records) == 1, [record.getMessage() for record in records]
    assert records[0].levelno == level and text in records[0].getMessage()


def test_openapi_documents_the_cars_endpoint(client, example) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/cars/estimate"]["post"]
    assert set(operation["responses"]) == {"200", "400", "422", "503"}
    body = operation["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/CarListing")
    assert body["examples"]["example"]["value"] == example
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/CarEstimate")
