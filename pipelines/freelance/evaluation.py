"""Scoring every freelance model on the test split, choosing the served pair on the CV folds, and the
metrics contract (`reports/freelance/metrics.json`)."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from pipelines.common import selection
from pipelines.common.seeds import spread
from pipelines.freelance.features import feature_frame
from pipelines.freelance.models import DUMMY_CLASSIFIER, DUMMY_REGRESSOR, band_probabilities
from pipelines.freelance.report import BASELINE, CHOSEN
from pipelines.freelance.split import assign_bands
from pipelines.freelance.text import band_accuracy, price_metrics
from pipelines.freelance.two_head import predict_two_head


def choose(summary: dict) -> tuple[str, str]:
    """The served price and band models: best CV score, baselines excluded (training folds only)."""
    price = selection.choose(
        (n for n in summary["price"] if n != DUMMY_REGRESSOR),
        lambda n: summary["price"][n]["cv_mean"],
        split="cross-validation",
        higher_is_better=False,
        what="price model",
    )
    band = selection.choose(
        (n for n in summary["band"] if n != DUMMY_CLASSIFIER),
        lambda n: summary["band"][n]["cv_mean"],
        split="cross-validation",
        higher_is_better=True,
        what="band model",
    )
    return price, band


def score_sklearn(
    test: pd.DataFrame, edges: tuple[float, float], summary: dict, candidates: Path
) -> tuple[dict, pd.DataFrame]:
    """Test metrics of every scikit-learn candidate (with its CV score) and the predictions per model."""
    X, price, band = feature_frame(test), test["price"].to_numpy(), test["band"].to_numpy()
    predictions = pd.DataFrame({"row": test["row"].to_numpy(), "price": price, "band": band})
    scores: dict[str, dict] = {}
    for name, info in summary["price"].items():
        predicted = joblib.load(candidates / f"price_{name}.joblib").predict(X)
        predictions[f"price_{name}"] = predicted
        scores[name] = price_metrics(price, predicted) | {
            "band_accuracy": band_accuracy(band, assign_bands(predicted, edges)),
            "mae_cv": info["cv_mean"],
            "mae_cv_std": info["cv_std"],
        }
    for name, info in summary["band"].items():
        predicted = band_probabilities(joblib.load(candidates / f"band_{name}.joblib"), X).argmax(axis=1)
        predictions[f"band_{name}"] = predicted
        scores[f"bands_{name}"] = {
            "band_accuracy": band_accuracy(band, predicted),
            "band_macro_f1": float(f1_score(band, predicted, average="macro")),
            "band_accuracy_cv": info["cv_mean"],
            "band_accuracy_cv_std": info["cv_std"],
        }
    return scores, predictions


def score_keras(test: pd.DataFrame, keras_summary: dict, keras_dir: Path) -> tuple[dict, np.ndarray, np.ndarray]:
    """The two-head model's test metrics over its seeds (mean and std), and the first seed's predictions."""
    import keras

    price, band = test["price"].to_numpy(), test["band"].to_numpy()
    runs, first = [], None
    for seed in keras_summary["seeds"]:
        encoder = joblib.load(keras_dir / f"encoder_{seed}.joblib")
        model = keras.saving.load_model(keras_dir / f"model_{seed}.keras")
        predicted, proba = predict_two_head(encoder, model, test)
        runs.append(price_metrics(price, predicted) | {"band_accuracy": band_accuracy(band, proba.argmax(axis=1))})
        first = first or (predicted, proba.argmax(axis=1))
    entry: dict = {"seeds": len(runs)}
    for metric in ("mae", "rmse", "r2", "band_accuracy"):
        values = spread([run[metric] for run in runs], digits=6)
        entry[metric], entry[f"{metric}_std"] = values["mean"], values["std"]
    cv = keras_summary["cv"]
    entry |= {"mae_cv": cv["mae_cv"], "mae_cv_std": cv["mae_cv_std"], "band_accuracy_cv": cv["band_accuracy_cv"]}
    return entry, first[0], first[1]


def add_baseline_and_chosen(
    scores: dict, predictions: pd.DataFrame, summary: dict, price_model: str, band_model: str
) -> None:
    """The `dummy` entry (median price + majority band) and the `chosen` entry (the served pair)."""
    price_keys = ("mae", "rmse", "r2", "mae_cv", "mae_cv_std")
    dummy_bands = scores[f"bands_{DUMMY_CLASSIFIER}"]
    scores[BASELINE] = {key: scores[DUMMY_REGRESSOR][key] for key in price_keys} | {
        "band_accuracy": dummy_bands["band_accuracy"],
        "band_macro_f1": dummy_bands["band_macro_f1"],
        "band_accuracy_cv": dummy_bands["band_accuracy_cv"],
    }
    half = summary["price"][price_model]["interval_half_width"]
    errors = np.abs(predictions[f"price_{price_model}"].to_numpy() - predictions["price"].to_numpy())
    scores[CHOSEN] = {key: scores[price_model][key] for key in price_keys} | {
        "band_accuracy": scores[f"bands_{band_model}"]["band_accuracy"],
        "band_macro_f1": scores[f"bands_{band_model}"]["band_macro_f1"],
        "band_accuracy_cv": scores[f"bands_{band_model}"]["band_accuracy_cv"],
        "mae_vs_baseline": scores[price_model]["mae"] / scores[DUMMY_REGRESSOR]["mae"],
        "interval_coverage": float(np.mean(errors <= half)),
    }


def metrics_contract(scores: dict, prepared: dict, summary: dict, chosen: tuple[str, str], targets: dict, client: dict):
    entry = scores[CHOSEN]
    return {
        "data": {
            "source": prepared["source"],
            "kind": prepared["kind"],
            "description": prepared["description"],
            "rows": prepared["rows"]["read"],
            "rows_train": prepared["rows"]["train"],
            "rows_test": prepared["rows"]["test"],
            "sha256": prepared["sha256"],
            "unit": prepared["unit"],
        },
        "test": scores,
        "best_model": CHOSEN,
        "chosen": {"price_model": chosen[0], "band_model": chosen[1]},
        "selection": "lowest CV MAE (price) and highest CV accuracy (band) on the training folds",
        "cv_folds": summary["cv_folds"],
        "targets": {
            "band_accuracy": {"target": targets["band_accuracy"], "value": entry["band_accuracy"]},
            "mae_vs_baseline": {"target": targets["mae_vs_baseline"], "value": entry["mae_vs_baseline"]},
        },
        "targets_met": {
            "band_accuracy": entry["band_accuracy"] >= targets["band_accuracy"],
            "mae_vs_baseline": entry["mae_vs_baseline"] <= targets["mae_vs_baseline"],
        },
        "client": client,
    }
