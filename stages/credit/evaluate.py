"""Stage `credit_evaluate`: every model on the held-out test split, at the threshold chosen on its
out-of-fold training predictions; AUC and business cost with bootstrap intervals, the overfitting
and leakage check, the cost curves, and the choice of the model to register.

The best model is chosen on training information only (lowest out-of-fold business cost); the test
split then says how well that choice holds, it never makes it.
"""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, roc_curve

from pipelines.common.io import read_json, write_csv, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params, parse_section
from pipelines.common.selection import choose
from pipelines.common.stage import run_stage
from pipelines.credit.calibration import calibration_scores, reliability_table
from pipelines.credit.cost import (
    CostWeights,
    auc,
    best_threshold,
    bootstrap,
    business_cost,
    cost_curve,
    cost_weights,
    threshold_grid,
)
from pipelines.credit.data import features_and_target, read_frame, read_summary
from pipelines.credit.features import ENGINEERED
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
from pipelines.credit.paths import EVALUATION_FIGURES as FIGURES
from pipelines.credit.paths import EVALUATION_REPORT as REPORT
from pipelines.credit.schema import ID, TARGET
from pipelines.credit.settings import CalibrationParams, EvaluationParams, TrainParams
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report

log = get_logger("credit.evaluate")
COLOURS = {"dummy": "0.55", "logistic": "tab:blue", "xgboost": "tab:orange", "random_forest": "tab:green"}


def colour(model: str) -> str:
    return COLOURS.get(model, "tab:purple")


def score_models(
    models: dict[str, dict],
    test_proba: dict[str, np.ndarray],
    y_test: np.ndarray,
    weights: CostWeights,
    steps: int,
    n_boot: int,
    seed: int,
    leakage_auc: float,
    test_scores: dict[str, np.ndarray] | None = None,
    bins: int = 10,
) -> dict[str, dict[str, float]]:
    """The `test` block of the metrics contract: numbers only, one entry per model.

    `test_proba` are the served (calibrated) probabilities; `test_scores` the same models' scores before
    calibration, for the before/after calibration figures (`ece_uncalibrated`, `brier_uncalibrated`)."""
    dummy_cost = None
    scores = {}
    for name, info in models.items():
        proba, threshold = test_proba[name], info["threshold"]
        refused = proba >= threshold
        tn, fp, fn, tp = confusion_matrix(y_test, refused.astype(int), labels=[0, 1]).ravel()
        test_auc = auc(y_test, proba)
        entry = {
            "auc": test_auc,
            "business_cost": business_cost(y_test, proba, threshold, weights),
            "threshold": threshold,
            "auc_train": info["auc_train"],
            "auc_cv": info["auc_cv"],
            "auc_cv_std": info["auc_cv_std"],
            **bootstrap(y_test, proba, threshold, weights, n_boot, seed),
            "business_cost_oof": info["business_cost_oof"],
            "business_cost_at_test_optimal_threshold": best_threshold(y_test, proba, weights, steps)[1],
            "refusal_rate": float(refused.mean()),
            "true_positives": int(tp),
            "false_positives": int(fp),
            "false_negatives": int(fn),
            "true_negatives": int(tn),
            "overfit_gap_train_cv": info["auc_train"] - info["auc_cv"],
            "leakage_flag": int(test_auc > leakage_auc),
            **calibration_scores(y_test, proba, bins),
        }
        if test_scores is not None and name in test_scores:
            before = calibration_scores(y_test, test_scores[name], bins)
            entry |= {"ece_uncalibrated": before["ece"], "brier_uncalibrated": before["brier"]}
        if name == "dummy":
            dummy_cost = entry["business_cost"]
        scores[name] = entry
    for entry in scores.values():
        entry["business_cost_vs_dummy"] = entry["business_cost"] / dummy_cost if dummy_cost else float("nan")
    return scores


