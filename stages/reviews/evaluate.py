"""Stage: score every model on the test split, compare them, choose the best on validation, register it.

Writes the metrics contract (reports/reviews/metrics.json), the comparison table (comparison.csv, one
column group per data set), the training curves and best confusion matrix that `dvc plots` draws, an
HTML report, and the chosen model with its card (models/reviews/sentiment_model/).
"""

from __future__ import annotations

import shutil
from typing import Any

import numpy as np
import pandas as pd

from pipelines.common.io import read_json, write_csv, write_json, write_training_curves
from pipelines.common.logs import get_logger
from pipelines.common.provenance import library_versions
from pipelines.common.seeds import compare, mean_std, ranking
from pipelines.common.selection import choose
from pipelines.common.stage import run_stage
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report
from pipelines.reviews.paths import (
    BASELINE_MODEL,
    BASELINE_PREDICTIONS,
    BASELINE_SUMMARY,
    COMPARISON,
    CONFUSION,
    CURVES,
    EMBEDDINGS_SUMMARY,
    EVALUATION_FIGURES,
    EVALUATION_REPORT,
    INTERIM_SOURCE,
    LSTM_MODEL,
    LSTM_PREDICTIONS,
    LSTM_SUMMARY,
    LSTM_VOCABULARY,
    METRICS,
    MODEL_CARD,
    PREPROCESSING_SUMMARY,
    SENTIMENT_MODEL,
)
from pipelines.reviews.predictions import classification_metrics, read_predictions, selection_key

log = get_logger("reviews.evaluate")
# Published test accuracies on the full Allociné data (160k training reviews), Blard 2020.
FULL_TRAIN_ROWS = 160_000
ANCHORS = {
    "TF-IDF + logistic regression (full data)": 0.944,
    "LSTM with frWac vectors (full data)": 0.947,
    "CamemBERT fine-tuned (full data)": 0.974,
}
FAMILY_COLOURS = {"bow": "tab:blue", "tfidf": "tab:orange", "lstm": "tab:green"}


def family(model: str) -> str:
    if "lstm" in model:
        return "lstm"
    return "bow" if model.startswith("bow") else "tfidf"


def score_all(predictions: pd.DataFrame) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """{dataset: {split: {model: metrics}}}."""
    scores: dict = {}
    for (dataset, split, model), group in predictions.groupby(["dataset", "split", "model"], sort=False):
        scores.setdefault(dataset, {}).setdefault(split, {})[model] = classification_metrics(
            group["polarity"], group["predicted"], group["score"]
        )
    return scores


SELECTION = (
    "the better of the best bag-of-words/TF-IDF model and the best LSTM variant (each chosen on validation by "
    "its training stage) on validation accuracy (mean over the seeds for the LSTM), then validation ROC AUC; a "
    "full tie goes to the simpler baseline"
)
CONTRACT_KEYS = ("accuracy", "std", "seeds", "roc_auc", "f1")


def choose_best(validation: dict[str, dict[str, float]], best_baseline: str, best_lstm: str) -> str:
    """The better of the two families' best on validation accuracy, then validation ROC AUC; a full tie goes to
    the simpler baseline (listed first). The test split plays no part."""
    return choose(
        (best_baseline, best_lstm),
        lambda model: selection_key(validation[model]),
        split="validation",
        higher_is_better=True,
    )


def contract(scores: dict[str, dict[str, float]], lstm_variants: dict[str, dict], split: str) -> dict[str, dict]:
    """The metrics contract's `validation` or `test` entry, one shape for every model: accuracy, its standard
    deviation over the seeds `std`, `seeds`, ROC AUC and F1. LSTM variants: means over their seeds (from the
    training stage); baselines are deterministic (one run, std 0)."""
    entries = {}
    for model, metrics in scores.items():
        if model in lstm_variants:
            entries[model] = {key: lstm_variants[model][split][key] for key in CONTRACT_KEYS}
        else:
            entries[model] = {**{key: metrics[key] for key in ("accuracy", "roc_auc", "f1")}, "std": 0.0, "seeds": 1}
            entries[model] = {key: entries[model][key] for key in CONTRACT_KEYS}
    return entries


