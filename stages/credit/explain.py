"""Stage `credit_explain`: SHAP explanations of the registered model.

Global: which fields move the predicted risk most over a sample of test clients (beeswarm of the
encoded features, bar chart per application field). Local: waterfall plots for a few named test
clients, either listed in `credit.explain.clients` or picked by role (a refused defaulter, a
granted good client, a missed defaulter, a refused good client: the typical client of each group).
"""

from __future__ import annotations

from dataclasses import dataclass

import joblib
import numpy as np
import pandas as pd
import shap

from pipelines.common.errors import ParamError
from pipelines.common.io import read_json, write_csv, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_section
from pipelines.common.stage import run_stage
from pipelines.credit.data import features_and_target, read_frame, read_summary
from pipelines.credit.explanations import PipelineExplainer
from pipelines.credit.paths import BACKGROUND, IMPORTANCE, MODEL, MODEL_CARD, TEST
from pipelines.credit.paths import EXPLANATIONS_FIGURES as FIGURES
from pipelines.credit.paths import EXPLANATIONS_REPORT as REPORT
from pipelines.credit.paths import EXPLANATIONS_SUMMARY as SUMMARY
from pipelines.credit.plots import numpy_global_seed
from pipelines.credit.schema import ID
from pipelines.credit.settings import ExplainParams
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report

log = get_logger("credit.explain")
ROLES = {
    "refused_defaulted": ("refused, defaulted (true positive)", True, 1),
    "granted_repaid": ("granted, repaid (true negative)", False, 0),
    "granted_defaulted": ("granted, defaulted (false negative: the costly error)", False, 1),
    "refused_repaid": ("refused, would have repaid (false positive)", True, 0),
}


