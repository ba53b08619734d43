"""Stage `freelance_evaluate`: every model on the held-out test split, the client's table beside ours, the
targets checked, and the metrics contract.

The served pair is chosen on the CV folds only (lowest CV MAE among the price models, highest CV accuracy
among the band models, baselines excluded); the test split then says how well the choice holds, it never
makes it. The Keras model is scored per seed (mean ± std); it is reported, not served (the API image has no
TensorFlow).
"""

from __future__ import annotations

from pipelines.common.io import read_json, write_csv, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.stage import run_stage
from pipelines.freelance.evaluation import add_baseline_and_chosen, choose, metrics_contract, score_keras, score_sklearn
from pipelines.freelance.paths import (
    CANDIDATES,
    KERAS_DIR,
    KERAS_SUMMARY,
    METRICS,
    PREPARE_SUMMARY,
    PROTOCOLS,
    TEST,
    TEST_PREDICTIONS,
    TRAIN_SUMMARY,
)
from pipelines.freelance.report import BASELINE, CHOSEN, KERAS, write_report
from pipelines.freelance.split import read_split
from pipelines.freelance.text import leak_target_text, target_verdicts

log = get_logger("freelance.evaluate")


def main() -> None:
    evaluation = load_params("freelance").section("evaluation")
    targets = {
        "band_accuracy": evaluation.section("targets").number("band_accuracy", minimum=0, maximum=1),
        "mae_vs_baseline": evaluation.section("targets").number("mae_vs_baseline", minimum=0),
    }
    client = evaluation.get("client", type_=dict)
    summary, keras_summary, prepared = read_json(TRAIN_SUMMARY), read_json(KERAS_SUMMARY), read_json(PREPARE_SUMMARY)
    test, edges = read_split(TEST)
    scores, predictions = score_sklearn(test, edges, summary, CANDIDATES)
    scores[KERAS], predictions[f"price_{KERAS}"], predictions[f"band_{KERAS}"] = score_keras(
        test, keras_summary, KERAS_DIR
    )
    price_model, band_model = choose(summary)
    add_baseline_and_chosen(scores, predictions, summary, price_model, band_model)
    metrics = metrics_contract(scores, prepared, summary, (price_model, band_model), targets, client)
    write_json(METRICS, metrics)
    write_csv(TEST_PREDICTIONS, predictions, index=False, float_format="%.5f")
    protocols = read_json(PROTOCOLS)
    verdicts = [*target_verdicts(scores, CHOSEN, BASELINE, targets, len(test)), leak_target_text(protocols, targets)]
    write_report(metrics, summary, keras_summary, prepared, protocols, predictions, verdicts, price_model, band_model)
    log.info(
        "chosen %s + %s: test MAE %.3f (median baseline %.3f), band accuracy %.4f (majority %.4f)",
        price_model,
        band_model,
        scores[CHOSEN]["mae"],
        scores[BASELINE]["mae"],
        scores[CHOSEN]["band_accuracy"],
        scores[BASELINE]["band_accuracy"],
    )


if __name__ == "__main__":
    run_stage(main, "freelance.evaluate")