def comparison_table(contracts: dict, datasets: list[str]) -> pd.DataFrame:
    """Per model and data set: validation and test accuracy (means over the seeds) with their std, test F1."""
    models = list(contracts[datasets[0]]["test"])
    rows = []
    for model in models:
        row: dict[str, Any] = {"model": model, "family": family(model)}
        for dataset in datasets:
            validation = contracts[dataset]["validation"].get(model, {})
            test = contracts[dataset]["test"].get(model, {})
            row[f"{dataset}_seeds"] = test.get("seeds", np.nan)
            row[f"{dataset}_validation_accuracy"] = validation.get("accuracy", np.nan)
            row[f"{dataset}_validation_std"] = validation.get("std", np.nan)
            row[f"{dataset}_test_accuracy"] = test.get("accuracy", np.nan)
            row[f"{dataset}_test_std"] = test.get("std", np.nan)
            row[f"{dataset}_test_f1"] = test.get("f1", np.nan)
        rows.append(row)
    return pd.DataFrame(rows).sort_values(f"{datasets[0]}_validation_accuracy", ascending=False)


def plot_comparison(table: pd.DataFrame, datasets: list[str], best: str, source: str, train_rows: dict) -> Figure:
    ordered = table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(ordered) + 2))
    height = 0.8 / len(datasets)
    positions = np.arange(len(ordered))
    for offset, dataset in enumerate(datasets):
        values = ordered[f"{dataset}_test_accuracy"] * 100
        bars = ax.barh(
            positions + offset * height,
            values,
            xerr=ordered[f"{dataset}_test_std"] * 100,
            height=height,
            label=f"{dataset} (test)",
            alpha=0.9,
        )
        ax.bar_label(bars, fmt="%.1f", padding=2, fontsize=7)
    for (label, value), style in zip(ANCHORS.items(), ("--", "-.", ":"), strict=True):
        ax.axvline(value * 100, color="black", ls=style, lw=1, label=f"{label}: {value * 100:.1f} %")
    ax.set_yticks(
        positions + height * (len(datasets) - 1) / 2, [m + ("  ★" if m == best else "") for m in ordered["model"]]
    )
    low = float(np.nanmin(table[[f"{d}_test_accuracy" for d in datasets]].to_numpy())) * 100
    ax.set_xlim(max(0.0, low - 5), 100)
    ax.set(
        title="Test accuracy of every model (★ = chosen on validation)",
        xlabel="test accuracy (%) — small offline splits; the vertical lines are full-data results",
        ylabel="model (sorted by validation accuracy)",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=True, fontsize=8)
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / "model_comparison.png", source, tight_layout=True),
        "Test accuracy per model and data set (LSTMs: mean over the seeds, error bar one standard deviation). "
        f"The anchors were obtained with {FULL_TRAIN_ROWS:,} training reviews; the models here saw "
        + ", ".join(f"{rows:,} ({name})" for name, rows in train_rows.items())
        + ".",
    )


def plot_confusions(predictions: pd.DataFrame, dataset: str, models: list[str], source: str, name: str) -> Figure:
    columns = min(4, len(models))
    rows = int(np.ceil(len(models) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.1 * columns, 3.0 * rows), squeeze=False)
    for ax, model in zip(axes.flat, models, strict=False):
        group = predictions[(predictions["dataset"] == dataset) & (predictions["model"] == model)]
        matrix = pd.crosstab(group["polarity"], group["predicted"]).reindex(index=[0, 1], columns=[0, 1], fill_value=0)
        ax.imshow(matrix.to_numpy(), cmap="Blues")
        for (i, j), value in np.ndenumerate(matrix.to_numpy()):
            colour = "white" if value > matrix.to_numpy().max() / 2 else "black"
            ax.text(j, i, f"{value}", ha="center", va="center", fontsize=10, color=colour)
        ax.set_xticks([0, 1], ["neg", "pos"])
        ax.set_yticks([0, 1], ["neg", "pos"])
        ax.grid(False)
        ax.set_title(model, fontsize=9)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
    for ax in list(axes.flat)[len(models) :]:
        ax.axis("off")
    fig.suptitle(f"Confusion matrices on the {dataset} test split", fontweight="bold")
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / f"confusion_{name}.png", source, tight_layout=True),
        f"Rows: true label, columns: predicted label ({dataset} test split, counts).",
    )


