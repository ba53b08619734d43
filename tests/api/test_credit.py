"""The credit endpoints in-process (FastAPI TestClient, lifespan included) over the registered credit model
(models/credit; see `credit_model_dir` in conftest.py), next to the weather part of the same app."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.api.conftest import CREDIT_FILES, ROOT

# Starlette 1.x would rather drive its TestClient with httpx2; httpx (pinned) works, the notice is noise.
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture(scope="module")
def card(credit_model_dir: Path) -> dict:
    return json.loads((credit_model_dir / "model_card.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def example() -> dict:
    from pipelines.credit.scoring import EXAMPLE

    return dict(EXAMPLE)


def _known_fields() -> set[str]:
    from pipelines.credit.features import ENGINEERED, MISSING_COUNT
    from pipelines.credit.schema import FEATURE_NAMES

    return {*FEATURE_NAMES, *ENGINEERED, MISSING_COUNT}


# --- POST /credit/score ----------------------------------------------------------------------------


def test_the_example_is_scored_with_the_registered_model(client, card: dict, example: dict) -> None:
    from pipelines.credit.scoring import CreditScore

    response = client.post("/credit/score", json=example)
    assert response.status_code == 200, response.text
    body = response.json()
    CreditScore.model_validate(body)
    assert 0 <= body["probability"] <= 1
    threshold = card["decision"]["threshold"]
    assert body["threshold"] == threshold
    # below the threshold: a grant, unless a missing field could raise the probability to it (review)
    expected = (
        "refuse" if body["probability"] >= threshold else ("review" if body["missing_fields_that_matter"] else "grant")
    )
    assert body["decision"] == expected
    assert (body["model"], body["model_version"]) == (card["model"], card["version"])
    assert body["client_id"] == example["SK_ID_CURR"]
    contributions = body["top_contributions"]
    assert len(contributions) == 5
    assert {item["feature"] for item in contributions} <= _known_fields()
    sizes = [abs(item["contribution"]) for item in contributions]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 0
    for item in contributions:  # the client's own value of the fields it sent
        if item["feature"] in example:
            assert item["value"] == example[item["feature"]]


def test_the_answer_is_the_scorers(client, credit_model, example: dict) -> None:
    """The endpoint adds nothing to pipelines/credit/scoring.py: same probability, decision and explanation."""
    assert client.post("/credit/score", json=example).json() == credit_model.model.scorer.score(example)


def test_missing_optional_fields_become_missing_values(client, card: dict, example: dict) -> None:
    from pipelines.credit.schema import REQUIRED

    minimal = {name: example[name] for name in REQUIRED}
    response = client.post("/credit/score", json=minimal)
    assert response.status_code == 200, response.text
    body = response.json()
    assert 0 <= body["probability"] <= 1 and body["client_id"] is None
    always_present = set(card["features"]["always_present_in_training"])
    assert set(body["missing_fields_unseen_in_training"]) == always_present - set(minimal)
    # An explicit null is a missing value too.
    with_nulls = example | {"EXT_SOURCE_3": None, "OCCUPATION_TYPE": None}
    assert client.post("/credit/score", json=with_nulls).status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"AMT_CREDIT": "a lot"}, 'AMT_CREDIT: Input should be a number, not text (got "a lot")'),
        ({"AMT_CREDIT": "450000"}, "AMT_CREDIT: Input should be a number, not text"),
        ({"FLAG_OWN_CAR": True}, "FLAG_OWN_CAR: Input should be 'N' or 'Y' (got true)"),
        ({"CNT_CHILDREN": True}, "CNT_CHILDREN: Input should be an integer, not a boolean"),
        ({"CNT_CHILDREN": 1.5}, "CNT_CHILDREN: Input should be a valid integer, got a number with a fractional part"),
        ({"AMT_INCOME_TOTAL": -1000.0}, "AMT_INCOME_TOTAL: Input should be greater than 0 (got -1000.0)"),
        ({"AMT_INCOME_TOTAL": 0}, "AMT_INCOME_TOTAL: Input should be greater than 0"),
        ({"EXT_SOURCE_2": 1.5}, "EXT_SOURCE_2: Input should be less than or equal to 1"),
        ({"DAYS_BIRTH": -3000}, "DAYS_BIRTH: Input should be less than or equal to -6570"),
        ({"NAME_CONTRACT_TYPE": "Mortgage"}, "NAME_CONTRACT_TYPE: Input should be 'Cash loans' or 'Revolving loans'"),
        ({"ORGANIZATION_TYPE": "Bakery"}, 'ORGANIZATION_TYPE: "Bakery" is not one of the accepted values'),
        ({"DAYS_EMPLOYED": 30}, "DAYS_EMPLOYED: must be ≤ 0 (days before the application) or 365243"),
        ({"DAYS_EMPLOYED": -20000}, "DAYS_EMPLOYED: employed for 20000 days but born 14600 days ago"),
        ({"AMT_CREDITT": 1.0}, "AMT_CREDITT: unknown field"),
        ({"CNT_FAM_MEMBERS": 1e300}, "CNT_FAM_MEMBERS: 1e+300 is too large to be scored"),
        ({"AMT_CREDIT": 1e38}, "AMT_CREDIT: Input should be less than or equal to 10000000000"),
        ({"AMT_INCOME_TOTAL": 1e-300}, "CREDIT_INCOME_RATIO: 4.5e+305, computed from AMT_CREDIT and AMT_INCOME_TOTAL"),
        ({"CNT_CHILDREN": 10**400}, "CNT_CHILDREN: is too large to be scored"),
    ],
)
def test_a_bad_field_is_422_naming_it(client, example: dict, change: dict, message: str) -> None:
    response = client.post("/credit/score", json=example | change)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"AMT_CREDIT": 1000', "body: not valid JSON (Expecting ',' delimiter at character 19)"),
        (b"[1, 2]", "body: Input should be a valid dictionary or object to extract fields from"),
        (b"", "body: required (a JSON object)"),
        (b'{"AMT_CREDIT": NaN}', "NAME_CONTRACT_TYPE: required; AMT_INCOME_TOTAL: required; AMT_CREDIT: Input should"),
    ],
)
def test_a_bad_body_is_422_saying_what_is_wrong(client, body: bytes, message: str) -> None:
    response = client.post("/credit/score", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(message)


def test_a_body_that_is_not_text_is_400_saying_so(client) -> None:
    response = client.post(
        "/credit/score", content=b'{"AMT_CREDIT": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "body: not valid JSON (not UTF-8 text: invalid start byte at byte 16)"}
    assert client.get("/no/such/route").json() == {"detail": "Not Found"}  # FastAPI's other answers unchanged
    assert client.post("/version").status_code == 405


def test_every_missing_required_field_is_named(client) -> None:
    response = client.post("/credit/score", json={"AMT_CREDIT": 1000.0})
    assert response.status_code == 422
    assert response.json()["detail"] == "NAME_CONTRACT_TYPE: required; AMT_INCOME_TOTAL: required; DAYS_BIRTH: required"


# --- GET /credit/model, /health --------------------------------------------------------------------


def test_the_model_card_is_served_as_it_is_on_disk(client, card: dict) -> None:
    response = client.get("/credit/model")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == card


def test_the_global_importance_ranks_every_field_over_training_rows(client, card: dict, example: dict) -> None:
    """GET /credit/importance: mean |SHAP| per field over the background rows, in the score's units, and a
    field that lowers a typical client's risk a lot (the external scores) near the top."""
    response = client.get("/credit/importance")
    assert response.status_code == 200, response.text
    body = response.json()
    scored = client.post("/credit/score", json=example).json()
    assert body["model_version"] == card["version"] and body["units"] == scored["contribution_units"]
    assert body["rows"] > 0 and str(body["rows"]) in body["sample"]
    values = [item["mean_abs_contribution"] for item in body["features"]]
    assert values == sorted(values, reverse=True) and values[0] > 0
    assert sum(item["share"] for item in body["features"]) == pytest.approx(1, abs=1e-3)
    assert len({item["feature"] for item in body["features"]}) == len(body["features"])
    top = [item["feature"] for item in body["features"][:10]]
    assert any(name.startswith("EXT_SOURCE") for name in top), top
    assert {item["feature"] for item in scored["top_contributions"]} <= {item["feature"] for item in body["features"]}


