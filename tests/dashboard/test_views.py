"""The dashboard's figures and sentences from API-shaped answers built here (no server)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard import views
from pipelines.credit.schema import TARGET

COSTS = {"fn": 10, "fp": 1}


def answer(probability: float, decision: str = "grant", **changes) -> dict:
    return {
        "client_id": 100001,
        "probability": probability,
        "decision": decision,
        "threshold": 0.089,
        "model_version": "xgboost-test",
        "contribution_units": "log-odds",
        "top_contributions": [
            {"feature": "EXT_SOURCE_MEAN", "value": 0.51, "contribution": -0.3},
            {"feature": "ORGANIZATION_TYPE", "value": "Self-employed", "contribution": 0.2},
            {"feature": "DAYS_ID_PUBLISH", "value": None, "contribution": 0.1},
            {"feature": "AMT_CREDIT", "value": 135000, "contribution": -0.05},
        ],
        "worst_case_probability": probability,
        "missing_fields_that_matter": [],
    } | changes


def test_the_gauge_has_room_for_the_threshold_and_the_client_and_colours_the_side() -> None:
    assert views.gauge_range(0.05, 0.089) == 0.3  # a small risk: 0-30 %, not a dial crushed into its first tenth
    assert views.gauge_range(0.62, 0.089) == 0.8  # 1.25 × 0.62 = 0.775, rounded up to 0.05
    assert views.gauge_range(0.95, 0.5) == 1.0
    below, above = views.gauge(0.05, 0.089).data[0], views.gauge(0.2, 0.089).data[0]
    assert below.value == 0.05 and below.gauge.threshold.value == 0.089
    assert below.gauge.bar.color == views.GRANT_COLOUR and above.gauge.bar.color == views.REFUSE_COLOUR
    assert views.gauge(0.05, 0.089, "review").data[0].gauge.bar.color == views.REVIEW_COLOUR
    assert [step.range for step in below.gauge.steps] == [(0, 0.089), (0.089, 0.3)]


def test_the_cheaper_decision_flips_where_the_expected_costs_cross() -> None:
    """Granting costs fn·p, refusing fp·(1 - p): they cross at p = fp / (fn + fp) = 1/11 ≈ 0.0909."""
    assert views.expected_costs(0.2, COSTS) == pytest.approx({"grant": 2.0, "refuse": 0.8})
    low, high = views.cost_sentence(0.09, COSTS), views.cost_sentence(0.092, COSTS)
    assert low.endswith("granting is the cheaper decision.") and "10 × 0.090 = 0.900" in low
    assert high.endswith("refusing is the cheaper decision.") and "1 × 0.908 = 0.908" in high
    with pytest.raises(ValueError, match="no 'fp'"):
        views.expected_costs(0.1, {"fn": 10})


def test_the_decision_says_what_it_rests_on_and_which_missing_fields_to_ask_for() -> None:
    assert views.decision_text(answer(0.05)) == "Grant (probability 5.0% below the threshold 8.9%)"
    assert views.decision_text(answer(0.089, "refuse")).startswith("Refuse (probability 8.9% at or above")
    review = views.decision_text(
        answer(0.06, "review", worst_case_probability=0.12, missing_fields_that_matter=["EXT_SOURCE_2", "EXT_SOURCE_3"])
    )
    assert review.startswith("Review: a field left out could turn the answer into a refusal (probability 6.0%")
    assert review.endswith(
        "worst case 12.0% if the missing EXT_SOURCE_2, EXT_SOURCE_3 were unfavourable: ask the client for them"
    )


def test_the_reasons_keep_the_apis_order_and_show_missing_values_as_such() -> None:
    frame = views.contributions_frame(answer(0.05))
    assert frame["field"].tolist() == ["EXT_SOURCE_MEAN", "ORGANIZATION_TYPE", "DAYS_ID_PUBLISH", "AMT_CREDIT"]
    assert frame["client's value"].tolist() == ["0.51", "Self-employed", "missing", "1.35e+05"]
    assert frame["effect"].tolist() == ["lowers the risk", "raises the risk", "raises the risk", "lowers the risk"]
    bars = views.contributions_chart(answer(0.05)).data[0]
    assert list(bars.y) == frame["field"].tolist()[::-1]  # the strongest on top
    assert list(bars.marker.color)[-2:] == [views.REFUSE_COLOUR, views.GRANT_COLOUR]


def test_the_global_importance_highlights_the_clients_own_fields() -> None:
    importance = {
        "rows": 200,
        "units": "log-odds",
        "features": [{"feature": f"F{i}", "mean_abs_contribution": 1 / (i + 1), "share": 0.1} for i in range(20)],
    }
    bars = views.importance_chart(importance, top=5, highlight={"F1"}).data[0]
    assert list(bars.y) == ["F4", "F3", "F2", "F1", "F0"]
    assert list(bars.marker.color) == ["#9e9e9e"] * 3 + [views.CLIENT_COLOUR, "#9e9e9e"]


@pytest.fixture
def people() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "EXT_SOURCE_MEAN": rng.uniform(0, 1, 500),
            "AMT_CREDIT": rng.uniform(1e4, 1e6, 500),
            "CREDIT_INCOME_RATIO": rng.uniform(0, 10, 500),
            TARGET: rng.integers(0, 2, 500),
        }
    )


def test_the_fields_compared_first_are_the_clients_strongest_numeric_reasons(people) -> None:
    fallback = ["CREDIT_INCOME_RATIO", "AMT_CREDIT"]
    assert views.default_features(answer(0.05), people, fallback) == ["EXT_SOURCE_MEAN", "AMT_CREDIT"]
    assert views.default_features(None, people, fallback) == fallback  # nothing scored: the fallback
    only_categorical = answer(0.05, top_contributions=answer(0.05)["top_contributions"][1:3])
    assert views.default_features(only_categorical, people, ["EXT_SOURCE_MEAN", "AMT_CREDIT"]) == [
        "EXT_SOURCE_MEAN",
        "AMT_CREDIT",
    ]


def test_the_population_chart_splits_the_outcomes_and_marks_the_client(people) -> None:
    client = pd.Series({"EXT_SOURCE_MEAN": 0.4, "AMT_CREDIT": 2e5})
    figure = views.population_chart(people, client, "EXT_SOURCE_MEAN", "AMT_CREDIT", sample=100)
    repaid, defaulted, star = figure.data
    assert len(repaid.x) + len(defaulted.x) == 100
    assert set(people.loc[people[TARGET] == 1, "EXT_SOURCE_MEAN"]) >= set(defaulted.x)
    assert (star.x, star.y, star.name) == ((0.4,), (2e5,), "this client")
    unknown = pd.Series({"EXT_SOURCE_MEAN": math.nan, "AMT_CREDIT": 1.0})
    missing = views.population_chart(people, unknown, "EXT_SOURCE_MEAN", "AMT_CREDIT")
    assert [trace.name for trace in missing.data] == ["training clients who repaid", "training clients who defaulted"]
    sentence = views.position_sentence("AMT_CREDIT", 2e5, 42.4)
    assert sentence == "AMT_CREDIT = 2e+05: higher than 42 % of the training clients"
    assert views.position_sentence("EXT_SOURCE_1", None, None) == "EXT_SOURCE_1: missing for this client"


def test_the_monitoring_lines_and_alerts_come_from_the_summary() -> None:
    summary = {
        "status": "alert",
        "alerts": [{"name": "score_psi", "value": 0.31, "limit": 0.2, "message": "0.310 population stability index"}],
        "source": "recorded_traffic.jsonl.gz",
        "model": {"version": "xgboost-test"},
        "operations": {
            "requests": 8080,
            "client_error_rate": 0.012,
            "server_error_rate": 0.0,
            "latency_p50_ms": 455.4,
            "latency_p95_ms": 982.0,
        },
        "scores": {"refusal_rate_production": 0.333, "refusal_rate_reference": 0.305, "score_psi": 0.0057},
        "drift": {"columns_tested": 133, "columns_drifted": 13},
    }
    assert views.monitoring_lines(summary) == [
        "Source: recorded_traffic.jsonl.gz; model xgboost-test",
        "8,080 requests; client errors 1.2 %, server errors 0.0 %; latency p50 455 ms, p95 982 ms",
        "Refusal rate 33.3 % in production against 30.5 % on the training reference; score PSI 0.006",
        "Input drift: 13 of 133 fields drifted",
    ]
    assert views.alerts_frame(summary).to_dict("records") == summary["alerts"]
    assert views.alerts_frame({"alerts": []}).columns.tolist() == ["name", "value", "limit", "message"]
    assert views.monitoring_lines({"source": "events"}) == ["Source: events; model ?"]
    slow = {"source": "events", "operations": {"requests": 3, "latency_p95_ms": 210.0}}
    assert views.monitoring_lines(slow)[1] == "3 requests; client errors 0.0 %, server errors 0.0 %; latency p95 210 ms"