def plot_curves(lstm_summary: dict, source: str) -> Figure:
    datasets = list(lstm_summary["datasets"])
    fig, axes = plt.subplots(2, len(datasets), figsize=(6 * len(datasets), 7), squeeze=False)
    for column, dataset in enumerate(datasets):
        for name, variant in lstm_summary["datasets"][dataset]["variants"].items():
            history = variant["history"]
            epochs = np.arange(1, len(history["loss"]) + 1)
            (line,) = axes[0, column].plot(epochs, history["val_loss"], marker="o", label=f"{name} (validation)")
            axes[0, column].plot(epochs, history["loss"], ls=":", color=line.get_color(), label=f"{name} (train)")
            axes[1, column].plot(
                epochs, np.asarray(history["val_accuracy"]) * 100, marker="o", color=line.get_color(), label=name
            )
            axes[1, column].plot(epochs, np.asarray(history["accuracy"]) * 100, ls=":", color=line.get_color())
        axes[0, column].set(title=f"{dataset}: loss (dotted = train)", xlabel="epoch", ylabel="binary cross-entropy")
        axes[1, column].set(title=f"{dataset}: accuracy (dotted = train)", xlabel="epoch", ylabel="accuracy (%)")
        axes[1, column].legend(fontsize=7)
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / "training_curves.png", source, tight_layout=True),
        "LSTM training curves: solid lines are the validation split (early stopping watches its loss), "
        "dotted lines the training split. The weights of the best validation epoch are kept.",
    )


def write_curves(lstm_summary: dict, primary: str) -> None:
    """Per-epoch training and validation loss/accuracy of each LSTM variant on the primary data set."""
    variants = lstm_summary["datasets"][primary]["variants"]
    write_training_curves(CURVES, {name: variant["history"] for name, variant in variants.items()})


def register(best: str, primary: str, card: dict) -> None:
    """Copy the chosen model into models/reviews/sentiment_model/ (the registry's artefact) with its card."""
    if SENTIMENT_MODEL.exists():
        shutil.rmtree(SENTIMENT_MODEL)
    SENTIMENT_MODEL.mkdir(parents=True)
    if family(best) == "lstm":
        shutil.copy(LSTM_MODEL, SENTIMENT_MODEL / "model.keras")
        shutil.copy(LSTM_VOCABULARY, SENTIMENT_MODEL / "vocabulary.json")
    else:
        shutil.copy(BASELINE_MODEL, SENTIMENT_MODEL / "model.joblib")
    write_json(SENTIMENT_MODEL / "model_card.json", card)
    write_json(MODEL_CARD, card)