def test_health_reports_the_credit_model(client, card: dict, credit_model_dir: Path) -> None:
    from api.store import public_path

    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["credit"] == {
        "available": True,
        "detail": None,
        "model_dir": public_path(credit_model_dir),  # relative to the project, never an absolute server path
        "model": card["model"],
        "version": card["version"],
        "threshold": card["decision"]["threshold"],
        "created_at": card.get("created_at"),
        "library_mismatches": {},
    }


# --- the credit model missing or unreadable: the weather part keeps serving ---------------------------


def _assert_credit_unavailable(client, reason: str) -> None:
    for method, path in (("POST", "/credit/score"), ("GET", "/credit/model"), ("GET", "/credit/importance")):
        response = client.request(method, path, json={})
        assert response.status_code == 503, (path, response.text)
        assert reason in response.json()["detail"], response.text
        assert "retry-after" not in response.headers  # loaded at start-up: asking again will not help
        assert "/tmp/" not in response.text and str(ROOT) not in response.text  # no server path
    health = client.get("/health").json()
    assert "/tmp/" not in json.dumps(health) and str(ROOT) not in json.dumps(health)
    assert health["status"] == "ok"  # the weather service is fine
    assert health["credit"]["available"] is False and reason in health["credit"]["detail"]
    assert client.get("/predictions/2025-03-19").status_code == 200
    assert client.get("/credit/form").status_code == 200