def metrics_contract(
    data: dict,
    scores: dict,
    best: str,
    selection: str,
    weights: CostWeights,
    leakage_auc: float,
    cv_folds: int,
    n_boot: int,
) -> dict:
    """reports/credit/metrics.json: data, test (numbers only, one entry per model), best_model, and context."""
    return {
        "data": {
            "source": data["source"],
            "kind": data["kind"],
            "description": data["description"],
            "rows": data["rows"]["used"],
            "rows_available": data["rows"]["labelled"],
            "rows_train": data["rows"]["train"],
            "rows_test": data["rows"]["test"],
            "rows_current": data["rows"]["current"],
            "default_rate": data["default_rate"]["labelled"],
            "sha256": data["files"]["labelled"]["sha256"],
        },
        "test": scores,
        "best_model": best,
        "selection": {
            "business_cost": "lowest out-of-fold business cost on the training split",
            "auc_cv": "highest cross-validated AUC on the training split",
        }[selection],
        "cost_weights": {"fn": weights.fn, "fp": weights.fp},
        "leakage_auc": leakage_auc,
        "leakage_suspected": [name for name, entry in scores.items() if entry["leakage_flag"]],
        "cv_folds": cv_folds,
        "bootstrap_resamples": n_boot,
    }


def choose_best(models: dict[str, dict], by: str) -> str:
    """Lowest out-of-fold cost (or highest CV AUC) among the real models: never a test-split number."""
    contenders = [name for name in models if name != "dummy"]
    what = "model besides the dummy baseline"
    if by == "auc_cv":
        return choose(
            contenders, lambda name: models[name]["auc_cv"], split="cross-validation", higher_is_better=True, what=what
        )
    return choose(
        contenders,
        lambda name: (models[name]["business_cost_oof"], -models[name]["auc_cv"]),
        split="cross-validation",
        higher_is_better=False,
        what=what,
    )


def plot_cost_curves(
    oof: pd.DataFrame, test: pd.DataFrame, models: dict, best: str, weights: CostWeights, steps: int, source: str
) -> tuple[Figure, pd.DataFrame]:
    grid = threshold_grid(steps)
    curves = pd.DataFrame({"threshold": grid})
    fig, ax = plt.subplots(figsize=(10, 5))
    for name, info in models.items():
        costs = cost_curve(oof[TARGET], oof[name], grid, weights)
        curves[name] = costs
        ax.plot(grid, costs, color=colour(name), lw=1.6, label=f"{name} (out-of-fold, training split)")
        if name != "dummy":
            ax.plot(info["threshold"], info["business_cost_oof"], "o", color=colour(name), ms=7)
    test_costs = cost_curve(test[TARGET], test[best], grid, weights)
    curves["best_model_test"] = test_costs
    curves["best_model"] = curves[best]
    ax.plot(grid, test_costs, color=colour(best), ls="--", lw=1.2, label=f"{best} on the test split")
    ax.axvline(models[best]["threshold"], color="black", lw=0.8, ls=":")
    ax.annotate(
        f"chosen threshold {models[best]['threshold']:.3f}",
        (models[best]["threshold"], ax.get_ylim()[1] * 0.95),
        xytext=(6, 0),
        textcoords="offset points",
        fontsize=8,
    )
    ax.set(
        title=f"Business cost per client ({weights.fn:g}·FN + {weights.fp:g}·FP) / n against the decision threshold",
        xlabel="threshold on the predicted probability of default (refuse when probability ≥ threshold)",
        ylabel="cost per client",
        ylim=(0, max(1.2, float(curves["dummy"].max()) * 1.05)),
    )
    ax.legend(fontsize=8, loc="upper right")
    caption = (
        "Dots: the threshold each model keeps, the minimum of its out-of-fold curve. The dashed line is the chosen "
        "model on the test split, never used to choose anything."
    )
    return Figure(save_figure(fig, FIGURES / "cost_curve.png", source, tight_layout=True), caption), curves