def main() -> None:
    source = read_json(INTERIM_SOURCE)
    primary, datasets = source["primary"], list(source["datasets"])
    baselines, lstm = read_json(BASELINE_SUMMARY), read_json(LSTM_SUMMARY)
    embeddings = read_json(EMBEDDINGS_SUMMARY)
    predictions = pd.concat(
        [read_predictions(BASELINE_PREDICTIONS), read_predictions(LSTM_PREDICTIONS)], ignore_index=True
    )
    scores = score_all(predictions)
    contracts = {
        dataset: {
            split: contract(scores[dataset][split], lstm["datasets"][dataset]["variants"], split)
            for split in ("validation", "test")
        }
        for dataset in datasets
    }
    best_by_dataset = {
        dataset: choose_best(contracts[dataset]["validation"], baselines["best"][dataset], lstm["best"][dataset])
        for dataset in datasets
    }
    best, best_baseline, best_lstm = best_by_dataset[primary], baselines["best"][primary], lstm["best"][primary]
    table = comparison_table(contracts, datasets)
    test = scores[primary]["test"]
    info = source["datasets"][primary]

    metrics = {
        "data": {
            "source": info["description"],
            "kind": info["kind"],
            "rows": sum(info["rows"].values()),
            "splits": info["rows"],
            "licence": info["licence"],
            "datasets": {name: {"kind": d["kind"], "rows": d["rows"]} for name, d in source["datasets"].items()},
        },
        "test": contracts[primary]["test"],
        "validation": contracts[primary]["validation"],
        "best_model": best,
        "selection": SELECTION + " (primary data set)",
        "best_model_test_accuracy": contracts[primary]["test"][best]["accuracy"],
        "anchors_full_data_test_accuracy": {
            "tfidf_logreg": 0.944,
            "lstm_frwac": 0.947,
            "camembert": 0.974,
        },
        "datasets": {
            dataset: {
                "best_model": best_by_dataset[dataset],
                "validation": contracts[dataset]["validation"],
                "test": contracts[dataset]["test"],
            }
            for dataset in datasets
            if dataset != primary
        },
    }
    write_json(METRICS, metrics)
    write_csv(COMPARISON, table, index=False, float_format="%.4f")
    write_curves(lstm, primary)
    best_rows = predictions[
        (predictions["dataset"] == primary) & (predictions["model"] == best) & (predictions["split"] == "test")
    ]
    write_csv(CONFUSION, best_rows[["polarity", "predicted"]].rename(columns={"polarity": "actual"}), index=False)

    card = {
        "name": "reviews-sentiment",
        "model": best,
        "family": family(best),
        "file": "model.keras" if family(best) == "lstm" else "model.joblib",
        "dataset": primary,
        "data": metrics["data"],
        "selection": metrics["selection"],
        "validation": contracts[primary]["validation"][best],
        "test": contracts[primary]["test"][best],
        "saved_run_test": test[best],
        "configuration": lstm["datasets"][primary]["variants"][best]["variant"]
        if family(best) == "lstm"
        else baselines["datasets"][primary][best],
        "preprocessing": {key: read_json(PREPROCESSING_SUMMARY)[key] for key in ("keep_negations", "negation_scope")},
        "library_versions": library_versions(("joblib", "keras", "tensorflow-cpu", "spacy")),
    }
    register(best, primary, card)

    data_line = "Data: " + "; ".join(f"{d['description']} ({d['kind']})" for d in source["datasets"].values())
    figures = {
        "comparison": plot_comparison(
            table, datasets, best, data_line, {d: source["datasets"][d]["rows"]["train"] for d in datasets}
        ),
        "confusion": plot_confusions(
            predictions[predictions["split"] == "test"],
            primary,
            list(test),
            f"Data: {info['description']} ({info['kind']})",
            primary,
        ),
        "curves": plot_curves(lstm, data_line),
    }
    for dataset in datasets[1:]:
        other = source["datasets"][dataset]
        figures[f"confusion_{dataset}"] = plot_confusions(
            predictions[predictions["split"] == "test"],
            dataset,
            list(scores[dataset]["test"]),
            f"Data: {other['description']} ({other['kind']})",
            dataset,
        )
    render(
        metrics=metrics,
        scores=scores,
        table=table,
        figures=figures,
        embeddings=embeddings,
        lstm=lstm,
        primary=primary,
        best=best,
        best_baseline=best_baseline,
        best_lstm=best_lstm,
    )
    log.info("best model on validation: %s (test accuracy %.3f)", best, test[best]["accuracy"])


def still_improving(lstm_info: dict) -> str:
    variants = lstm_info["variants"].values()
    last = [v for v in variants if v["best_epoch"] == v["epochs_run"] and not v["stopped_early"]]
    if not last:
        return "Every variant stopped early: more epochs would not have helped on validation."
    return (
        f"{len(last)} of {len(lstm_info['variants'])} variants had their best validation loss at the last allowed "
        f"epoch ({max(v['epochs_run'] for v in variants)}): the default run is cut by the time budget "
        "(reviews.lstm.max_epochs), so these LSTMs are under-trained; raise it for a longer run."
    )


def stat(entry: dict) -> dict:
    """{"mean", "std", "seeds"} of a contract entry's accuracy."""
    return {"mean": entry["accuracy"], "std": entry["std"], "seeds": entry["seeds"]}


