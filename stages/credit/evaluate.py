"""Stage `credit_evaluate`: every model on the held-out test split, at the threshold chosen on its
out-of-fold training predictions; AUC and business cost with bootstrap intervals, the overfitting
and leakage check, the cost curves, and the choice of the model to register.

The best model is chosen on training information only (lowest out-of-fold business cost); the test
split then says how well that choice holds, it never makes it.
"""

from __future__ import annotations

import joblib
import pandas as pd

from pipelines.common.io import read_json, write_csv, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params, parse_section
from pipelines.common.stage import run_stage
from pipelines.credit.cost import cost_weights
from pipelines.credit.data import features_and_target, read_frame, read_summary
from pipelines.credit.evaluation import choose_best, metrics_contract, roc_curves, roc_table, score_models
from pipelines.credit.paths import (
    CANDIDATES,
    COST_CURVE,
    METRICS,
    OOF_PREDICTIONS,
    ROC_CURVE,
    TEST,
    TEST_PREDICTIONS,
    TRAIN_SUMMARY,
)
from pipelines.credit.plots import (
    plot_comparison,
    plot_confusion,
    plot_cost_curves,
    plot_imbalance,
    plot_overfitting,
    plot_reliability,
    plot_roc,
)
from pipelines.credit.report import write_report
from pipelines.credit.schema import ID, TARGET
from pipelines.credit.settings import CalibrationParams, EvaluationParams, TrainParams

log = get_logger("credit.evaluate")


def main() -> None:
    credit = load_params("credit")
    evaluation = parse_section(EvaluationParams, credit.get("evaluation"), credit.name("evaluation"))
    weights, steps = cost_weights(credit)

    summary = read_json(TRAIN_SUMMARY)
    models = summary["models"]
    data = read_summary()
    test_frame = read_frame(TEST)
    X_test, y_test = features_and_target(test_frame)
    bins = parse_section(CalibrationParams, credit.get("calibration"), credit.name("calibration")).bins
    test_proba, test_scores = {}, {}
    for name in models:
        pipeline = joblib.load(CANDIDATES / f"{name}.joblib")
        test_proba[name] = pipeline.predict_proba(X_test)[:, 1]
        test_scores[name] = pipeline[-1].raw_score(pipeline[:-1].transform(X_test))
    scores = score_models(
        models,
        test_proba,
        y_test,
        weights,
        steps,
        evaluation.bootstrap,
        evaluation.seed,
        evaluation.leakage_auc,
        test_scores=test_scores,
        bins=bins,
    )
    best = choose_best(models, evaluation.select_by)
    flagged = [name for name, entry in scores.items() if entry["leakage_flag"]]
    for name in flagged:
        log.warning(
            "%s: test AUC %.3f above %.2f: probable leakage, check the features",
            name,
            scores[name]["auc"],
            evaluation.leakage_auc,
        )
    log.info(
        "best model %s: test AUC %.4f [%.4f, %.4f], cost %.4f (dummy %.4f)",
        best,
        scores[best]["auc"],
        scores[best]["auc_ci_low"],
        scores[best]["auc_ci_high"],
        scores[best]["business_cost"],
        scores["dummy"]["business_cost"],
    )

    predictions = pd.DataFrame({ID: X_test[ID].to_numpy(), TARGET: y_test} | test_proba)
    write_csv(TEST_PREDICTIONS, predictions, index=False, float_format="%.6f")
    metrics = metrics_contract(
        data,
        scores,
        best,
        evaluation.select_by,
        weights,
        evaluation.leakage_auc,
        summary["cv_folds"],
        evaluation.bootstrap,
    )
    write_json(METRICS, metrics)

    source = f"Data: {data['description']} ({data['kind']}); test split of {len(y_test):,} clients"
    oof = pd.read_csv(OOF_PREDICTIONS)
    cost_figure, curves = plot_cost_curves(oof, predictions, models, best, weights, steps, source)
    write_csv(COST_CURVE, curves.round(5), index=False)
    roc = roc_curves(predictions, list(scores))
    write_csv(ROC_CURVE, roc_table(roc).round(5), index=False)
    imbalance = pd.DataFrame(summary["imbalance"])
    figures = {
        "cost": cost_figure,
        "roc": plot_roc(roc, scores, source),
        "comparison": plot_comparison(scores, source),
        "overfitting": plot_overfitting(scores, evaluation.leakage_auc, source),
        "imbalance": plot_imbalance(imbalance, source),
        "confusion": plot_confusion(scores, best, source),
        "reliability": plot_reliability(y_test, test_proba[best], test_scores[best], best, bins, source),
    }
    search = parse_section(TrainParams, credit.get("train"), credit.name("train")).model_dump()["search"]
    write_report(metrics, summary, data, imbalance, figures, search, evaluation.ece_target)


if __name__ == "__main__":
    run_stage(main, "credit.evaluate")
