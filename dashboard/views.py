"""What the dashboard shows, computed from the API's answers: the gauge, the decision's expected cost, the
reasons, the client against the population and the monitoring status. Plain functions, unit-tested
(tests/dashboard/test_views.py); app.py only lays them out."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pipelines.credit.schema import TARGET

GRANT_COLOUR, REFUSE_COLOUR, REVIEW_COLOUR, CLIENT_COLOUR = "#2e7d32", "#c62828", "#f9a825", "#1565c0"
# Compared with the population when the client's own reasons do not give two numeric fields.
COMPARED_FIRST = ["EXT_SOURCE_MEAN", "CREDIT_INCOME_RATIO", "AMT_CREDIT", "DAYS_BIRTH"]
DECISIONS = {
    "grant": "Grant",
    "refuse": "Refuse",
    "review": "Review: a field left out could turn the answer into a refusal",
}


def gauge_range(probability: float, threshold: float) -> float:
    """The gauge's upper end: room for the threshold and the client (probabilities of default are small, a 0-1
    dial would crush both into its first tenth), rounded up to 0.05, never above 1."""
    top = max(0.3, 2 * threshold, 1.25 * probability)
    return min(1.0, math.ceil(top * 20 - 1e-9) / 20)


def gauge(probability: float, threshold: float, decision: str | None = None) -> go.Figure:
    """The calibrated probability of default on a dial, green below the threshold, red from it on; the needle
    amber when the API asks for a review (below the threshold, but a missing field could refuse)."""
    top = gauge_range(probability, threshold)
    colour = REFUSE_COLOUR if probability >= threshold else GRANT_COLOUR
    if decision == "review":
        colour = REVIEW_COLOUR
    figure = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=probability,
            number={"valueformat": ".1%"},
            title={"text": f"Probability of default (refused from {threshold:.1%})"},
            gauge={
                "axis": {"range": [0, top], "tickformat": ".0%"},
                "bar": {"color": colour, "thickness": 0.3},
                "steps": [
                    {"range": [0, threshold], "color": "#c8e6c9"},
                    {"range": [threshold, top], "color": "#ffcdd2"},
                ],
                "threshold": {"line": {"color": "black", "width": 4}, "thickness": 0.9, "value": threshold},
            },
        )
    )
    figure.update_layout(height=300, margin={"t": 60, "b": 10, "l": 30, "r": 30})
    return figure


def expected_costs(probability: float, cost_weights: dict[str, float]) -> dict[str, float]:
    """Expected cost of each decision for this client, in the model card's cost units: granting costs `fn`
    when the client defaults (probability p), refusing costs `fp` when they would have repaid (1 - p). The
    probability is calibrated, so these are expectations over clients scored alike."""
    for key in ("fn", "fp"):
        if key not in cost_weights:
            raise ValueError(f"the model card's decision.cost_weights has no {key!r}: {cost_weights}")
    return {"grant": cost_weights["fn"] * probability, "refuse": cost_weights["fp"] * (1 - probability)}


def cost_sentence(probability: float, cost_weights: dict[str, float]) -> str:
    """The two expected costs and which is lower, in words computed from them."""
    costs = expected_costs(probability, cost_weights)
    cheaper = min(costs, key=costs.get)
    fn, fp = cost_weights["fn"], cost_weights["fp"]
    return (
        f"Granting costs {fn:g} × {probability:.3f} = {costs['grant']:.3f} in expectation (a default costs {fn:g}); "
        f"refusing costs {fp:g} × {1 - probability:.3f} = {costs['refuse']:.3f} (a good client lost costs {fp:g}). "
        f"For this client {'refusing' if cheaper == 'refuse' else 'granting'} is the cheaper decision."
    )


def decision_text(answer: dict[str, Any]) -> str:
    """The API's decision with what it rests on."""
    label = DECISIONS.get(answer["decision"], answer["decision"])
    side = "at or above" if answer["probability"] >= answer["threshold"] else "below"
    text = f"{label} (probability {answer['probability']:.1%} {side} the threshold {answer['threshold']:.1%})"
    needed = answer.get("missing_fields_that_matter") or []
    if needed:
        text += (
            f"; worst case {answer['worst_case_probability']:.1%} if the missing {', '.join(needed)} were "
            "unfavourable: ask the client for them"
        )
    return text


def contributions_frame(answer: dict[str, Any]) -> pd.DataFrame:
    """The client's top SHAP contributions, largest effect first, with the direction in words."""
    rows = [
        {
            "field": item["feature"],
            "client's value": _shown(item["value"]),
            "contribution": item["contribution"],
            "effect": "raises the risk" if item["contribution"] > 0 else "lowers the risk",
        }
        for item in answer["top_contributions"]
    ]
    return pd.DataFrame(rows, columns=["field", "client's value", "contribution", "effect"])


def _bars(values, names, colours: list[str], title: str, axis: str, height: int) -> go.Figure:
    """Horizontal bars, the first row at the bottom (callers pass them weakest first)."""
    figure = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color=colours))
    figure.update_layout(title=title, xaxis_title=axis, height=height, margin={"t": 50, "b": 40, "l": 10, "r": 10})
    return figure