def anchor_text(best_accuracy: float, train_rows: int) -> str:
    """How the chosen model stands against the full-data anchors, with the size ratio behind it."""
    ratio = FULL_TRAIN_ROWS / train_rows
    low, high = min(ANCHORS.values()), max(ANCHORS.values())
    size = f"{train_rows:,} training reviews instead of {FULL_TRAIN_ROWS:,} ({ratio:.0f} times fewer)"
    if best_accuracy < low:
        return (
            f"With {size}, the chosen model stays {(low - best_accuracy) * 100:.1f} points below the lowest "
            "full-data anchor: a bag of words still learns the strongest polarity words from so few reviews but "
            "not the rarer phrasings, and an LSTM, which has to learn word order from examples, suffers most. "
            "These numbers do not rank the methods as they would rank on the full data."
        )
    if best_accuracy <= high:
        return (
            f"With {size}, the chosen model is already within the range of the full-data anchors "
            f"({low * 100:.1f}–{high * 100:.1f} %): on these splits the small training set costs little."
        )
    return (
        f"With {size}, the chosen model scores above every full-data anchor ({high * 100:.1f} %): the offline "
        "test split is easier than the full one, so this does not show the method is better."
    )


def lstm_texts(test: dict, variants: dict) -> list[str]:
    """The LSTM variants compared on test accuracy (mean ± std over the seeds), ranked beyond the spread only."""
    entries = {name: stat(test[name]) for name in variants if name in test}
    if len(entries) < 2:
        return []
    texts = ["LSTM variants, test accuracy: " + ranking(entries)]
    settings = {name: v["variant"] for name, v in variants.items()}
    for left, right, what in (
        ("lstm_frozen", "lstm_finetuned", "Frozen against fine-tuned embeddings"),
        ("lstm_finetuned", "lstm_finetuned_rmsprop", "Adam against RMSprop"),
    ):
        if left in entries and right in entries and left in settings and right in settings:
            texts.append(f"{what}: " + compare(left, entries[left], right, entries[right]))
    return texts


