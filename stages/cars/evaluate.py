"""Stage `cars_evaluate`: every model family on the test split (scored once), errors by price range, age and
make, the depreciation curve the chosen model learnt against the expert rule, partial dependence for year,
mileage and power; writes the metrics contract and the HTML report."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd

from pipelines.cars.data import read_split
from pipelines.cars.evaluation import (
    actual_prices,
    age_bands,
    depreciation_curves,
    error_tail_text,
    errors_by_group,
    feature_grid,
    make_groups,
    partial_dependence,
    price_bands,
    test_scores,
)
from pipelines.cars.models import ages
from pipelines.cars.paths import (
    CANDIDATES,
    DATA_SUMMARY,
    DEPRECIATION_CURVE,
    ERRORS_BY_GROUP,
    METRICS,
    TEST,
    TEST_PREDICTIONS,
    TRAIN,
    TRAIN_SUMMARY,
)
from pipelines.cars.paths import EVALUATION_FIGURES as FIGURES
from pipelines.cars.plots import (
    plot_depreciation,
    plot_errors_by_group,
    plot_exploration,
    plot_partial_dependence,
    plot_predicted_vs_actual,
)
from pipelines.cars.report import write_report
from pipelines.cars.schema import FEATURES
from pipelines.common.io import read_json, write_csv, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.stage import run_stage

log = get_logger("cars.evaluate")
DEPRECIATION_AGE = 3  # the age the report's depreciation sentence reads the curves at


def main() -> None:
    cars = load_params("cars")
    evaluation = cars.section("evaluation")
    expert = cars.section("train").section("expert")
    seed = evaluation.integer("seed")
    targets = {name: float(value) for name, value in evaluation.get("targets", type_=dict).items()}
    data, summary = read_json(DATA_SUMMARY), read_json(TRAIN_SUMMARY)
    listing_year, best = summary["listing_year"], summary["best_model"]
    train, test = read_split(TRAIN), read_split(TEST)
    models = {name: joblib.load(CANDIDATES / f"{name}.joblib") for name in summary["models"]}
    y = actual_prices(test)
    predictions = {name: model.predict(test[list(FEATURES)]) for name, model in models.items()}
    scores = test_scores(y, predictions, evaluation.integer("bootstrap", minimum=100), seed)
    low, high = summary["models"][best]["interval_log_residuals"]
    inside = (y >= predictions[best] * np.exp(low)) & (y <= predictions[best] * np.exp(high))

    metrics = {
        "data": {
            "source": data["source"],
            "kind": data["kind"],
            "description": data["description"],
            "rows": data["rows"]["used"],
            "rows_read": data["rows"]["read"],
            "rows_dropped_by_rule": data["rows"]["dropped_by_rule"],
            "rows_exact_duplicates": data["rows"]["exact_duplicates"],
            "rows_train": data["rows"]["train"],
            "rows_validation": data["rows"]["validation"],
            "rows_test": data["rows"]["test"],
            "sha256": data["sha256"],
        },
        "test": scores,
        "validation": {name: info["validation"] for name, info in summary["models"].items()},
        "best_model": best,
        "baseline": "expert",
        "selection": f"lowest validation {summary['select_by']}",
        "targets": targets,
        "interval": {"coverage": summary["interval_coverage"], "test_coverage": float(inside.mean())},
    }
    write_json(METRICS, metrics)
    write_csv(
        TEST_PREDICTIONS,
        test.reset_index(drop=True).assign(**{f"predicted_{name}": p for name, p in predictions.items()}),
        index=False,
        float_format="%.2f",
    )

    test = test.reset_index(drop=True)
    groups = {
        "price range": price_bands(test["price"], evaluation.get("price_bands", type_=list)),
        "age": age_bands(ages(test["year"], listing_year), evaluation.get("age_bins", type_=list)),
        "make": make_groups(test["make"], train["make"], evaluation.integer("top_makes", minimum=1)),
    }
    tables = {what: errors_by_group(y, predictions, labels).round(2) for what, labels in groups.items()}
    write_csv(
        ERRORS_BY_GROUP,
        pd.concat({what: table for what, table in tables.items()}, names=["by", "group"]),
    )
    sample = test.sample(min(len(test), evaluation.integer("pd_sample", minimum=10)), random_state=seed)
    curves = depreciation_curves(
        models[best],
        sample,
        train,
        listing_year,
        [float(rate) for rate in expert.get("rates", type_=list)],
        expert.number("tail_rate"),
    ).round(4)
    write_csv(DEPRECIATION_CURVE, curves, index=False)
    points = evaluation.integer("pd_points", minimum=3)
    dependence = {}
    for feature in ("year", "mileage", "hp"):
        values = feature_grid(train, feature, points)
        dependence[feature] = pd.DataFrame(
            {"value": values, "price": partial_dependence(models[best], sample, feature, values)}
        )

    source = f"Data: {data['description']} ({data['kind']}); test split of {len(test):,} listings"
    FIGURES.mkdir(parents=True, exist_ok=True)
    figures = {
        "exploration": plot_exploration(train, listing_year, FIGURES / "exploration.png", source),
        "predicted": plot_predicted_vs_actual(y, predictions[best], best, FIGURES / "predicted_vs_actual.png", source),
        "errors": plot_errors_by_group(tables, list(predictions), FIGURES / "errors_by_group.png", source),
        "depreciation": plot_depreciation(curves, best, FIGURES / "depreciation.png", source),
        "partial_dependence": plot_partial_dependence(dependence, best, FIGURES / "partial_dependence.png", source),
    }
    tail = error_tail_text(y, predictions[best], best)
    write_report(metrics, summary, data, tables, tail, curves, figures, targets, DEPRECIATION_AGE)
    log.info(
        "%s on test: MAPE %.2f %% (target %.0f %%), R² %.3f (target %.2f); expert rule MAPE %.2f %%",
        best,
        100 * scores[best]["mape"],
        100 * targets["mape"],
        scores[best]["r2"],
        targets["r2"],
        100 * scores["expert"]["mape"],
    )


if __name__ == "__main__":
    run_stage(main, "cars.evaluate")