def contributions_chart(answer: dict[str, Any]) -> go.Figure:
    frame = contributions_frame(answer).iloc[::-1]
    colours = [REFUSE_COLOUR if value > 0 else GRANT_COLOUR for value in frame["contribution"]]
    units = answer.get("contribution_units", "log-odds")
    title = "This client's reasons (SHAP, > 0 raises the risk)"
    return _bars(frame["contribution"], frame["field"], colours, title, f"contribution ({units})", 320)


def importance_chart(importance: dict[str, Any], top: int = 12, highlight: set[str] | None = None) -> go.Figure:
    """The model's global importance (mean |SHAP|), the client's own top fields highlighted."""
    frame = pd.DataFrame(importance["features"]).head(top).iloc[::-1]
    highlight = highlight or set()
    colours = [CLIENT_COLOUR if name in highlight else "#9e9e9e" for name in frame["feature"]]
    title = "Global importance (blue: this client's top fields)"
    axis = f"mean |contribution| ({importance['units']})"
    return _bars(frame["mean_abs_contribution"], frame["feature"], colours, title, axis, 380)


def default_features(answer: dict[str, Any] | None, population: pd.DataFrame, fallback: list[str]) -> list[str]:
    """The two fields to compare first: the client's two strongest numeric reasons, else `fallback`."""
    chosen = [item["feature"] for item in (answer or {}).get("top_contributions", []) if item["feature"] in population]
    chosen = [name for name in dict.fromkeys(chosen) if name != TARGET]
    for name in fallback:
        if len(chosen) >= 2:
            break
        if name in population and name not in chosen:
            chosen.append(name)
    return chosen[:2]


def population_chart(
    population: pd.DataFrame, client: pd.Series, x: str, y: str, sample: int = 3000, seed: int = 0
) -> go.Figure:
    """The training population on two fields (a sample, repaid and defaulted apart) and the client as a star."""
    shown = population[[x, y, TARGET]].dropna(subset=[x, y])
    shown = shown.sample(min(sample, len(shown)), random_state=seed)
    figure = go.Figure()
    for outcome, name, colour in ((0, "repaid", "#90a4ae"), (1, "defaulted", "#e53935")):
        part = shown[shown[TARGET] == outcome]
        figure.add_trace(
            go.Scattergl(
                x=part[x],
                y=part[y],
                mode="markers",
                name=f"training clients who {name}",
                marker={"size": 4, "color": colour, "opacity": 0.6},
            )
        )
    client_x, client_y = client.get(x), client.get(y)
    if _known(client_x) and _known(client_y):
        figure.add_trace(
            go.Scatter(
                x=[client_x],
                y=[client_y],
                mode="markers",
                name="this client",
                marker={"size": 18, "color": CLIENT_COLOUR, "symbol": "star", "line": {"width": 1}},
            )
        )
    figure.update_layout(
        xaxis_title=x, yaxis_title=y, height=420, margin={"t": 30, "b": 40, "l": 10, "r": 10}, legend={"y": -0.2}
    )
    figure.update_layout(legend={"orientation": "h"})
    return figure


def _shown(value: Any) -> str:
    """A field's value as text (one column mixes numbers and categories)."""
    if not _known(value):
        return "missing"
    return f"{value:.4g}" if isinstance(value, int | float) else str(value)


def _known(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def position_sentence(name: str, value: Any, share_below: float | None) -> str:
    if share_below is None:
        return f"{name}: missing for this client" if not _known(value) else f"{name}: no training value to compare"
    return f"{name} = {value:.4g}: higher than {share_below:.0f} % of the training clients"


def monitoring_lines(summary: dict[str, Any]) -> list[str]:
    """The monitoring summary's headline figures in sentences (the alerts are listed apart)."""
    operations, scores, drift = summary.get("operations", {}), summary.get("scores", {}), summary.get("drift", {})
    lines = [f"Source: {summary.get('source')}; model {summary.get('model', {}).get('version', '?')}"]
    if "requests" in operations:
        latency = ", ".join(
            f"{name} {operations[f'latency_{name}_ms']:.0f} ms"
            for name in ("p50", "p95")
            if f"latency_{name}_ms" in operations
        )
        lines.append(
            f"{operations['requests']:,} requests; client errors {100 * operations.get('client_error_rate', 0):.1f} %, "
            f"server errors {100 * operations.get('server_error_rate', 0):.1f} %"
            + (f"; latency {latency}" if latency else "")
        )
    if "refusal_rate_production" in scores:
        lines.append(
            f"Refusal rate {100 * scores['refusal_rate_production']:.1f} % in production against "
            f"{100 * scores['refusal_rate_reference']:.1f} % on the training reference; score PSI "
            f"{scores.get('score_psi', float('nan')):.3f}"
        )
    if "columns_tested" in drift:
        lines.append(f"Input drift: {drift['columns_drifted']} of {drift['columns_tested']} fields drifted")
    return lines


def alerts_frame(summary: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(summary.get("alerts", []), columns=["name", "value", "limit", "message"])
