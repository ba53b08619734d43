"""POST /freelance/estimate in the app (TestClient, lifespan included): the registered estimator's answer,
a 422 naming the field, a 503 saying what is missing, and one log line per request."""

from __future__ import annotations

import logging

import pytest

GIG = {"text": "I will do web scraping and data mining with python", "rating": 4.9, "reviews": 120, "level": "level_2"}


@pytest.fixture
def freelance_client(make_client, freelance_model_dir, monkeypatch):
    monkeypatch.setenv("FREELANCE_MODEL_DIR", str(freelance_model_dir))
    return make_client()


def test_an_estimate_has_price_interval_band_and_probabilities(freelance_client, freelance_model_dir):
    from pipelines.freelance.estimator import load_estimator

    response = freelance_client.post("/freelance/estimate", json=GIG)
    assert response.status_code == 200, response.text
    answer = response.json()
    estimator, card = load_estimator(freelance_model_dir)
    assert answer == estimator.estimate(GIG["text"], GIG["rating"], GIG["reviews"], GIG["level"])
    assert answer["model_version"] == card["version"]
    assert answer["band"] in answer["band_probabilities"] and answer["band_edges"][0] < answer["band_edges"][1]


def test_one_log_line_per_request(freelance_client, caplog):
    with caplog.at_level(logging.INFO, logger="api"):
        freelance_client.post("/freelance/estimate", json=GIG)
    lines = [record.getMessage() for record in caplog.records if "POST /freelance/estimate:" in record.getMessage()]
    assert len(lines) == 1 and "120 reviews" in lines[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"text": ""}, "text"), ({"rating": -1}, "rating"), ({"reviews": 1.5}, "reviews"), ({"extra": 1}, "extra")],
)
def test_bad_fields_are_named(freelance_client, change, field):
    response = freelance_client.post("/freelance/estimate", json=GIG | change)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}:")


def test_a_missing_model_is_503_naming_the_file_and_other_routes_still_serve(make_client, tmp_path, monkeypatch):
    monkeypatch.setenv("FREELANCE_MODEL_DIR", str(tmp_path))
    client = make_client()
    response = client.post("/freelance/estimate", json=GIG)
    assert response.status_code == 503
    assert "model.joblib missing" in response.json()["detail"] and str(tmp_path) not in response.json()["detail"]
    assert client.post("/freelance/estimate", json=GIG | {"rating": 9}).status_code == 422  # validated first
    assert client.get("/version").status_code == 200


def test_a_tampered_model_is_refused(make_client, freelance_model_dir, tmp_path, monkeypatch):
    for name in ("model.joblib", "model_card.json"):
        (tmp_path / name).write_bytes((freelance_model_dir / name).read_bytes())
    with open(tmp_path / "model.joblib", "ab") as handle:
        handle.write(b"\0")
    monkeypatch.setenv("FREELANCE_MODEL_DIR", str(tmp_path))
    response = make_client().post("/freelance/estimate", json=GIG)
    assert response.status_code == 503 and "SHA-256" in response.json()["detail"]


def test_no_silent_coercion_of_booleans_or_text_into_numbers(freelance_client):
    for change, field in [({"rating": True}, "rating"), ({"reviews": "3"}, "reviews")]:
        response = freelance_client.post("/freelance/estimate", json=GIG | change)
        assert response.status_code == 422 and response.json()["detail"].startswith(f"{field}:"), response.text
