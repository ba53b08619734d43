"""Choosing the clients to explain, and reading Evidently's per-column drift results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.credit.drift import describe_shift, drift_by_column
from pipelines.credit.explanations import PipelineExplainer
from pipelines.credit.schema import ID, TARGET
from stages.credit.explain import ROLES, direction, explain_clients, importance_table, pick_clients


def test_one_typical_client_per_decision_outcome():
    ids = np.arange(100, 120)
    y = np.array([1, 0] * 10)
    proba = np.linspace(0.05, 0.95, 20)
    chosen = pick_clients(ids, y, proba, threshold=0.5)
    assert set(chosen) == set(ROLES)
    position = {role: int(np.flatnonzero(ids == client)[0]) for role, client in chosen.items()}
    assert proba[position["refused_defaulted"]] >= 0.5 and y[position["refused_defaulted"]] == 1
    assert proba[position["granted_repaid"]] < 0.5 and y[position["granted_repaid"]] == 0
    assert proba[position["granted_defaulted"]] < 0.5 and y[position["granted_defaulted"]] == 1
    assert proba[position["refused_repaid"]] >= 0.5 and y[position["refused_repaid"]] == 0
    assert "granted_defaulted" not in pick_clients(ids, y, np.where(y == 1, 0.9, 0.1), 0.5)


def test_direction_of_a_field(rng):
    values = pd.Series(rng.normal(size=200))
    assert direction(values, 2 * values.to_numpy()) == "higher values raise the risk"
    assert direction(values, -values.to_numpy()) == "higher values lower the risk"
    assert direction(values, rng.normal(size=200)) == "no simple direction"
    assert direction(pd.Series(["a", "b"] * 100), rng.normal(size=200)).startswith("categorical")


def test_evidently_verdicts_per_column(rng):
    """A shifted column and a categorical mix change drift; a stable column does not (both test families)."""
    for n in (300, 1500):  # small samples: p-value tests; large: distances (Evidently's default choice)
        reference = pd.DataFrame(
            {
                "stable": rng.normal(size=n),
                "shifted": rng.normal(size=n),
                "kind": rng.choice(["a", "b"], n, p=[0.9, 0.1]),
            }
        )
        current = pd.DataFrame(
            {
                "stable": rng.normal(size=n),
                "shifted": rng.normal(2, 1, n),
                "kind": rng.choice(["a", "b"], n, p=[0.3, 0.7]),
            }
        )
        result = drift_by_column(reference, current)
        assert set(result.index) == {"stable", "shifted", "kind"}
        assert result.loc["shifted", "drifted"] and result.loc["kind", "drifted"]
        assert not result.loc["stable", "drifted"]
        assert result["method"].str.len().gt(0).all() and (result["threshold"] > 0).all()


def test_shift_descriptions():
    assert describe_shift("x", pd.Series(["a"] * 9 + ["b"]), pd.Series(["a"] * 5 + ["b"] * 5)) in (
        "share of a: 90.0 % → 50.0 %",
        "share of b: 10.0 % → 50.0 %",
    )
    assert describe_shift("x", pd.Series(np.arange(100.0)), pd.Series(np.arange(100.0) + 10)) == "median 49.5 → 59.5"


def test_importance_table_and_client_explanations(small_split, fitted_xgboost):
    test = small_split[1]
    X, y = test.drop(columns=[TARGET]), test[TARGET].to_numpy()
    explainer = PipelineExplainer(fitted_xgboost)
    table, explanation = importance_table(explainer, X.head(100))
    assert np.isclose(table["share"].sum(), 1) and table["mean_abs_shap"].is_monotonic_decreasing
    assert explanation.values.shape[0] == 100 and ID not in table.index and "CODE_GENDER" not in table.index
    proba = fitted_xgboost.predict_proba(X)[:, 1]
    chosen = pick_clients(X[ID].to_numpy(), y, proba, 0.5)
    clients = explain_clients(explainer, X, y, proba, 0.5, chosen)
    assert [client.role for client in clients] == list(chosen)
    for client in clients:
        assert client.decision == ("refused" if client.probability >= 0.5 else "granted")
        assert f"Client {client.client_id}" in client.sentence(0.5)
        assert len(client.summary()["top_contributions"]) == 5


def test_the_evidently_page_note_states_its_own_share_and_the_data_sets():
    from stages.credit.drift import page_note

    metrics = {
        "report_columns": ["predicted_probability", "A", "B", "C"],
        "report_columns_drifted": 2,
        "columns_tested": 40,
        "columns_drifted": 4,
        "share_drifted": 0.1,
    }
    note = page_note(metrics, report_columns=2, top_drifts=3)
    assert "2 of 4 columns, 50 %" in note and "over all 40 fields the model reads, 4 drift (10 %)" in note
    metrics |= {"report_columns_drifted": 0, "columns_drifted": 20, "share_drifted": 0.5}
    note = page_note(metrics, report_columns=2, top_drifts=3)
    assert "0 of 4 columns, 0 %" in note and "20 drift (50 %)" in note
