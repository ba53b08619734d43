"""The credit evaluation report: its tables and its sentences, each chosen from the numbers it cites
(the opposite case has its own wording), rendered by pipelines/reporting."""

from __future__ import annotations

import pandas as pd

from pipelines.credit.features import ENGINEERED
from pipelines.credit.paths import EVALUATION_REPORT as REPORT
from pipelines.reporting.report import Section, render_report


def scores_table(scores: dict, models: dict) -> pd.DataFrame:
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


def results_text(metrics: dict, data: dict) -> list[str]:
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


def cost_text(metrics: dict, data: dict) -> list[str]:
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


def calibration_text(metrics: dict, ece_target: float) -> list[str]:
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


def overfitting_text(metrics: dict, families: dict[str, str]) -> list[str]:
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


def imbalance_text(imbalance: pd.DataFrame, models: dict) -> list[str]:
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
            results_text(metrics, data),
            tables=[("Every model: AUC train / CV / test, threshold, cost per client", scores_table(scores, models))],
            figures=[figures["comparison"], figures["roc"], figures["confusion"]],
        ),
        Section("Business cost and threshold", cost_text(metrics, data), figures=[figures["cost"]]),
        Section(
            "Calibration: what the probability means",
            calibration_text(metrics, ece_target),
            figures=[figures["reliability"]],
        ),
        Section(
            "Overfitting and leakage check",
            overfitting_text(metrics, {name: spec["family"] for name, spec in models.items()}),
            figures=[figures["overfitting"]],
        ),
        Section(
            "Class imbalance",
            imbalance_text(imbalance, models),
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