def pick_clients(ids: np.ndarray, y: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, int]:
    """For each role, the client whose probability is the median of that group."""
    chosen = {}
    for role, (_, refused, outcome) in ROLES.items():
        group = np.flatnonzero(((proba >= threshold) == refused) & (y == outcome))
        if group.size:
            order = group[np.argsort(proba[group])]
            chosen[role] = int(ids[order[len(order) // 2]])
    return chosen


def direction(values: pd.Series, contributions: np.ndarray) -> str:
    """Whether a higher value of a field raises or lowers the risk, from the sign of their correlation."""
    if not pd.api.types.is_numeric_dtype(values):
        return "categorical: depends on the level"
    values = values.to_numpy(dtype=float)
    known = ~np.isnan(values)
    if known.sum() < 10 or np.std(values[known]) == 0 or np.std(contributions[known]) == 0:
        return "no simple direction"
    correlation = np.corrcoef(values[known], contributions[known])[0, 1]
    if abs(correlation) < 0.2:
        return "no simple direction"
    return "higher values raise the risk" if correlation > 0 else "higher values lower the risk"


def importance_table(explainer: PipelineExplainer, sample: pd.DataFrame) -> tuple[pd.DataFrame, shap.Explanation]:
    """Mean |SHAP| per field (share of the total, direction) over `sample`, and the SHAP values themselves."""
    explanation = explainer.explain(sample)
    grouped = explainer.grouped(explanation)
    importance = grouped.abs().mean().sort_values(ascending=False)
    engineered = explainer.pipeline[0].transform(sample)
    table = pd.DataFrame(
        {
            "mean_abs_shap": importance,
            "share": importance / importance.sum(),
            "direction": [direction(engineered[name], grouped[name].to_numpy()) for name in importance.index],
        }
    )
    table.index.name = "feature"
    return table, explanation


@dataclass
class Client:
    """One explained test client."""

    role: str
    label: str
    client_id: int
    probability: float
    decision: str
    outcome: str
    contributions: pd.Series  # SHAP value per field
    explanation: shap.Explanation  # per encoded feature, for the waterfall

    def sentence(self, threshold: float) -> str:
        up = self.contributions.sort_values(ascending=False).head(3)
        down = self.contributions.sort_values().head(3)
        return (
            f"Client {self.client_id} ({self.label}): probability {self.probability:.3f} against the threshold "
            f"{threshold:.3f}, so {self.decision}; the client {self.outcome}. Pushed the risk up: "
            + ", ".join(f"{name} ({value:+.3f})" for name, value in up.items() if value > 0)
            + ". Pushed it down: "
            + ", ".join(f"{name} ({value:+.3f})" for name, value in down.items() if value < 0)
            + "."
        )

    def summary(self) -> dict:
        strongest = self.contributions.abs().sort_values(ascending=False).index[:5]
        return {
            "SK_ID_CURR": self.client_id,
            "probability": round(self.probability, 5),
            "decision": self.decision,
            "outcome": self.outcome,
            "top_contributions": {name: round(float(self.contributions[name]), 5) for name in strongest},
        }


def explain_clients(
    explainer: PipelineExplainer, X: pd.DataFrame, y: np.ndarray, proba: np.ndarray, threshold: float, chosen: dict
) -> list[Client]:
    ids = X[ID].to_numpy()
    clients = []
    for role, client_id in chosen.items():
        position = int(np.flatnonzero(ids == client_id)[0])
        one = explainer.explain(X.iloc[[position]])
        clients.append(
            Client(
                role=role,
                label=ROLES[role][0] if role in ROLES else "requested client",
                client_id=int(client_id),
                probability=float(proba[position]),
                decision="refused" if proba[position] >= threshold else "granted",
                outcome="defaulted" if y[position] else "repaid",
                contributions=explainer.grouped(one).iloc[0],
                explanation=one[0],
            )
        )
    return clients


def main() -> None:
    settings = load_section("credit.explain", ExplainParams)
    sample_size, max_display, seed, requested = settings.sample, settings.max_display, settings.seed, settings.clients

    pipeline = joblib.load(MODEL)
    card = read_json(MODEL_CARD)
    threshold = card["decision"]["threshold"]
    explainer = PipelineExplainer(pipeline, read_frame(BACKGROUND))
    X_test, y_test = features_and_target(read_frame(TEST))
    proba = pipeline.predict_proba(X_test)[:, 1]
    if requested:
        unknown = [client for client in requested if client not in set(X_test[ID].tolist())]
        if unknown:
            raise ParamError("credit.explain.clients", f"not in the test split: {unknown}")
        chosen = {f"client_{client}": int(client) for client in requested}
    else:
        chosen = pick_clients(X_test[ID].to_numpy(), y_test, proba, threshold)

    rows = np.random.default_rng(seed).choice(len(X_test), size=min(sample_size, len(X_test)), replace=False)
    table, explanation = importance_table(explainer, X_test.iloc[np.sort(rows)])
    write_csv(IMPORTANCE, table.round(6))
    clients = explain_clients(explainer, X_test, y_test, proba, threshold, chosen)
    units = explainer.output_units
    write_json(
        SUMMARY,
        {
            "model": card["model"],
            "version": card["version"],
            "units": units,
            "sample_rows": len(explanation.values),
            "top_features": {name: round(float(row["share"]), 4) for name, row in table.head(5).iterrows()},
            "clients": {client.role: client.summary() for client in clients},
        },
    )
    data = read_summary()
    source = f"Data: {data['description']} ({data['kind']}); model {card['version']}"
    figures = {
        "global": [
            _beeswarm(explanation, max_display, units, source, seed),
            _bar(table["mean_abs_shap"], max_display, units, source),
        ],
        "local": [_waterfall(client, units, max_display, source) for client in clients],
    }
    write_report(table, clients, threshold, len(explanation.values), units, card, data, figures)
    log.info("explained %d test rows and %d clients; top field %s", len(rows), len(clients), table.index[0])


def write_report(
    table: pd.DataFrame,
    clients: list[Client],
    threshold: float,
    sample_rows: int,
    units: str,
    card: dict,
    data: dict,
    figures: dict[str, list[Figure]],
) -> None:
    top = table.head(5)
    external = float(table.loc[table.index.str.startswith("EXT_SOURCE"), "share"].sum())
    global_text = [
        f"Mean absolute SHAP value per field over {sample_rows:,} test clients, in {units} of default. The five "
        f"strongest fields carry {100 * top['share'].sum():.0f} % of the total: "
        + "; ".join(f"{name} ({100 * row['share']:.1f} %, {row['direction']})" for name, row in top.iterrows())
        + ".",
        "One-hot levels and missing-value indicators are added up into the field they come from. The beeswarm shows "
        "the encoded features: each dot is a client, its colour the feature's value (target-encoded categories show "
        "the default rate of the category), its position how much it moved that client's score.",
        f"The external scores and their summaries (EXT_SOURCE_*) carry {100 * external:.0f} % of the importance: "
        "the model leans on credit scores bought from outside. Clients without them (thin files, no credit history) "
        "are scored on the remaining fields, with less certainty; their absence is itself informative "
        "(EXT_SOURCE_COUNT, MISSING_COUNT).",
        "Importance is not causation, and correlated fields split it between them (AMT_CREDIT and AMT_GOODS_PRICE; "
        "the EXT_SOURCE summaries and the scores they summarise).",
    ]
    local_text = [
        f"Waterfall plots: start from the average score E[f(x)] (in {units}), each bar is one field's push for this "
        "client, the end is the client's score f(x). The decision compares the probability with the registered "
        "threshold.",
        *(client.sentence(threshold) for client in clients),
    ]
    sections = [
        Section(
            "Global importance",
            global_text,
            tables=[("Mean |SHAP| per field, strongest first", table.head(20))],
            figures=figures["global"],
        ),
        Section("Individual clients", local_text, figures=figures["local"]),
    ]
    provenance = {
        "data source": data["description"],
        "kind": data["kind"],
        "model": f"{card['model']} {card['version']}",
        "explained rows": f"{sample_rows:,} test clients (global), {len(clients)} named clients (local)",
        "terms": "Kaggle competition data (Home Credit Group): research and education only",
    }
    render_report(REPORT, "Credit default scoring — SHAP explanations", provenance, sections)


def _beeswarm(explanation: shap.Explanation, max_display: int, units: str, source: str, seed: int) -> Figure:
    plt.figure()
    with numpy_global_seed(seed):  # SHAP jitters the dots with numpy's global generator
        shap.plots.beeswarm(explanation, max_display=max_display, show=False, plot_size=(10, 0.42 * max_display + 1.5))
    fig = plt.gcf()
    ax = fig.axes[0]
    ax.set_title("SHAP values of the encoded features, test sample", fontweight="bold")
    ax.set_xlabel(f"SHAP value ({units} of default): right = riskier")
    return Figure(
        save_figure(fig, FIGURES / "shap_beeswarm.png", source),
        "Beeswarm: each dot is a test client; colour is the feature value (red high, blue low).",
    )


def _bar(importance: pd.Series, max_display: int, units: str, source: str) -> Figure:
    top = importance.head(max_display).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(top) + 1.5))
    ax.barh(top.index, top.to_numpy(), color="tab:blue")
    ax.set(
        title="Global importance per application field (mean |SHAP|)",
        xlabel=f"mean |SHAP value| ({units})",
        ylabel="field",
    )
    return Figure(
        save_figure(fig, FIGURES / "shap_importance.png", source, tight_layout=True),
        "One-hot levels added up per field.",
    )


def _waterfall(client: Client, units: str, max_display: int, source: str) -> Figure:
    plt.figure()
    shap.plots.waterfall(client.explanation, max_display=max_display, show=False)
    fig = plt.gcf()
    fig.set_size_inches(10, 0.4 * max_display + 2)
    fig.axes[0].set_title(
        f"Client {client.client_id}: {client.label}\nprobability {client.probability:.3f} → {client.decision}; "
        f"outcome: {client.outcome}",
        fontweight="bold",
        pad=22,
    )
    fig.axes[0].set_xlabel(f"score ({units} of default)", labelpad=16)
    return Figure(
        save_figure(fig, FIGURES / f"waterfall_{client.client_id}.png", source),
        f"Client {client.client_id} ({client.label}): why the model scored this application as it did.",
    )


if __name__ == "__main__":
    run_stage(main, "credit.explain")