def render(
    *,
    metrics: dict,
    scores: dict,
    table: pd.DataFrame,
    figures: dict[str, Figure],
    embeddings: dict,
    lstm: dict,
    primary: str,
    best: str,
    best_baseline: str,
    best_lstm: str,
) -> None:
    """evaluation.html, under the course's notebook headings; keyword-only, so ten results cannot be passed in
    the wrong order."""
    saved = scores[primary]["test"]
    test, validation = metrics["test"], metrics["validation"]
    best_stat, ci = stat(test[best]), saved[best]["accuracy_ci95"]
    anchors = "; ".join(f"{label} {value * 100:.1f} %" for label, value in ANCHORS.items())
    rows = metrics["data"]["splits"]
    lstm_info = lstm["datasets"][primary]
    coverage = embeddings["datasets"][primary]
    metric_table = pd.DataFrame(saved).T[
        ["accuracy", "accuracy_ci95", "precision", "recall", "f1", "roc_auc", "tn", "fp", "fn", "tp"]
    ]
    metric_table.insert(0, "validation accuracy", [validation[m]["accuracy"] for m in metric_table.index])
    metric_table = metric_table.sort_values("validation accuracy", ascending=False)
    display = table.set_index("model")
    seeds = max(entry["seeds"] for entry in test.values())
    sections = [
        Section(
            "Objective",
            [
                "Predict the polarity (positive or negative) of French reviews; compare bag-of-words and TF-IDF "
                "baselines with LSTMs over pretrained word vectors; choose one model on validation, register it "
                "for the API and explain its mistakes (error_analysis.html)."
            ],
        ),
        Section(
            "Data loading",
            [
                f"{metrics['data']['source']} ({metrics['data']['kind']}, {metrics['data']['licence']}): "
                f"{rows['train']:,} / {rows['validation']:,} / {rows['test']:,} reviews "
                "(train / validation / test); the second data set is listed in the provenance box.",
            ],
        ),
        Section(
            "Exploratory analysis",
            ["Review lengths, label balance, frequent words and negations: preprocessing.html."],
        ),
        Section(
            "Split into train/validation/test",
            [
                f"The validation split ({rows['validation']:,} reviews) is drawn from the original training split. "
                "Hyper-parameters, LSTM epochs (early stopping) and the final model are chosen on it; the "
                f"{rows['test']:,} test reviews are scored once, for this report.",
            ],
        ),
        Section(
            "Preprocessing",
            [
                "Cleaning, tokenisation and negation handling: preprocessing.html. "
                f"Embeddings: {embeddings['description']}; "
                f"{coverage['share_of_vocabulary_with_vector'] * 100:.0f} % of the "
                f"{coverage['vocabulary_size']:,}-word training vocabulary and "
                f"{coverage['share_of_train_tokens_with_vector'] * 100:.0f} % of training tokens have a pretrained "
                "vector (others start random).",
                f"LSTM input: sequences of {lstm_info['sequence_length']} tokens (the end of longer reviews is kept; "
                f"{lstm_info['share_of_train_reviews_truncated'] * 100:.0f} % of training reviews are truncated).",
            ],
        ),
        Section(
            "Modelling and evaluation",
            [
                f"Selection: {SELECTION}. The test split plays no part.",
                f"Each LSTM variant runs with {seeds} seeds (training is deterministic: a rerun writes the same "
                "numbers); its accuracy is the mean over the seeds with the standard deviation (std). The "
                "baselines are deterministic (one run). The confusion matrices, the detailed test metrics and the "
                "registered LSTM are the first seed's run.",
                "LSTMs stop early on validation loss with the best weights restored. " + still_improving(lstm_info),
                "Training durations and a full-data time estimate: logs/reviews_train_lstm.json (they vary between "
                "runs, so they stay out of the pipeline's outputs).",
            ],
            tables=[
                ("Every model, sorted by validation accuracy on the primary data set", display),
                (f"Test metrics of the saved runs on {primary}", metric_table),
                (
                    f"LSTM variants on {primary} (mean ± std over the seeds)",
                    pd.DataFrame(
                        {
                            name: {
                                "configuration": v["variant"]["description"],
                                "trainable parameters": v["trainable_parameters"],
                                "seeds": v["validation"]["seeds"],
                                "validation accuracy": v["validation"]["accuracy"],
                                "validation std": v["validation"]["std"],
                                "test accuracy": v["test"]["accuracy"],
                                "test std": v["test"]["std"],
                                "epochs (first seed)": v["epochs_run"],
                            }
                            for name, v in lstm_info["variants"].items()
                        }
                    ).T,
                ),
            ],
            figures=[figures["comparison"], figures["confusion"]]
            + [figures[k] for k in figures if k.startswith("confusion_")]
            + [figures["curves"]],
        ),
        Section(
            "Analysis and interpretation",
            [
                f"Chosen on validation: {best}, test accuracy {mean_std(**best_stat)} (saved run ± {ci * 100:.1f} "
                f"points, 95 % interval on {rows['test']:,} test reviews). Published anchors on the full Allociné "
                f"data (160k training reviews, Blard 2020): {anchors}.",
                anchor_text(best_stat["mean"], rows["train"]),
                "Best bag-of-words/TF-IDF model against the best LSTM (each chosen on validation), test accuracy: "
                + compare(best_baseline, stat(test[best_baseline]), best_lstm, stat(test[best_lstm])),
                *lstm_texts(test, lstm_info["variants"]),
                *[
                    f"Second data set, {name}: {info['best_model']} chosen on validation, test accuracy "
                    f"{mean_std(**stat(info['test'][info['best_model']]))} (no published anchor on these splits)."
                    for name, info in metrics["datasets"].items()
                ],
            ],
        ),
    ]
    provenance = (
        {"kind": metrics["data"]["kind"]}
        | {
            name: f"{info['kind']}, {info['rows']['train']:,}/{info['rows']['validation']:,}/{info['rows']['test']:,} "
            "reviews (train/validation/test)"
            for name, info in metrics["data"]["datasets"].items()
        }
        | {"licence": metrics["data"]["licence"], "primary data set": primary}
    )
    render_report(
        EVALUATION_REPORT,
        f"French review sentiment — evaluation ({primary}, {metrics['data']['kind']})",
        provenance,
        sections,
    )


if __name__ == "__main__":
    run_stage(main, "reviews.evaluate")
