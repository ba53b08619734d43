"""Production monitoring on events the tests build: operational figures, the score shift, the alerts
(each fires exactly when its figure crosses its limit), recorded traffic round trip, and inputs rebuilt
the way the service read them."""

from __future__ import annotations

import gzip
import io
import json

import numpy as np
import pandas as pd
import pytest

from pipelines.common.errors import DataError
from pipelines.credit import monitoring
from pipelines.credit.monitoring import Limits
from pipelines.credit.scoring import EXAMPLE

START = pd.Timestamp("2026-12-01T08:00", tz="UTC")
LIMITS = Limits(
    min_requests=10,
    max_server_error_rate=0.01,
    max_client_error_rate=0.05,
    max_latency_p95_ms=500.0,
    max_score_psi=0.2,
    max_refusal_rate_change=0.05,
    max_drifted_share=0.2,
)


def traffic(probabilities, threshold: float = 0.5, statuses=None, latency: float = 100.0) -> pd.DataFrame:
    probabilities = np.asarray(probabilities, dtype=float)
    n = len(probabilities)
    statuses = np.full(n, 200) if statuses is None else np.asarray(statuses)
    scored = statuses == 200
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "received_at": START + pd.to_timedelta(np.arange(n) * 3, unit="h"),
            "http_status": statuses,
            "latency_ms": np.full(n, latency),
            "client_id": np.arange(n) + 100001,
            "probability": np.where(scored, probabilities, np.nan),
            "decision": np.where(scored, np.where(probabilities >= threshold, "refuse", "grant"), None),
            "threshold": threshold,
            "model_version": np.where(scored, "xgboost-abc", None),
            "inputs": [dict(EXAMPLE, SK_ID_CURR=100001 + i) for i in range(n)],
            "error": np.where(scored, None, "AMT_CREDIT: required"),
        }
    )


def summary(frame: pd.DataFrame, reference: np.ndarray, share_drifted: float = 0.0) -> dict:
    return {
        "operations": monitoring.operations(frame),
        "scores": monitoring.score_shift(reference, frame, threshold=0.5),
        "drift": {"share_drifted": share_drifted},
    }


@pytest.fixture
def reference() -> np.ndarray:
    return np.random.default_rng(0).beta(2, 5, 4000)


def test_operations_count_answers_rates_latency_and_days() -> None:
    frame = traffic(np.linspace(0, 1, 20), statuses=[200] * 17 + [422, 422, 500])
    frame.loc[:16, "latency_ms"] = np.arange(17) * 10.0
    ops = monitoring.operations(frame)
    assert (ops["requests"], ops["scored"], ops["client_errors"], ops["server_errors"]) == (20, 17, 2, 1)
    assert ops["client_error_rate"] == pytest.approx(0.1) and ops["server_error_rate"] == pytest.approx(0.05)
    assert ops["latency_p50_ms"] == pytest.approx(80.0)
    assert ops["requests_per_day"] == {"2026-12-01": 6, "2026-12-02": 8, "2026-12-03": 6}
    with pytest.raises(DataError, match="no scoring event"):
        monitoring.operations(frame.iloc[:0])


def test_psi_is_near_zero_for_the_same_population_and_large_for_a_shifted_one(reference) -> None:
    rng = np.random.default_rng(1)
    assert monitoring.population_stability(reference, rng.beta(2, 5, 3000)) < 0.02
    assert monitoring.population_stability(reference, rng.beta(5, 2, 3000)) > 1.0


def test_no_alert_on_traffic_like_the_reference(reference) -> None:
    production = np.random.default_rng(2).beta(2, 5, 400)
    assert monitoring.alerts(summary(traffic(production), reference), LIMITS) == []


@pytest.mark.parametrize(
    ("change", "alert"),
    [
        ({"statuses": [500] * 5 + [200] * 395}, "server_error_rate"),
        ({"statuses": [422] * 30 + [200] * 370}, "client_error_rate"),
        ({"latency": 900.0}, "latency_p95_ms"),
        ({"shift": True}, "score_psi"),
    ],
)
def test_each_alert_fires_when_its_figure_crosses_the_limit(reference, change: dict, alert: str) -> None:
    rng = np.random.default_rng(3)
    production = rng.beta(5, 2, 400) if change.pop("shift", False) else rng.beta(2, 5, 400)
    found = monitoring.alerts(summary(traffic(production, **change), reference), LIMITS)
    assert alert in [item.name for item in found]
    assert all(item.value > item.limit for item in found)


def test_the_refusal_rate_and_drift_alerts_follow_their_figures(reference) -> None:
    production = np.random.default_rng(4).beta(2, 5, 400)
    assert monitoring.alerts(summary(traffic(production), reference, share_drifted=0.19), LIMITS) == []
    names = [item.name for item in monitoring.alerts(summary(traffic(production), reference, 0.21), LIMITS)]
    assert names == ["drifted_share"]
    refusing = summary(traffic(production, threshold=0.3), reference)  # served threshold lower: more refusals
    assert "refusal_rate_change" in [item.name for item in monitoring.alerts(refusing, LIMITS)]


def test_too_few_requests_is_an_alert(reference) -> None:
    few = monitoring.alerts(summary(traffic(reference[:5]), reference), LIMITS)
    assert "too_few_requests" in [item.name for item in few]  # (five scores also make a noisy PSI)
    enough = monitoring.alerts(summary(traffic(reference[:10]), reference), LIMITS)
    assert "too_few_requests" not in [item.name for item in enough]


def test_recorded_traffic_round_trips(tmp_path) -> None:
    frame = traffic([0.1, 0.7], statuses=[200, 422])
    path = tmp_path / "traffic.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        monitoring.write_recorded(frame.drop(columns="id"), handle)
    back = monitoring.read_recorded(path)
    assert list(back["http_status"]) == [200, 422] and back.loc[0, "inputs"] == frame.loc[0, "inputs"]
    assert back.loc[1, "received_at"] == frame.loc[1, "received_at"]
    assert back.loc[0, "probability"] == pytest.approx(0.1) and pd.isna(back.loc[1, "probability"])


def test_recorded_traffic_without_the_required_fields_is_refused(tmp_path) -> None:
    path = tmp_path / "traffic.jsonl"
    path.write_text('{"received_at": "2026-12-01T00:00:00+00:00", "latency_ms": 3}\n')
    with pytest.raises(DataError, match="without http_status"):
        monitoring.read_recorded(path)
    with pytest.raises(DataError, match="not found"):
        monitoring.read_recorded(tmp_path / "missing.jsonl")


def test_production_inputs_are_rebuilt_as_the_service_read_them() -> None:
    frame = traffic([0.2, 0.4, 0.6], statuses=[200, 422, 200])
    frame.at[2, "inputs"] = {
        key: EXAMPLE[key] for key in ("NAME_CONTRACT_TYPE", "AMT_INCOME_TOTAL", "AMT_CREDIT", "DAYS_BIRTH")
    }
    inputs = monitoring.production_inputs(frame)
    assert len(inputs) == 2  # the refused request is not scored input
    assert inputs.loc[0, "AMT_CREDIT"] == EXAMPLE["AMT_CREDIT"] and np.isnan(inputs.loc[1, "EXT_SOURCE_2"])


def test_write_recorded_writes_missing_values_as_null() -> None:
    handle = io.StringIO()
    monitoring.write_recorded(traffic([0.3], statuses=[422]).drop(columns="id"), handle)
    line = json.loads(handle.getvalue())
    assert line["probability"] is None and line["received_at"] == "2026-12-01T08:00:00+00:00"