def test_a_missing_model_is_503_naming_the_missing_files_and_weather_still_serves(make_client, tmp_path) -> None:
    client = make_client(credit_model_dir=tmp_path / "nowhere")
    missing = "registered credit model incomplete in nowhere: missing " + ", ".join(CREDIT_FILES)
    _assert_credit_unavailable(client, missing)


def test_a_partly_missing_model_names_what_is_missing(make_client, credit_model_dir: Path, tmp_path) -> None:
    shutil.copy(credit_model_dir / "model_card.json", tmp_path / "model_card.json")
    client = make_client(credit_model_dir=tmp_path)
    _assert_credit_unavailable(client, "missing model.joblib, shap_background.csv.gz")


@pytest.mark.parametrize(
    ("broken", "content", "reason"),
    [
        ("model.joblib", b"not a pickle", "cannot load the model from"),
        ("model_card.json", b"{not json", "JSONDecodeError"),
        ("model_card.json", b'{"version": "x"}', "KeyError"),
    ],
)
def test_an_unreadable_model_is_503_and_weather_still_serves(
    make_client, credit_model_dir: Path, tmp_path: Path, caplog, broken: str, content: bytes, reason: str
) -> None:
    for name in CREDIT_FILES:
        shutil.copy(credit_model_dir / name, tmp_path / name)
    if broken == "model.joblib":  # past the hash check (its own test, below): what unpickling garbage gives
        card = json.loads((tmp_path / "model_card.json").read_text()) | {"artefact_sha256": _sha256(content)}
        (tmp_path / "model_card.json").write_text(json.dumps(card))
    (tmp_path / broken).write_bytes(content)
    client = make_client(credit_model_dir=tmp_path)
    _assert_credit_unavailable(client, reason)
    # the start-up failure is logged once, with its stack trace (the 503s are logged without one)
    [record] = [
        r
        for r in caplog.records
        if r.name == "api"
        and "cannot load the model from" in r.getMessage()
        and r.levelno == logging.ERROR
        and r.exc_info is not None
    ]
    assert record.getMessage().startswith("credit scoring is unavailable: cannot load the model from")


def test_an_invalid_model_card_is_503_saying_which_field(make_client, credit_model_dir: Path, tmp_path: Path) -> None:
    for name in CREDIT_FILES:
        shutil.copy(credit_model_dir / name, tmp_path / name)
    card = json.loads((tmp_path / "model_card.json").read_text())
    card["decision"]["threshold"] = 1.5
    (tmp_path / "model_card.json").write_text(json.dumps(card))
    client = make_client(credit_model_dir=tmp_path)
    _assert_credit_unavailable(client, "invalid model card (decision.threshold: Input should be less than or equal")


# --- GET /credit/form ------------------------------------------------------------------------------


