"""Every `POST /credit/score` stored as an event (api/events.py), in-process over a real SQLite file and
the real PostgreSQL server: what was sent, what was answered, for 4xx too; a store that fails never
turns an answer into an error."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipelines.credit import events
from pipelines.storage.sql import make_engine
from tests.api.conftest import MONITORING_SUMMARY as SUMMARY

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture
def example() -> dict:
    from pipelines.credit.scoring import EXAMPLE

    return dict(EXAMPLE)


def stored(client, url: str):
    client.app.state.service.events.flush()
    engine = make_engine(url)
    try:
        return events.read_events(engine)
    finally:
        engine.dispose()


def test_a_scored_application_is_stored_as_sent_with_the_answer(make_client, sql_url: str, example: dict) -> None:
    client = make_client(events_url=sql_url)
    before = dt.datetime.now(dt.UTC)
    answer = client.post("/credit/score", json=example).json()
    frame = stored(client, sql_url)
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["inputs"] == example  # exactly what the client sent: no field added, none lost
    assert row["http_status"] == 200 and row["error"] is None
    for name in ("client_id", "decision", "model_version"):
        assert row[name] == answer[name]
    assert row["probability"] == pytest.approx(answer["probability"])
    assert row["threshold"] == pytest.approx(answer["threshold"])
    assert row["latency_ms"] > 0
    assert before - dt.timedelta(seconds=1) <= row["received_at"] <= dt.datetime.now(dt.UTC)


def test_refused_requests_are_stored_with_their_message(make_client, tmp_path: Path, example: dict) -> None:
    url = f"sqlite:///{tmp_path / 'events.sqlite'}"
    client = make_client(events_url=url)
    bad = example | {"AMT_INCOME_TOTAL": -1}
    assert client.post("/credit/score", json=bad).status_code == 422
    not_json = client.post("/credit/score", content=b"AMT_CREDIT=1", headers={"content-type": "text/plain"})
    assert not_json.status_code == 415
    assert client.get("/credit/model").status_code == 200  # not a scoring request: not stored
    frame = stored(client, url)
    assert list(frame["http_status"]) == [422, 415]
    assert "AMT_INCOME_TOTAL" in frame.loc[0, "error"]
    assert frame.loc[0, "inputs"] == bad and frame.loc[0, "client_id"] == example["SK_ID_CURR"]
    assert frame.loc[1, "inputs"] is None and frame["probability"].isna().all()


def test_health_counts_the_stored_events(make_client, tmp_path: Path, example: dict) -> None:
    client = make_client(events_url=f"sqlite:///{tmp_path / 'events.sqlite'}")
    for _ in range(3):
        client.post("/credit/score", json=example)
    client.app.state.service.events.flush()
    health = client.get("/health").json()["credit_events"]
    assert health == {"enabled": True, "detail": None, "stored": 3, "failed": 0, "dropped": 0}
    assert make_client().get("/health").json()["credit_events"]["enabled"] is False


def test_a_store_that_cannot_open_leaves_scoring_working(make_client, tmp_path: Path, example, caplog) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with caplog.at_level(logging.ERROR, logger="api.events"):
        client = make_client(events_url=f"sqlite:///{tmp_path / 'a-file' / 'events.sqlite'}")
    assert client.post("/credit/score", json=example).status_code == 200
    health = client.get("/health").json()["credit_events"]
    assert health["enabled"] is False and "cannot open the scoring event store" in health["detail"]
    assert "will not be stored" in caplog.text


def test_a_store_that_fails_later_is_logged_and_counted_never_a_500(make_client, tmp_path, example, caplog) -> None:
    url = f"sqlite:///{tmp_path / 'events.sqlite'}"
    client = make_client(events_url=url)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE credit_scoring_events"))
    engine.dispose()
    with caplog.at_level(logging.ERROR, logger="api.events"):
        assert client.post("/credit/score", json=example).status_code == 200
        client.app.state.service.events.flush()
    assert client.get("/health").json()["credit_events"]["failed"] == 1
    assert "cannot store 1 scoring event" in caplog.text


def test_events_older_than_the_retention_are_deleted_at_start_up(make_client, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.sqlite'}"
    engine = make_engine(url)
    events.migrate(engine)
    now = dt.datetime.now(dt.UTC)
    old = {"received_at": now - dt.timedelta(days=31), "http_status": 200, "latency_ms": 1.0}
    events.store_events(engine, [old, old | {"received_at": now - dt.timedelta(days=29)}])
    engine.dispose()
    client = make_client(events_url=url, events_retention_days=30)
    assert len(stored(client, url)) == 1


def test_the_event_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from api.settings import Settings, SettingsError

    monkeypatch.setenv("CREDIT_EVENTS_URL", f"sqlite:///{tmp_path / 'e.sqlite'}")
    monkeypatch.setenv("CREDIT_EVENTS_RETENTION_DAYS", "7")
    settings = Settings.from_env()
    assert (settings.events_url, settings.events_retention_days) == (f"sqlite:///{tmp_path / 'e.sqlite'}", 7)
    monkeypatch.setenv("CREDIT_EVENTS_URL", "off")
    assert Settings.from_env().events_url is None
    monkeypatch.setenv("CREDIT_EVENTS_RETENTION_DAYS", "0")
    with pytest.raises(SettingsError, match="CREDIT_EVENTS_RETENTION_DAYS"):
        Settings.from_env()
    monkeypatch.setenv("CREDIT_EVENTS_RETENTION_DAYS", "7")
    monkeypatch.setenv("CREDIT_EVENTS_URL", "not a url")
    with pytest.raises(SettingsError, match="CREDIT_EVENTS_URL"):
        Settings.from_env()


def test_the_event_of_an_answer_the_client_cannot_parse_keeps_its_text() -> None:
    from api.events import event_from_exchange

    now = dt.datetime.now(dt.UTC)
    row = event_from_exchange(now, 500, 3.0, json.dumps({"SK_ID_CURR": 2**70}).encode(), b"Internal Server Error")
    assert row["error"] == "Internal Server Error" and row["client_id"] is None


# --- GET /credit/monitoring ----------------------------------------------------------------------


def test_the_monitoring_summary_is_served_as_written(make_client, tmp_path: Path) -> None:
    path = tmp_path / "monitoring.json"
    path.write_text(json.dumps(SUMMARY))
    client = make_client(monitoring_summary=path)
    answer = client.get("/credit/monitoring")
    assert answer.status_code == 200 and answer.json() == SUMMARY
    path.write_text(json.dumps(SUMMARY | {"status": "ok", "alerts": []}))  # rewritten by the next run
    assert client.get("/credit/monitoring").json()["status"] == "ok"


def test_no_or_a_broken_monitoring_summary_is_503_saying_what_to_run(make_client, tmp_path: Path) -> None:
    path = tmp_path / "monitoring.json"
    client = make_client(monitoring_summary=path)
    missing = client.get("/credit/monitoring")
    assert missing.status_code == 503 and "python -m stages.credit.monitor" in missing.json()["detail"]
    assert str(tmp_path) not in missing.text  # no server path in a public answer
    path.write_text(json.dumps({"status": "maybe"}))
    broken = client.get("/credit/monitoring")
    assert broken.status_code == 503 and "unreadable" in broken.json()["detail"]