def roc_curves(test: pd.DataFrame, models: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(false-positive rate, true-positive rate) of each model on the test split, computed once for the
    figure and the plot table."""
    return {name: roc_curve(test[TARGET], test[name])[:2] for name in models}


def roc_table(curves: dict[str, tuple[np.ndarray, np.ndarray]], points: int = 201) -> pd.DataFrame:
    """True-positive rate of every model on one false-positive-rate grid (one column per model), so a
    single file draws one ROC line per model in `dvc plots`; the curves are interpolated linearly."""
    grid = np.linspace(0.0, 1.0, points)
    rates = {name: np.interp(grid, fpr, tpr) for name, (fpr, tpr) in curves.items()}
    return pd.DataFrame({"false_positive_rate": grid} | rates)


def plot_roc(curves: dict[str, tuple[np.ndarray, np.ndarray]], scores: dict, source: str) -> Figure:
    fig, ax = plt.subplots(figsize=(6.5, 6))
    for name, entry in scores.items():
        ax.plot(
            *curves[name],
            color=colour(name),
            label=f"{name}: AUC {entry['auc']:.3f} [{entry['auc_ci_low']:.3f}, {entry['auc_ci_high']:.3f}]",
        )
    ax.plot([0, 1], [0, 1], color="0.7", lw=0.8, ls=":")
    ax.set(
        title="ROC curves on the test split",
        xlabel="false-positive rate (good clients refused)",
        ylabel="true-positive rate (defaulters refused)",
    )
    ax.legend(fontsize=8, loc="lower right", title="test AUC [95 % bootstrap interval]", title_fontsize=8)
    return Figure(
        save_figure(fig, FIGURES / "roc_test.png", source, tight_layout=True),
        "ROC curves of every model on the test split.",
    )


def plot_comparison(scores: dict, source: str) -> Figure:
    names = list(scores)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.5 * len(names) + 2.2))
    for ax, key, label in (
        (left, "auc", "test AUC (higher is better)"),
        (right, "business_cost", "test cost per client (lower is better)"),
    ):
        values = [scores[n][key] for n in names]
        low = [scores[n][key] - scores[n][f"{key}_ci_low"] for n in names]
        high = [scores[n][f"{key}_ci_high"] - scores[n][key] for n in names]
        ax.barh(names, values, xerr=[low, high], color=[colour(n) for n in names], capsize=4)
        for y_pos, name in enumerate(names):
            ax.text(scores[name][f"{key}_ci_high"], y_pos, f"  {scores[name][key]:.3f}", fontsize=8, va="center")
        ax.set(xlabel=label, title=key.replace("_", " "))
    left.set_ylabel("model")
    left.set_xlim(0.45, 0.85)
    fig.suptitle("Models on the test split, with 95 % bootstrap intervals", fontweight="bold")
    return Figure(
        save_figure(fig, FIGURES / "model_comparison.png", source, tight_layout=True),
        "Error bars: 95 % percentile bootstrap intervals over test clients. The cost uses each model's "
        "out-of-fold threshold.",
    )


def plot_overfitting(scores: dict, leakage_auc: float, source: str) -> Figure:
    names = [n for n in scores if n != "dummy"]
    positions = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for offset, key, label, shade in (
        (-0.27, "auc_train", "train (refitted model, its own rows)", "0.75"),
        (0.0, "auc_cv", "cross-validation (mean of folds)", "tab:blue"),
        (0.27, "auc", "test split", "tab:orange"),
    ):
        bars = ax.bar(positions + offset, [scores[n][key] for n in names], width=0.27, label=label, color=shade)
        ax.bar_label(bars, fmt="%.3f", fontsize=8)
    ax.axhline(leakage_auc, color="red", ls="--", lw=1, label=f"leakage alarm: test AUC > {leakage_auc}")
    ax.set_xticks(positions, names)
    ax.set(title="Train, cross-validation and test AUC side by side", xlabel="model", ylabel="AUC", ylim=(0.5, 1.0))
    ax.legend(fontsize=8, loc="upper left")
    return Figure(
        save_figure(fig, FIGURES / "overfitting.png", source, tight_layout=True),
        "A large train-minus-CV gap is memorisation; CV and test close together means the CV estimate "
        "can be trusted; a test AUC above the alarm line would point to leakage.",
    )


def plot_imbalance(imbalance: pd.DataFrame, source: str) -> Figure | None:
    if imbalance.empty:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    table = imbalance.pivot(index="model", columns="strategy", values="auc_cv")
    table.plot.bar(ax=left, rot=0)
    left.set(
        title="CV AUC",
        xlabel="model",
        ylabel="mean fold AUC",
        ylim=(table.min().min() - 0.03, table.max().max() + 0.02),
    )
    left.legend(title="strategy", fontsize=8)
    costs = imbalance.pivot(index="model", columns="strategy", values="business_cost_oof")
    costs.plot.bar(ax=right, rot=0)
    right.set(
        title="Out-of-fold cost at each strategy's best threshold",
        xlabel="model",
        ylabel="cost per client",
        ylim=(costs.min().min() - 0.1, costs.max().max() + 0.05),
    )
    right.legend(title="strategy", fontsize=8)
    fig.suptitle("Class-imbalance strategies, cross-validated on the training split", fontweight="bold")
    return Figure(
        save_figure(fig, FIGURES / "imbalance.png", source, tight_layout=True),
        "Each strategy re-scored with the model's tuned hyper-parameters, on the same folds.",
    )


def plot_confusion(scores: dict, best: str, source: str) -> Figure:
    entry = scores[best]
    matrix = np.array(
        [[entry["true_negatives"], entry["false_positives"]], [entry["false_negatives"], entry["true_positives"]]]
    )
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.imshow(matrix, cmap="Blues")
    ax.grid(False)
    for (row, col), count in np.ndenumerate(matrix):
        ax.text(
            col,
            row,
            f"{count:,}",
            ha="center",
            va="center",
            fontsize=12,
            color="black" if count < matrix.max() / 2 else "white",
        )
    ax.set_xticks([0, 1], ["granted", "refused"])
    ax.set_yticks([0, 1], ["repaid (0)", "defaulted (1)"])
    ax.set(title=f"{best} on the test split at threshold {entry['threshold']:.3f}", xlabel="decision", ylabel="outcome")
    return Figure(
        save_figure(fig, FIGURES / "confusion_matrix.png", source, tight_layout=True),
        "Decisions against outcomes on the test split.",
    )


def plot_reliability(
    y: np.ndarray, proba: np.ndarray, uncalibrated: np.ndarray, best: str, bins: int, source: str
) -> Figure:
    """Observed default rate against mean predicted probability, per equal-count group of test clients."""
    fig, ax = plt.subplots(figsize=(6.5, 6))
    for values, label, shade, marker in (
        (uncalibrated, "score before calibration", "0.6", "s"),
        (proba, "served probability (calibrated on out-of-fold scores)", "tab:orange", "o"),
    ):
        table = pd.DataFrame(reliability_table(y, values, bins))
        scores = calibration_scores(y, values, bins)
        ax.plot(
            table["mean_probability"],
            table["observed_rate"],
            marker=marker,
            color=shade,
            label=f"{label}: ECE {scores['ece']:.3f}, Brier {scores['brier']:.4f}",
        )
    top = float(max(np.max(proba), np.max(uncalibrated), np.mean(y) * 3))
    ax.plot([0, top], [0, top], color="black", lw=0.8, ls=":", label="perfect calibration")
    rate = float(np.mean(y))
    ax.axhline(rate, color="tab:red", lw=0.8, ls="--", label=f"base rate {rate:.3f} (Brier {rate * (1 - rate):.4f})")
    ax.set(
        title=f"{best}: reliability on the test split ({bins} equal-count groups)",
        xlabel="mean predicted probability of default in the group",
        ylabel="observed default rate in the group",
    )
    ax.legend(fontsize=8, loc="upper left")
    return Figure(
        save_figure(fig, FIGURES / "reliability.png", source, tight_layout=True),
        "Each point is a tenth of the test clients ranked by probability. On the dotted diagonal, a group given 20 % "
        "defaults 20 % of the time. ECE: mean distance to the diagonal weighted by group size.",
    )


def _table(scores: dict, models: dict) -> pd.DataFrame:
    rows = {
        name: {
            "family": models[name]["family"],
            "imbalance": models[name]["imbalance"],
            "AUC train": entry["auc_train"],
            "AUC CV": entry["auc_cv"],
            "AUC CV sd": entry["auc_cv_std"],
            "AUC test": entry["auc"],
            "AUC test 95 % CI": f"{entry['auc_ci_low']:.3f}–{entry['auc_ci_high']:.3f}",
            "threshold": entry["threshold"],
            "cost OOF": entry["business_cost_oof"],
            "cost test": entry["business_cost"],
            "cost test 95 % CI": f"{entry['business_cost_ci_low']:.3f}–{entry['business_cost_ci_high']:.3f}",
            "cost / dummy": entry["business_cost_vs_dummy"],
            "refused": f"{100 * entry['refusal_rate']:.1f} %",
        }
        for name, entry in scores.items()
    }
    return pd.DataFrame(rows).T


def main() -> None:
    credit = load_params("credit")
    evaluation = parse_section(EvaluationParams, credit.get("evaluation"), credit.name("evaluation"))
    weights, steps = cost_weights(credit)
    n_boot, seed, leakage_auc, selection = (
        evaluation.bootstrap,
        evaluation.seed,
        evaluation.leakage_auc,
        evaluation.select_by,
    )

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
        models, test_proba, y_test, weights, steps, n_boot, seed, leakage_auc, test_scores=test_scores, bins=bins
    )
    best = choose_best(models, selection)
    flagged = [name for name, entry in scores.items() if entry["leakage_flag"]]
    for name in flagged:
        log.warning(
            "%s: test AUC %.3f above %.2f: probable leakage, check the features", name, scores[name]["auc"], leakage_auc
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
    metrics = metrics_contract(data, scores, best, selection, weights, leakage_auc, summary["cv_folds"], n_boot)
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
        "overfitting": plot_overfitting(scores, leakage_auc, source),
        "imbalance": plot_imbalance(imbalance, source),
        "confusion": plot_confusion(scores, best, source),
        "reliability": plot_reliability(y_test, test_proba[best], test_scores[best], best, bins, source),
    }
    search = parse_section(TrainParams, credit.get("train"), credit.name("train")).model_dump()["search"]
    write_report(metrics, summary, data, imbalance, figures, search, evaluation.ece_target)


def _results_text(metrics: dict, data: dict) -> list[str]:
    scores, best = metrics["test"], metrics["best_model"]
    entry, dummy = scores[best], scores["dummy"]
    defaulters = entry["true_positives"] + entry["false_negatives"]
    text = [
        f"The chosen model is {best}, by {metrics['selection']} (out-of-fold cost "
        f"{entry['business_cost_oof']:.3f} per client, CV AUC {entry['auc_cv']:.3f}). On the "
        f"{data['rows']['test']:,} test clients its AUC is "
        f"{entry['auc']:.3f} (95 % bootstrap interval {entry['auc_ci_low']:.3f}–{entry['auc_ci_high']:.3f}) and "
        f"its cost {entry['business_cost']:.3f} per client at the threshold {entry['threshold']:.3f}, against "
        f"{dummy['business_cost']:.3f} for the dummy baseline ("
        + (
            "which grants every loan"
            if dummy["refusal_rate"] == 0
            else "which refuses every loan"
            if dummy["refusal_rate"] == 1
            else f"which refuses {100 * dummy['refusal_rate']:.0f} % of them"
        )
        + "): "
        + (
            f"{100 * (1 - entry['business_cost_vs_dummy']):.0f} % lower."
            if entry["business_cost_vs_dummy"] < 1
            else f"{100 * (entry['business_cost_vs_dummy'] - 1):.0f} % higher: the model does not beat the baseline."
        ),
        f"The test AUC interval is {entry['auc_ci_high'] - entry['auc_ci_low']:.3f} wide: with {defaulters} "
        "defaulters in the test split, AUC differences between models smaller than that are not resolved by the test "
        "split. The CV AUC (mean of the folds, standard deviation in the table) is the steadier comparison.",
    ]
    others = [name for name in scores if name not in ("dummy", best)]
    if others:
        runner_up = min(others, key=lambda name: scores[name]["business_cost_oof"])
        other = scores[runner_up]
        overlap = other["business_cost_ci_low"] <= entry["business_cost_ci_high"]
        text.append(
            f"Runner-up: {runner_up}, test AUC {other['auc']:.3f} and cost {other['business_cost']:.3f} "
            f"(interval {other['business_cost_ci_low']:.3f}–{other['business_cost_ci_high']:.3f}); "
            + (
                "the intervals overlap, so the test split cannot separate the two: the choice rests on the "
                "cross-validated cost."
                if overlap
                else "clearly behind the chosen model."
            )
        )
        cheapest = min(others, key=lambda name: scores[name]["business_cost"])
        if scores[cheapest]["business_cost"] < entry["business_cost"]:
            within = scores[cheapest]["business_cost"] >= entry["business_cost_ci_low"]
            text.append(
                f"On the test split itself {cheapest} does better (AUC {scores[cheapest]['auc']:.3f}, cost "
                f"{scores[cheapest]['business_cost']:.3f}), "
                + (
                    f"within {best}'s interval: a difference the test split cannot resolve."
                    if within
                    else f"below {best}'s interval: a difference the CV-based choice missed."
                )
                + " The choice is not revised on the test split, which would make its numbers optimistic."
            )
    return text


def _cost_text(metrics: dict, data: dict) -> list[str]:
    entry, best = metrics["test"][metrics["best_model"]], metrics["best_model"]
    fn, fp = metrics["cost_weights"]["fn"], metrics["cost_weights"]["fp"]
    rate = data["default_rate"]["train"]
    refused = entry["true_positives"] + entry["false_positives"]
    loss = entry["business_cost"] - entry["business_cost_at_test_optimal_threshold"]
    theory = fp / (fn + fp)
    gap = entry["threshold"] - theory
    if abs(gap) <= 0.05:
        placement = "close to it, as it should be for probabilities that mean what they say"
    elif gap > 0:
        placement = "above it: the out-of-fold cost curve is flat there, or the probabilities under-state the risk"
    else:
        placement = "below it: the out-of-fold cost curve is flat there, or the probabilities over-state the risk"
    ratio_text = (
        f"A {fn:g}:{fp:g} cost ratio makes refusing up to {fn / fp:.0f} good clients worth one defaulter avoided; a "
        "smaller ratio would raise the threshold."
        if fp > 0 and fn > fp
        else f"A {fn:g}:{fp:g} cost ratio does not favour refusing: a larger fn would lower the threshold."
    )
    return [
        f"A false negative (a defaulter granted a loan) costs {fn:g}, a false positive (a good client refused) "
        f"{fp:g} (params.yaml credit.cost); the total is divided by the number of clients. With {100 * rate:.1f} % "
        f"defaults, granting everybody costs {fn:g} × {rate:.3f} ≈ {fn * rate:.2f} per client.",
        "Each model's threshold is the minimum of its out-of-fold cost curve on the training split, on the calibrated "
        f"probability. For calibrated probabilities theory puts it at {fp:g} / ({fn:g} + {fp:g}) = {theory:.3f}; "
        f"{best}'s is {entry['threshold']:.3f}, {placement}.",
        f"At its threshold {best} refuses {100 * entry['refusal_rate']:.1f} % of the test clients ({refused:,}): "
        f"{entry['true_positives']} of the {entry['true_positives'] + entry['false_negatives']} defaulters and "
        f"{entry['false_positives']:,} clients who would have repaid. " + ratio_text,
        "Reading the best threshold off the test split itself (which the pipeline never does) would give a cost of "
        f"{entry['business_cost_at_test_optimal_threshold']:.3f}: "
        + (
            f"the out-of-fold threshold costs {loss:.3f} per client more, the price of choosing it honestly."
            if loss >= 0.0005
            else "the out-of-fold threshold does as well on the test split."
        ),
    ]


def _calibration_text(metrics: dict, ece_target: float) -> list[str]:
    """What the served probability is worth on the test split, each judgement from the numbers it cites."""
    entry, best = metrics["test"][metrics["best_model"]], metrics["best_model"]
    ece, brier, base = entry["ece"], entry["brier"], entry["brier_base_rate"]
    text = [
        f"The probability {best} serves is its score passed through a monotone map fitted on the out-of-fold scores of "
        "the training split (rows the scoring model had not seen): it keeps the ranking and puts the numbers on the "
        "scale of observed default rates. On the test split the clients average a probability of "
        f"{entry['mean_probability']:.3f}; {100 * entry['observed_rate']:.1f} % of them defaulted.",
        f"Expected calibration error (10 equal-count groups) {ece:.3f}: "
        + (
            f"within the {ece_target:g} target, the probability can be read as a default rate."
            if ece <= ece_target
            else f"above the {ece_target:g} target, read the probability as a rank rather than a default rate."
        ),
        f"Brier score {brier:.4f} against {base:.4f} for predicting the base rate to everybody: "
        + (
            f"{100 * (1 - brier / base):.1f} % better, so the probability carries information beyond the average."
            if brier < base
            else "no better than the base rate, so the probability adds nothing to the average default rate."
        ),
    ]
    if "ece_uncalibrated" in entry:
        before, after = entry["ece_uncalibrated"], ece
        text.append(
            f"Before calibration the same model's score had an ECE of {before:.3f} and a Brier score of "
            f"{entry['brier_uncalibrated']:.4f}: "
            + (
                f"calibration divides the calibration error by {before / after:.0f}."
                if after > 0 and before / after >= 2
                else "calibration changes little here."
                if after <= before
                else "calibration made it worse on the test split: check the method (params credit.calibration)."
            )
        )
    return text


def _overfitting_text(metrics: dict, families: dict[str, str]) -> list[str]:
    scores, best = metrics["test"], metrics["best_model"]
    entry = scores[best]
    gaps = {name: scores[name]["overfit_gap_train_cv"] for name in scores if name != "dummy"}
    widest = max(gaps, key=gaps.get)
    flagged = metrics["leakage_suspected"]
    difference = abs(entry["auc_cv"] - entry["auc"])
    inside = entry["auc_ci_low"] <= entry["auc_cv"] <= entry["auc_ci_high"]
    memorises = gaps[widest] > 0.02
    return [
        f"{best}: train AUC {entry['auc_train']:.3f}, CV {entry['auc_cv']:.3f}, test {entry['auc']:.3f}. The train "
        "AUC is the refitted model scoring the rows it learnt from, so it is optimistic by construction; the widest "
        f"train–CV gap is {widest}'s ({gaps[widest]:.3f}), "
        + (
            f"memorisation by the {families.get(widest, 'model')} model."
            if memorises
            else "small: no model memorises much."
        )
        + f" CV and test differ by {difference:.3f}; "
        + (
            f"the CV AUC lies inside the test interval ({entry['auc_ci_low']:.3f}–{entry['auc_ci_high']:.3f}): the "
            "cross-validated estimate holds on unseen clients."
            if inside
            else f"the CV AUC lies outside the test interval ({entry['auc_ci_low']:.3f}–{entry['auc_ci_high']:.3f}): "
            "the test clients differ from the training ones or the CV estimate is optimistic; check the drift report."
        ),
        (
            f"Leakage alarm: {', '.join(flagged)} score above {metrics['leakage_auc']} on the test split, more than "
            "the competition's best with every table. Check the features for information from after the application."
            if flagged
            else f"No model reaches the leakage alarm (test AUC above {metrics['leakage_auc']}; the competition's "
            "best was about 0.81 with all seven tables): nothing suggests that the target leaks into the features."
        ),
    ]


def _imbalance_text(imbalance: pd.DataFrame, models: dict) -> list[str]:
    if imbalance.empty:
        return ["No imbalance comparison was run."]
    text = []
    for name, group in imbalance.groupby("model"):
        best_auc = group.loc[group["auc_cv"].idxmax(), "strategy"]
        best_cost = group.loc[group["business_cost_oof"].idxmin(), "strategy"]
        spread = group["business_cost_oof"].max() - group["business_cost_oof"].min()
        text.append(
            f"{name}: CV AUC from {group['auc_cv'].min():.3f} to {group['auc_cv'].max():.3f} (best: {best_auc}), "
            f"out-of-fold cost from {group['business_cost_oof'].min():.3f} to {group['business_cost_oof'].max():.3f} "
            f"(best: {best_cost}); kept: {models[name]['imbalance']}. "
            + (
                "Once the threshold is tuned for the cost, the strategy changes the cost by "
                f"{spread:.3f} per client only: it moves the scores and the threshold follows."
                if spread < 0.02
                else f"The strategy matters here: {spread:.3f} per client between the best and the worst."
            )
        )
    return text


def write_report(
    metrics: dict,
    summary: dict,
    data: dict,
    imbalance: pd.DataFrame,
    figures: dict,
    search: dict,
    ece_target: float = 0.02,
) -> None:
    scores, models = metrics["test"], summary["models"]
    logged = models.get("logistic", {}).get("logged_columns", [])
    engineered = pd.DataFrame({"definition": {name: spec[0] for name, spec in ENGINEERED.items()}})
    spaces = pd.DataFrame(
        [
            {"model": name, "parameter": key, "searched": str(value), "candidates": spec.get("n_iter")}
            for name, spec in search.items()
            for key, value in (spec.get("space") or {}).items()
        ]
        + [
            {"model": name, "parameter": key, "searched": f"fixed: {value}", "candidates": spec.get("n_iter")}
            for name, spec in search.items()
            for key, value in (spec.get("fixed") or {}).items()
        ]
    )
    search_tables = [
        ("Search spaces (params.yaml, credit.train.search)", spaces.set_index(["model", "parameter"]).sort_index()),
    ] + [
        (
            f"{name}: the {len(history)} candidates, best first (mean and sd of the fold AUCs)",
            pd.DataFrame(history).sort_values("auc_mean", ascending=False).set_index("candidate"),
        )
        for name, history in summary["search_history"].items()
        if history
    ]
    protocol = [
        f"{data['rows']['used']:,} labelled applications ({100 * data['default_rate']['labelled']:.2f} % defaults), "
        f"split once, stratified and seeded: {data['rows']['train']:,} for training, {data['rows']['test']:,} for the "
        "test. Everything that is learnt uses the training split only: the encoders, the hyper-parameters "
        f"({summary['cv_folds']}-fold stratified randomised search), the imbalance strategy, the decision threshold "
        "and the choice of the model.",
        "Models from simple to complex: dummy (the training default rate for everyone), logistic regression "
        "(imputed, log-transformed skewed amounts, scaled), XGBoost and a random forest (raw numbers, missing values "
        "handled natively). Categories with at most a few levels are one-hot encoded, the others target-encoded "
        "inside each fold.",
        f"Excluded from the features: {', '.join(summary['excluded_features']) or 'nothing'} (a protected "
        "attribute: a credit decision must not depend on it). SK_ID_CURR and TARGET are never features (tested). "
        f"The linear model log-transforms {len(logged)} skewed columns"
        + (f", among them {', '.join(logged[:6])}." if logged else "."),
    ]
    sections = [
        Section("Protocol", protocol, tables=[("Engineered features", engineered)]),
        Section(
            "Results",
            _results_text(metrics, data),
            tables=[("Every model: AUC train / CV / test, threshold, cost per client", _table(scores, models))],
            figures=[figures["comparison"], figures["roc"], figures["confusion"]],
        ),
        Section("Business cost and threshold", _cost_text(metrics, data), figures=[figures["cost"]]),
        Section(
            "Calibration: what the probability means",
            _calibration_text(metrics, ece_target),
            figures=[figures["reliability"]],
        ),
        Section(
            "Overfitting and leakage check",
            _overfitting_text(metrics, {name: spec["family"] for name, spec in models.items()}),
            figures=[figures["overfitting"]],
        ),
        Section(
            "Class imbalance",
            _imbalance_text(imbalance, models),
            tables=[("Strategies on the same folds", imbalance.set_index(["model", "strategy"]))]
            if not imbalance.empty
            else [],
            figures=[figures["imbalance"]] if figures["imbalance"] else [],
        ),
        Section(
            "Hyper-parameter search",
            [
                "Randomised search: each candidate is drawn from the spaces below and scored by its mean AUC over "
                "the same stratified folds; the encoders are fitted once per fold and shared by every candidate. A "
                "bigger search is a params change (n_iter, wider spaces).",
            ],
            tables=search_tables,
        ),
    ]
    provenance = {
        "data source": data["description"],
        "kind": data["kind"],
        "rows": f"{data['rows']['used']:,} labelled ({data['rows']['train']:,} train / {data['rows']['test']:,} test)",
        "sha256": data["files"]["labelled"]["sha256"],
        "terms": "Kaggle competition data (Home Credit Group): research and education only, not for redistribution",
    }
    render_report(REPORT, "Credit default scoring — model evaluation", provenance, sections)


if __name__ == "__main__":
    run_stage(main, "credit.evaluate")
