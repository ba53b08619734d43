"""The API over real HTTP: a uvicorn process on 127.0.0.1 (local), or any running deployment given by
API_BASE_URL — CI points it at the Docker image it just pushed, with EXPECTED_APP_VERSION = the commit id.

Against a deployment the data are not the test database's, so these tests find the stored days through
the API itself and check shapes and consistency rather than values.
"""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest


@pytest.fixture(scope="module")
def stored_days(http: httpx.Client) -> list[str]:
    response = http.get("/predictions/1900-01-01")  # nobody forecast that day: the 404 lists the days
    assert response.status_code == 404
    days = response.json()["available_dates"]
    assert days, "the service holds no predictions"
    return days


def test_version_is_the_expected_string(http: httpx.Client, expected_version: str) -> None:
    response = http.get("/version")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == expected_version


def test_health_is_ok(http: httpx.Client, expected_version: str) -> None:
    body = http.get("/health").json()
    assert body["status"] == "ok", body
    assert body["version"] == expected_version
    assert body["database"]["available"] and body["database"]["prediction_days"] >= 1
    assert body["model_card"]["found"]


def test_predictions_for_a_stored_day(http: httpx.Client, stored_days: list[str]) -> None:
    day = stored_days[0]
    response = http.get(f"/predictions/{day}")
    assert response.status_code == 200
    body = response.json()
    assert body["date"] == day and body["count"] == len(body["predictions"])
    assert body["count"] % 8 == 0  # 8 three-hour steps per model
    for item in body["predictions"]:
        target = dt.datetime.fromisoformat(item["target_time"])
        assert target.date().isoformat() == day and target.utcoffset() == dt.timedelta(0)
        assert item["step"] == target.hour // 3 and target.hour % 3 == 0
        assert dt.datetime.fromisoformat(item["issue_time"]) < target
        assert isinstance(item["predicted_temperature"], float)
        assert -60 < item["predicted_temperature"] < 60


def test_combined_agrees_with_the_days(http: httpx.Client, stored_days: list[str]) -> None:
    start, end = stored_days[0], stored_days[min(1, len(stored_days) - 1)]
    body = http.get("/predictions/combined", params={"start": start, "end": end}).json()
    per_day = sum(http.get(f"/predictions/{day}").json()["count"] for day in {start, end})
    assert body["count"] == per_day == len(body["items"])
    observed = [item for item in body["items"] if item["observed_temperature"] is not None]
    assert body["observed_count"] == len(observed)
    for item in observed:
        assert item["error"] == pytest.approx(item["predicted_temperature"] - item["observed_temperature"], abs=0.011)
    if observed:
        assert body["mae"] <= body["rmse"] + 0.01


def test_bad_input_is_a_4xx_with_a_message(http: httpx.Client, stored_days: list[str]) -> None:
    for path, status, text in [
        ("/predictions/2025-02-30", 422, "not a calendar date"),
        ("/predictions/30-01-2025", 422, "not a date in YYYY-MM-DD form"),
        (f"/predictions/combined?start={stored_days[-1]}&end=1999-01-01", 422, "is before start"),
        ("/predictions/combined?start=1900-01-01&end=2200-12-31", 422, "the longest accepted period is"),
        ("/predictions/combined?start=2025-01-01", 422, "end: required"),
        ("/predictions/2199-01-01", 404, "no predictions for 2199-01-01"),
    ]:
        response = http.get(path)
        assert response.status_code == status, (path, response.text)
        assert text in response.json()["detail"], (path, response.text)


def test_credit_scoring_answers_with_the_registered_model(http: httpx.Client) -> None:
    card = http.get("/credit/model").json()
    schema = http.get("/openapi.json").json()
    body = schema["paths"]["/credit/score"]["post"]["requestBody"]["content"]["application/json"]
    example = body["examples"]["example"]["value"]
    response = http.post("/credit/score", json=example)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert 0 <= answer["probability"] <= 1
    assert answer["threshold"] == card["decision"]["threshold"]
    below = "review" if answer.get("missing_fields_that_matter") else "grant"  # review: a missing field could refuse
    assert answer["decision"] == ("refuse" if answer["probability"] >= answer["threshold"] else below)
    assert answer["model_version"] == card["version"] and answer["client_id"] == example.get("SK_ID_CURR")
    assert len(answer["top_contributions"]) == 5
    health = http.get("/health").json()["credit"]
    assert health["available"] and health["version"] == card["version"]


