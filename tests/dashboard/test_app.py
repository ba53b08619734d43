"""The dashboard run by Streamlit's own AppTest against the real API over HTTP on 127.0.0.1: what the officer
sees for a picked client is the API's answer for that client, and every failure is a message, not a trace."""

from __future__ import annotations

import json

import httpx
import pytest

from dashboard import views
from dashboard.data import application_body, applications, labelled_splits, population
from tests.services import free_port

pytestmark = pytest.mark.slow


def _figure(app, key: str) -> dict:
    (chart,) = [chart for chart in app.get("plotly_chart") if chart.proto.id and key in chart.proto.id]
    return json.loads(chart.proto.spec)


def _texts(elements) -> list[str]:
    return [str(element.value) for element in elements]


def test_a_picked_client_shows_the_apis_answer_with_reasons_population_and_monitoring(dashboard, live_server):
    frame = applications("replayed")
    client_id = int(frame.index[7])
    expected = httpx.post(f"{live_server}/credit/score", json=application_body(frame, client_id), timeout=30).json()

    app = dashboard(live_server).run()
    app.sidebar.selectbox(key="id-replayed").set_value(client_id).run()

    assert not app.exception, _texts(app.exception)
    # the only error is the monitoring alert of the live server's summary (tests/api/conftest.py MONITORING_SUMMARY)
    assert _texts(app.error) == ["1 alert(s): 0.310 population stability index"]
    gauge = _figure(app, "gauge")["data"][0]
    assert gauge["value"] == pytest.approx(expected["probability"])
    assert gauge["gauge"]["threshold"]["value"] == expected["threshold"]
    assert _texts(app.metric) == [{"grant": "Grant", "refuse": "Refuse", "review": "Review"}[expected["decision"]]]
    assert any(text.startswith(f"Granting costs 10 × {expected['probability']:.3f}") for text in _texts(app.markdown))
    bars = _figure(app, "contributions")["data"][0]
    assert bars["y"] == [item["feature"] for item in expected["top_contributions"]][::-1]
    importance = httpx.get(f"{live_server}/credit/importance").json()["features"]
    assert _figure(app, "importance")["data"][0]["y"][-1] == importance[0]["feature"]
    compared = [app.selectbox(key=f"feature-x-{client_id}").value, app.selectbox(key=f"feature-y-{client_id}").value]
    people = population(labelled_splits()[0])
    assert compared == views.default_features(expected, people, views.COMPARED_FIRST) and len(set(compared)) == 2
    scatter = _figure(app, "population")
    names = [trace["name"] for trace in scatter["data"]]
    assert names[:2] == ["training clients who repaid", "training clients who defaulted"]
    assert any(text.startswith(f"- {compared[0]}") for text in _texts(app.markdown))
    assert any("8,080 requests" in text for text in _texts(app.markdown))


def test_another_source_and_feature_choice_rerun_without_a_new_request(dashboard, live_server):
    app = dashboard(live_server).run()
    app.sidebar.radio[0].set_value("test").run()
    assert not app.exception and _figure(app, "gauge")
    first = app.sidebar.selectbox(key="id-test").value
    assert first in applications("test").index
    before = httpx.get(f"{live_server}/health").json()["credit_events"]
    app.selectbox(key=f"feature-x-{first}").set_value("AMT_CREDIT").run()
    assert _figure(app, "population")["layout"]["xaxis"]["title"]["text"] == "AMT_CREDIT"
    after = httpx.get(f"{live_server}/health").json()["credit_events"]
    assert before == after  # the score is cached per application: moving a widget stores no new event


def test_an_invalid_field_shows_the_apis_message_naming_it(dashboard, live_server):
    app = dashboard(live_server).run()
    app.sidebar.radio[0].set_value("manual").run()
    body = json.loads(app.text_area[0].value)
    app.text_area[0].set_value(json.dumps(body | {"AMT_INCOME_TOTAL": -1})).run()
    assert not app.exception
    message, alert = _texts(app.error)  # the scoring error, then the monitoring alert
    assert alert.startswith("1 alert(s)")
    assert message.startswith("Not scored: the API refused the application: AMT_INCOME_TOTAL: Input should be greater")
    assert not [chart for chart in app.get("plotly_chart") if "gauge" in chart.proto.id]
    app.text_area[0].set_value('{"AMT_CREDIT": 1e5,').run()
    assert _texts(app.error)[0].startswith("the application is not valid JSON")


def test_an_api_that_is_down_is_said_so(dashboard):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = dashboard(url).run()
    assert not app.exception
    (message,) = _texts(app.error)
    assert message.startswith(f"Cannot show the model: the credit API at {url} is not reachable")
    assert "CREDIT_API_URL" in message and not app.get("plotly_chart")


def test_an_api_without_a_model_shows_its_503_message(dashboard, api_without_model):
    app = dashboard(api_without_model).run()
    assert not app.exception
    (message,) = _texts(app.error)
    assert message.startswith(
        "Cannot show the model: the API answers 503 on /credit/model: credit scoring is unavailable"
    )
    assert "model.joblib" in message  # the API names the missing files
