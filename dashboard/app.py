"""The credit officer's dashboard (Streamlit): `make dashboard`, or `python -m streamlit run dashboard/app.py`
with the API at CREDIT_API_URL (default http://127.0.0.1:8000). Everything about the model comes from the
API over HTTP; this page only lays out what dashboard/views.py computes from its answers."""

from __future__ import annotations

import json

import streamlit as st

from dashboard import views
from dashboard.client import ApiError, CreditApi, api_url
from dashboard.data import (
    SOURCES,
    application_body,
    applications,
    client_features,
    cost_weights,
    labelled_splits,
    parse_body,
    percentile,
    population,
)
from pipelines.common.errors import DataError
from pipelines.credit.scoring import EXAMPLE

MANUAL = "manual"


@st.cache_data(show_spinner="Reading the applications…")
def load_applications(source: str):
    return applications(source)


@st.cache_data(show_spinner="Reading the training population…")
def load_population():
    return population(labelled_splits()[0])


@st.cache_data(ttl=60, show_spinner=False)
def fetch(url: str, what: str) -> dict:
    """The model card or the global importance (a minute's cache; errors are not cached)."""
    api = CreditApi(url)
    return api.model_card() if what == "card" else api.importance()


@st.cache_data(ttl=600, show_spinner="Scoring…")
def score(url: str, body_json: str) -> dict:
    """One score per distinct application: moving a widget does not send (and store) the request again."""
    return CreditApi(url).score(json.loads(body_json))


st.set_page_config(page_title="Credit officer's dashboard", page_icon="💳", layout="wide")
st.title("Credit officer's dashboard")
url = st.sidebar.text_input("Credit API", value=api_url(), help="CREDIT_API_URL sets the default")
try:
    card, importance = fetch(url, "card"), fetch(url, "importance")
except ApiError as error:
    st.error(f"Cannot show the model: {error}")
    st.stop()
st.caption(f"Model {card['model']} {card['version']}. {card.get('probability_note', '')}")

# --- the client ----------------------------------------------------------------------------------------------
source = st.sidebar.radio(
    "Applications", [*SOURCES, MANUAL], format_func=lambda key: SOURCES.get(key, "Enter one (from an example)")
)
if source == MANUAL:
    client_id, body = "manual", dict(EXAMPLE)
else:
    try:
        frame = load_applications(source)
    except DataError as error:
        st.error(f"Cannot read the applications: {error}")
        st.stop()
    client_id = st.sidebar.selectbox(f"Client (SK_ID_CURR, {len(frame):,})", frame.index.tolist(), key=f"id-{source}")
    body = application_body(frame, client_id)

with st.expander("The application sent to the API (edit any field, then Ctrl+Enter)", expanded=source == MANUAL):
    text = st.text_area("Fields as JSON", value=json.dumps(body, indent=1), height=260, key=f"body-{client_id}")

answer = None
try:
    application = parse_body(text)
    answer = score(url, json.dumps(application, sort_keys=True))
except DataError as error:
    st.error(str(error))
except ApiError as error:
    st.error(f"Not scored: {error}" if error.kind == "invalid" else f"Cannot score: {error}")

if answer is not None:
    left, right = st.columns([1.1, 1])
    left.plotly_chart(views.gauge(answer["probability"], answer["threshold"], answer["decision"]), key="gauge")
    right.subheader(f"Client {answer['client_id']}" if answer["client_id"] is not None else "Client")
    right.metric("Decision", views.DECISIONS[answer["decision"]].split(":")[0])
    right.markdown(views.decision_text(answer))
    weights, weights_from = cost_weights(card)
    right.markdown(views.cost_sentence(answer["probability"], weights))
    right.caption(f"Model {answer['model_version']}; {card['decision'].get('rule', '')}; costs from {weights_from}")

    st.header("Why")
    reasons, overall = st.columns(2)
    reasons.plotly_chart(views.contributions_chart(answer), key="contributions")
    reasons.dataframe(views.contributions_frame(answer), hide_index=True)
    mine = {item["feature"] for item in answer["top_contributions"]}
    overall.plotly_chart(views.importance_chart(importance, highlight=mine), key="importance")
    overall.caption(f"Mean |SHAP| per field over {importance['sample']}, in {importance['units']}.")

    st.header("Against the training population")
    try:
        people = load_population()
    except DataError as error:
        st.warning(f"No population to compare with: {error}")
    else:
        options = sorted(name for name in people.columns if name != "TARGET")
        first, second = views.default_features(answer, people, views.COMPARED_FIRST)
        pick_x, pick_y = st.columns(2)
        x = pick_x.selectbox("First field", options, index=options.index(first), key=f"feature-x-{client_id}")
        y = pick_y.selectbox("Second field", options, index=options.index(second), key=f"feature-y-{client_id}")
        client = client_features(application)
        st.plotly_chart(views.population_chart(people, client, x, y), key="population")
        for name in dict.fromkeys([x, y]):
            st.markdown(
                "- " + views.position_sentence(name, client.get(name), percentile(people[name], client.get(name)))
            )

# --- monitoring ----------------------------------------------------------------------------------------------
st.header("Production monitoring")
try:
    summary = CreditApi(url).monitoring()
except ApiError as error:
    st.warning(f"No monitoring status: {error}")
else:
    alerts = views.alerts_frame(summary)
    if summary["status"] == "alert":
        st.error(f"{len(alerts)} alert(s): " + "; ".join(alerts["message"]))
        st.dataframe(alerts, hide_index=True)
    else:
        st.success("No alert: every monitored figure is within its limit")
    st.markdown("\n".join(f"- {line}" for line in views.monitoring_lines(summary)))