def test_credit_bad_input_is_422_naming_the_field(http: httpx.Client) -> None:
    for body, text in [
        ({"NAME_CONTRACT_TYPE": "Cash loans", "AMT_INCOME_TOTAL": -1, "AMT_CREDIT": 1e5, "DAYS_BIRTH": -12000},
         "AMT_INCOME_TOTAL: Input should be greater than 0"),
        ({"AMT_CREDIT": 1e5}, "NAME_CONTRACT_TYPE: required"),
    ]:  # fmt: skip
        response = http.post("/credit/score", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith(text), response.text


def test_every_scoring_request_is_stored_without_delaying_the_answer(http: httpx.Client) -> None:
    """The store is written in the background: /health's count catches up within seconds, for a 422 too."""
    before = http.get("/health").json()["credit_events"]
    assert before["enabled"], before["detail"]
    example = http.get("/openapi.json").json()["paths"]["/credit/score"]["post"]["requestBody"]["content"]
    example = example["application/json"]["examples"]["example"]["value"]
    assert http.post("/credit/score", json=example).status_code == 200
    assert http.post("/credit/score", json={"AMT_CREDIT": 1e5}).status_code == 422
    deadline = time.monotonic() + 10
    while (after := http.get("/health").json()["credit_events"])["stored"] < before["stored"] + 2:
        assert time.monotonic() < deadline, f"events not stored within 10 s: {after}"
        time.sleep(0.05)
    assert after["failed"] == before["failed"] and after["dropped"] == before["dropped"]


def test_car_estimates_answer_with_the_registered_model(http: httpx.Client) -> None:
    schema = http.get("/openapi.json").json()
    body = schema["paths"]["/cars/estimate"]["post"]["requestBody"]["content"]["application/json"]
    example = body["examples"]["example"]["value"]
    response = http.post("/cars/estimate", json=example)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert 0 < answer["lower"] < answer["price"] < answer["upper"] and answer["currency"] == "EUR"
    older = http.post("/cars/estimate", json=example | {"year": example["year"] - 3}).json()
    assert older["price"] <= answer["price"] and older["model_version"] == answer["model_version"]
    for change, text in [
        ({"mileage": -5}, "mileage: Input should be greater than or equal to 0"),
        ({"year": 2999}, "year: Input should be less than or equal to 2100"),
    ]:
        response = http.post("/cars/estimate", json=example | change)
        assert response.status_code == 422 and response.json()["detail"].startswith(text), response.text


def test_the_credit_form_is_served(http: httpx.Client) -> None:
    response = http.get("/credit/form")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert 'name="AMT_CREDIT"' in response.text and 'fetch("score"' in response.text


def test_openapi_and_docs_are_served(http: httpx.Client) -> None:
    schema = http.get("/openapi.json").json()
    assert {"/predictions/{date}", "/predictions/combined", "/version", "/health"} <= set(schema["paths"])
    assert {"/credit/score", "/credit/model", "/credit/form", "/cars/estimate"} <= set(schema["paths"])
    assert http.get("/docs").status_code == 200
    assert http.get("/no/such/route").status_code == 404
    assert http.post("/version").status_code == 405


def test_freelance_estimate_answers_with_the_registered_model(http: httpx.Client) -> None:
    schema = http.get("/openapi.json").json()
    body = schema["paths"]["/freelance/estimate"]["post"]["requestBody"]["content"]["application/json"]
    response = http.post("/freelance/estimate", json=body["examples"]["example"]["value"])
    assert response.status_code == 200, response.text
    answer = response.json()
    low, high = answer["price_interval"]
    assert low <= answer["price"] <= high and answer["unit"] == "thousands of PKR"
    assert answer["band"] == max(answer["band_probabilities"], key=answer["band_probabilities"].get)
    assert abs(sum(answer["band_probabilities"].values()) - 1) < 1e-3


def test_freelance_bad_input_is_422_naming_the_field(http: httpx.Client) -> None:
    for body, text in [
        ({"text": "I will do it", "rating": 7}, "rating: Input should be less than or equal to 5"),
        ({"rating": 4.5}, "text: required"),
        ({"text": "I will do it", "reviews": -3}, "reviews: Input should be greater than or equal to 0"),
        ({"text": "I will do it", "level": "Pro"}, "level: Input should be"),
    ]:
        response = http.post("/freelance/estimate", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith(text), response.text