class _Form(HTMLParser):
    """The form's fields: name → prefilled value (inputs) or selected option (selects), and the options."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self.sources: list[str] = []
        self._select: str | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        self.sources += [attributes[key] for key in ("src", "href") if attributes.get(key)]
        if tag == "input" and "data-kind" in attributes:
            self.values[attributes["name"]] = attributes.get("value", "")
        elif tag == "select":
            self._select = attributes["name"]
            self.options[self._select] = []
        elif tag == "option" and self._select:
            self._option = attributes

    def handle_data(self, data: str) -> None:
        if self._option is not None and self._select:
            value = self._option.get("value", data)
            self.options[self._select].append(value)
            if "selected" in self._option:
                self.values[self._select] = value
            self._option = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def test_the_form_is_served_prefilled_with_the_example(client, example: dict) -> None:
    from pipelines.credit.schema import BY_NAME

    response = client.get("/credit/form")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = _Form()
    page.feed(response.text)
    assert set(page.values) == set(example)
    for name, value in example.items():
        assert page.values[name] in (str(value), repr(value)), name
    for name, options in page.options.items():  # every category of the schema, plus "unknown" when optional
        column = BY_NAME[name]
        assert options == ([] if column.required else [""]) + list(column.levels), name
    # It posts JSON to the score endpoint, shows the answer, and loads nothing from elsewhere.
    assert 'fetch("score"' in response.text and "top_contributions" in response.text
    assert all(not source.startswith(("http:", "https:", "//")) for source in page.sources), page.sources
    assert "http://" not in response.text and "https://" not in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


# --- logging, OpenAPI, settings, imports ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "level", "text"),
    [
        ("POST", "/credit/score", "example", logging.INFO, "POST /credit/score: client 100001 → "),
        ("POST", "/credit/score", {"AMT_CREDIT": -1}, logging.WARNING, "POST /credit/score → 422: NAME_CONTRACT_TYPE"),
        ("GET", "/credit/model", None, logging.INFO, "GET /credit/model: "),
        ("GET", "/credit/form", None, logging.INFO, "GET /credit/form"),
    ],
)
def test_every_credit_handler_logs_one_line(client, caplog, example, method, path, body, level, text) -> None:
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="api"):
        client.request(method, path, json=example if body == "example" else body)
    records = [record for record in caplog.records if record.name == "api"]
    assert len(records) == 1, [record.getMessage() for record in records]
    assert records[0].levelno == level and text in records[0].getMessage()


def test_openapi_documents_the_credit_endpoints(client, example: dict) -> None:
    from pipelines.credit.schema import FEATURE_NAMES, ID, REQUIRED

    schema = client.get("/openapi.json").json()
    score = schema["paths"]["/credit/score"]["post"]
    assert set(score["responses"]) == {"200", "400", "422", "503"}
    assert score["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorMessage")
    body = score["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/CreditApplication")
    assert body["examples"]["example"]["value"] == example
    application = schema["components"]["schemas"]["CreditApplication"]
    assert set(application["properties"]) == {ID, *FEATURE_NAMES}
    assert set(application["required"]) == set(REQUIRED)
    assert application["additionalProperties"] is False
    model = schema["paths"]["/credit/model"]["get"]["responses"]
    assert model["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/CreditModelCard")
    assert "text/html" in schema["paths"]["/credit/form"]["get"]["responses"]["200"]["content"]


def test_the_documented_examples_fit_the_models() -> None:
    from api.credit import EXAMPLE_SCORE
    from api.schemas import CreditModelCard
    from pipelines.credit.scoring import CreditScore

    CreditScore.model_validate(EXAMPLE_SCORE)
    for example in CreditModelCard.model_config["json_schema_extra"]["examples"]:
        CreditModelCard.model_validate(example)


def test_the_credit_model_dir_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from api.settings import Settings

    monkeypatch.delenv("CREDIT_MODEL_DIR", raising=False)
    assert Settings.from_env().credit_model_dir == ROOT / "models/credit"
    monkeypatch.setenv("CREDIT_MODEL_DIR", str(tmp_path))
    assert Settings.from_env().credit_model_dir == tmp_path
    monkeypatch.setenv("CREDIT_MODEL_DIR", "elsewhere/credit")
    assert Settings.from_env().credit_model_dir == ROOT / "elsewhere/credit"


def test_the_app_loads_the_credit_model_at_start_up_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, prediction_db: Path, credit_model_dir: Path, card: dict
) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app

    monkeypatch.setenv("WEATHER_DATABASE_URL", f"sqlite:///{prediction_db}")
    monkeypatch.setenv("CREDIT_MODEL_DIR", str(credit_model_dir))
    with TestClient(create_app()) as client:
        assert client.get("/health").json()["credit"]["version"] == card["version"]


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class _RunsCode:
    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def test_a_model_whose_hash_is_not_the_cards_is_never_unpickled(make_client, credit_model_dir: Path, tmp_path: Path):
    """model.joblib swapped for a pickle that would run a command: 503 naming the hash, the command never ran."""
    for name in CREDIT_FILES:
        shutil.copy(credit_model_dir / name, tmp_path / name)
    card = json.loads((tmp_path / "model_card.json").read_text())
    card["artefact_sha256"] = _sha256((tmp_path / "model.joblib").read_bytes())  # as credit_register writes it
    (tmp_path / "model_card.json").write_text(json.dumps(card))
    marker = tmp_path / "ran"
    (tmp_path / "model.joblib").write_bytes(pickle.dumps(_RunsCode(f"touch {marker}")))
    client = make_client(credit_model_dir=tmp_path)
    _assert_credit_unavailable(client, "model.joblib: SHA-256")
    assert "is not the model card's artefact_sha256" in client.get("/health").json()["credit"]["detail"]
    assert not marker.exists()


def test_a_model_matching_its_cards_hash_loads(credit_model_dir: Path, tmp_path: Path) -> None:
    from api.credit import load_credit

    for name in CREDIT_FILES:
        shutil.copy(credit_model_dir / name, tmp_path / name)
    card = json.loads((tmp_path / "model_card.json").read_text())
    card["artefact_sha256"] = _sha256((tmp_path / "model.joblib").read_bytes())
    (tmp_path / "model_card.json").write_text(json.dumps(card))
    assert load_credit(tmp_path).available
