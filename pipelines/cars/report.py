"""The cars evaluation report: sections of sentences computed from the metrics, tables and figures."""

from __future__ import annotations

import pandas as pd

from pipelines.cars.evaluation import (
    comparison_text,
    depreciation_text,
    interval_text,
    target_verdict,
    worst_group_text,
)
from pipelines.cars.paths import EVALUATION_REPORT
from pipelines.reporting.report import Figure, Section, render_report


def _scores_table(scores: dict, validation: dict) -> pd.DataFrame:
    rows = {
        name: {
            "validation MAPE (%)": 100 * validation[name]["mape"],
            "test MAPE (%)": 100 * entry["mape"],
            "test MAPE 95 % interval": f"{100 * entry['mape_ci_low']:.2f}–{100 * entry['mape_ci_high']:.2f}",
            "test median APE (%)": 100 * entry["median_ape"],
            "test MAE (EUR)": entry["mae"],
            "test R²": entry["r2"],
            "test R² 95 % interval": f"{entry['r2_ci_low']:.3f}–{entry['r2_ci_high']:.3f}",
        }
        for name, entry in scores.items()
    }
    return pd.DataFrame(rows).T


def _history_table(summary: dict) -> pd.DataFrame:
    rows = [
        {"family": family, "candidate": item["candidate"], "validation MAPE (%)": 100 * item["mape"], "R²": item["r2"]}
        for family, info in summary["models"].items()
        for item in info["history"]
    ]
    return pd.DataFrame(rows).set_index(["family", "candidate"])


def _derived_text(summary: dict) -> str:
    """The boosted model's derived inputs, as the training summary records them."""
    derived = summary["models"].get("xgboost", {}).get("params", {}).get("features", [])
    if not derived:
        return ""
    return (
        f" and derived inputs computed from the training rows only ({', '.join(derived)}; target encodings "
        "cross-fitted on the training rows)"
        if "target_encoding" in derived
        else f" and derived inputs computed from the training rows only ({', '.join(derived)})"
    )


def _percent_columns(table: pd.DataFrame) -> pd.DataFrame:
    return table.rename(columns=lambda c: c.replace("_mape", " MAPE (%)").replace("_mae", " MAE (EUR)"))


def write_report(
    metrics: dict,
    summary: dict,
    data: dict,
    tables: dict[str, pd.DataFrame],
    tail_text: str,
    curves: pd.DataFrame,
    figures: dict[str, Figure],
    targets: dict[str, float],
    depreciation_age: int,
) -> None:
    scores, best = metrics["test"], metrics["best_model"]
    rows = data["rows"]
    dropped = pd.DataFrame({"rows dropped": data["dropped"]})
    protocol = [
        f"{rows['read']:,} listings read; the outlier rule (params.yaml `cars.clean`) dropped "
        f"{rows['dropped_by_rule']:,} (table below, each row counted under its first reason), then "
        f"{rows['exact_duplicates']:,} exact duplicate rows were removed before any split, leaving "
        f"{rows['used']:,}.",
        f"Split once, seeded, by listing group (listings whose every model input is identical stay on one "
        f"side: {data['repeated_listings']:,} such repeats): {rows['train']:,} train, {rows['validation']:,} "
        f"validation, {rows['test']:,} test. Every model is fitted on the training split; hyper-parameters, the "
        "family kept and the price interval are chosen on validation; the test split is scored once, here.",
        "Models: the expert rule (reference new price per make/model from the training split's youngest cars, "
        "then the client's yearly depreciation), ridge regression of log price, XGBoost on log price with "
        f"monotone constraints on age and mileage{_derived_text(summary)}. Predictions of log-price models are "
        "exp(predicted log): a median-type estimate, which suits a percentage error.",
    ]
    results = [
        comparison_text(scores, best, metrics["baseline"]),
        target_verdict("mape", scores[best]["mape"], targets["mape"], lower_is_better=True),
        target_verdict("r2", scores[best]["r2"], targets["r2"], lower_is_better=False),
        interval_text(metrics["interval"]["coverage"], metrics["interval"]["test_coverage"]),
        tail_text,
    ]
    errors = [worst_group_text(table, best, what) for what, table in tables.items()]
    sections = [
        Section(
            "Data, cleaning and split",
            protocol,
            tables=[("Rows dropped by the outlier rule", dropped)],
            figures=[figures["exploration"]],
        ),
        Section(
            "Results on the test split",
            results,
            tables=[
                ("Every model (validation chose; test reports)", _scores_table(scores, metrics["validation"])),
                ("Every candidate on the validation split", _history_table(summary)),
            ],
            figures=[figures["predicted"]],
        ),
        Section(
            "Errors by price range, age and make",
            errors,
            tables=[(f"By {what}", _percent_columns(table)) for what, table in tables.items()],
            figures=[figures["errors"]],
        ),
        Section(
            "Depreciation learnt from the data against the expert rule",
            [depreciation_text(curves, depreciation_age)],
            tables=[("Share of the age-0 price kept", curves.set_index("age"))],
            figures=[figures["depreciation"]],
        ),
        Section(
            "Partial dependence: year, mileage, power",
            [
                "How the chosen model's price moves with one field, the others as listed (averaged over sampled "
                "test listings). The year and mileage curves are monotone by construction (constraints)."
            ],
            figures=[figures["partial_dependence"]],
        ),
    ]
    provenance = {
        "data source": data["description"],
        "kind": data["kind"],
        "rows": f"{rows['used']:,} ({rows['train']:,} train / {rows['validation']:,} validation / "
        f"{rows['test']:,} test)",
        "sha256": data["sha256"],
        "terms": "Kaggle data set ander289386/cars-germany (AutoScout24 listings); licence as stated on Kaggle",
    }
    render_report(EVALUATION_REPORT, "Used-car pricing — model evaluation", provenance, sections)
