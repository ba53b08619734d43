"""Stage: misclassified test reviews of the chosen model, grouped by likely cause, with remedies.

Writes reports/reviews/error_analysis.html (+ figures), error_analysis.json (counts, a DVC metric) and
misclassified.csv (every misclassified test review with its cues).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from pipelines.common.io import read_json, write_csv, write_json
from pipelines.common.logs import get_logger
from pipelines.common.stage import run_stage
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report
from pipelines.reviews.data import LABEL, LABEL_NAMES, TEXT, read_reviews
from pipelines.reviews.error_causes import CAUSES, REMEDIES, CueSettings, cues, polarity_lexicon, primary_cause
from pipelines.reviews.paths import (
    BASELINE_PREDICTIONS,
    BASELINE_SUMMARY,
    ERROR_ANALYSIS_FIGURES,
    ERROR_ANALYSIS_MISCLASSIFIED,
    ERROR_ANALYSIS_REPORT,
    ERROR_ANALYSIS_SUMMARY,
    INTERIM_SOURCE,
    LSTM_PREDICTIONS,
    LSTM_SUMMARY,
    METRICS,
    processed_split,
)
from pipelines.reviews.predictions import read_predictions
from pipelines.reviews.settings import reviews_params

log = get_logger("reviews.error_analysis")
CUE_NAMES = [cause for cause in CAUSES if cause not in ("confidently_wrong", "borderline", "other")]
SCORE_CUES = ["confidently_wrong", "borderline"]
EXCERPT_CHARS = 450


def analyse(test: pd.DataFrame, predictions: pd.DataFrame, lexicon, vocabulary, settings: CueSettings) -> pd.DataFrame:
    """One row per test review: prediction, cues, and (for errors) the primary cause."""
    merged = test.reset_index(drop=True).join(predictions.set_index("row")[["score", "predicted"]])
    rows = []
    for review, tokens, label, score, predicted in zip(
        merged[TEXT], merged["tokens"], merged[LABEL], merged["score"], merged["predicted"], strict=True
    ):
        found = cues(review, tokens.split(), int(label), float(score), lexicon, vocabulary, settings)
        wrong = int(predicted) != int(label)
        rows.append(
            {
                "review": review,
                "label": int(label),
                "score": float(score),
                "wrong": wrong,
                "n_tokens": len(tokens.split()),
                **{name: bool(found[name]) for name in [*CUE_NAMES, *SCORE_CUES]},
                "cause": primary_cause(found) if wrong else "",
                "evidence": found["evidence"],
            }
        )
    return pd.DataFrame(rows)


def cue_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Error rate of test reviews with and without each cue: does the cue go with errors?"""
    rows = {}
    for cue in CUE_NAMES:
        has = frame[cue]
        rows[CAUSES[cue]] = {
            "test reviews with the cue": int(has.sum()),
            "error rate with (%)": 100 * frame.loc[has, "wrong"].mean() if has.any() else np.nan,
            "error rate without (%)": 100 * frame.loc[~has, "wrong"].mean() if (~has).any() else np.nan,
        }
    return pd.DataFrame(rows).T


def plot_causes(counts: pd.Series, total: int, model: str, source: str) -> Figure:
    fig, ax = plt.subplots(figsize=(10, 4))
    labels = [CAUSES[c] for c in counts.index]
    bars = ax.barh(labels, counts.to_numpy(), color="tab:red", alpha=0.8)
    ax.bar_label(bars, labels=[f"{v} ({100 * v / total:.0f} %)" for v in counts], padding=3, fontsize=8)
    ax.invert_yaxis()
    ax.set(
        title=f"Misclassified test reviews of {model} by likely cause",
        xlabel="misclassified test reviews (primary cause, one per review)",
        ylabel="likely cause",
    )
    return Figure(
        save_figure(fig, ERROR_ANALYSIS_FIGURES / "causes.png", source, tight_layout=True),
        "Each misclassified review is counted once, under the first cause that applies, in the order of the bars "
        "from top to bottom.",
    )


def plot_rates(rates: pd.DataFrame, source: str) -> Figure:
    fig, ax = plt.subplots(figsize=(10, 4))
    positions = np.arange(len(rates))
    ax.barh(positions - 0.2, rates["error rate with (%)"], height=0.4, label="reviews with the cue", color="tab:red")
    ax.barh(positions + 0.2, rates["error rate without (%)"], height=0.4, label="reviews without", color="0.6")
    ax.set_yticks(positions, rates.index)
    ax.invert_yaxis()
    ax.set(title="Error rate with and without each cue (all test reviews)", xlabel="error rate (%)", ylabel="cue")
    ax.legend()
    return Figure(
        save_figure(fig, ERROR_ANALYSIS_FIGURES / "error_rates.png", source, tight_layout=True),
        "A cue that matters shows a longer red bar: reviews carrying it are misclassified more often.",
    )


def example_table(errors: pd.DataFrame, cause: str, count: int) -> pd.DataFrame:
    chosen = errors[errors["cause"] == cause].assign(certainty=lambda f: (f["score"] - 0.5).abs())
    chosen = chosen.sort_values("certainty", ascending=False).head(count)
    return pd.DataFrame(
        {
            "review (excerpt)": [
                r if len(r) <= EXCERPT_CHARS else r[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " […]" for r in chosen["review"]
            ],
            "true label": chosen["label"].map(LABEL_NAMES).to_numpy(),
            "positive score": chosen["score"].round(2).to_numpy(),
            "cues found": [_evidence(e) for e in chosen["evidence"]],
        }
    )


def _evidence(evidence: dict) -> str:
    parts = [f"{key}: {', '.join(html.unescape(str(v)) for v in values)}" for key, values in evidence.items() if values]
    return "; ".join(parts)


def main() -> None:
    settings = reviews_params().errors
    source = read_json(INTERIM_SOURCE)
    primary = source["primary"]
    metrics = read_json(METRICS)
    best = metrics["best_model"]
    train = read_reviews(processed_split(primary, "train"))
    test = read_reviews(processed_split(primary, "test"))
    predictions = pd.concat([read_predictions(BASELINE_PREDICTIONS), read_predictions(LSTM_PREDICTIONS)])
    predictions = predictions[(predictions["dataset"] == primary) & (predictions["split"] == "test")]
    chosen = predictions[predictions["model"] == best]
    # Certainty thresholds from the model's own correct predictions: score scales differ between models.
    certainty = (chosen["score"] - 0.5).abs()[chosen["predicted"] == chosen["polarity"]]
    cue_settings = CueSettings(
        short_tokens=settings.short_tokens,
        long_tokens=int(np.percentile(train["n_tokens"], 95)),
        rare_share=settings.rare_share,
        confident=float(certainty.quantile(settings.confident_quantile)),
        borderline=float(certainty.quantile(settings.borderline_quantile)),
    )
    lexicon = polarity_lexicon(train["tokens"], train[LABEL])
    vocabulary = {w for text in train["tokens"] for w in text.split()}
    frame = analyse(test, chosen, lexicon, vocabulary, cue_settings)
    errors = frame[frame["wrong"]]
    counts = errors["cause"].value_counts().reindex([c for c in CAUSES], fill_value=0)
    counts = counts[counts > 0]
    rates = cue_rates(frame)

    best_baseline, best_lstm = read_json(BASELINE_SUMMARY)["best"][primary], read_json(LSTM_SUMMARY)["best"][primary]
    wrong_by_model = {
        model: (group.sort_values("row")["predicted"].to_numpy() != group.sort_values("row")["polarity"].to_numpy())
        for model, group in predictions.groupby("model")
        if model in (best_baseline, best_lstm)
    }
    overlap = {
        "both wrong": int((wrong_by_model[best_baseline] & wrong_by_model[best_lstm]).sum()),
        f"only {best_baseline} wrong": int((wrong_by_model[best_baseline] & ~wrong_by_model[best_lstm]).sum()),
        f"only {best_lstm} wrong": int((~wrong_by_model[best_baseline] & wrong_by_model[best_lstm]).sum()),
    }

    summary = {
        "model": best,
        "dataset": primary,
        "test_reviews": len(frame),
        "misclassified": len(errors),
        "false_positives": int((errors["label"] == 0).sum()),
        "false_negatives": int((errors["label"] == 1).sum()),
        "by_cause": {cause: int(counts.get(cause, 0)) for cause in CAUSES},
        "cue_counts_among_errors": {cue: int(errors[cue].sum()) for cue in [*CUE_NAMES, *SCORE_CUES]},
        "long_review_tokens": cue_settings.long_tokens,
        "overlap_best_baseline_best_lstm": overlap,
    }
    write_json(ERROR_ANALYSIS_SUMMARY, summary)
    write_csv(
        ERROR_ANALYSIS_MISCLASSIFIED,
        errors.drop(columns=["wrong"]).assign(evidence=errors["evidence"].map(_evidence)),
        index=False,
        float_format="%.4f",
    )

    info = source["datasets"][primary]
    data_line = f"Data: {info['description']} ({info['kind']}), test split"
    top = counts.idxmax() if len(counts) else "other"
    cause_table = pd.DataFrame(
        {
            "misclassified (primary cause)": counts,
            "share of errors (%)": 100 * counts / max(1, len(errors)),
            "errors showing the cue at all": [
                int(errors[c].sum()) if c in errors else len(errors) for c in counts.index
            ],
            "proposed remedy": [REMEDIES[c] for c in counts.index],
        }
    ).rename(index=CAUSES)
    sections = [
        Section(
            "Summary",
            [
                f"{best} (chosen on validation) misclassifies {len(errors)} of {len(frame)} test reviews "
                f"({100 * len(errors) / len(frame):.1f} %): {summary['false_positives']} negative reviews read as "
                f"positive and {summary['false_negatives']} positive reviews read as negative. The most frequent "
                f'likely cause is "{CAUSES[top]}" ({counts.get(top, 0)} reviews).',
                "Causes come from surface cues, so they are likely causes, not certainties: a polarity lexicon learnt "
                f"from the training split ({len(lexicon)} words), a negation (pas, jamais, rien…) followed within two "
                'tokens by a strong polarity word ("pas terrible", "pas mal"), contrast words (mais, pourtant, par '
                "contre…) with opinion words of both signs, irony (opinion words that say the opposite of the label "
                'together with a tone marker: "!!", "...", emoticons, "bravo", "mdr"), words never seen in '
                f"training, and lengths (≤ {cue_settings.short_tokens} tokens or ≥ {cue_settings.long_tokens}, the "
                "95th percentile of training reviews). Reviews without such a cue are split by the model's score: "
                f"confidently wrong (|score − 0.5| ≥ {cue_settings.confident:.3f}, as sure as its typical correct "
                f"answer) or borderline (< {cue_settings.borderline:.3f}). Each review is counted once, under the "
                "first cause in the order of the table.",
                f"The best baseline ({best_baseline}) and the best LSTM ({best_lstm}) are wrong together on "
                f"{overlap['both wrong']} test reviews; {overlap[f'only {best_baseline} wrong']} errors are the "
                f"baseline's alone and {overlap[f'only {best_lstm} wrong']} the LSTM's alone, so the two families "
                "fail on partly different reviews.",
            ],
            tables=[("Misclassified reviews by likely cause", cause_table)],
            figures=[plot_causes(counts, len(errors), best, data_line)],
        ),
        Section(
            "Do the cues go with errors?",
            [
                "Error rate of all test reviews carrying each cue against those without it. Where the two bars are "
                "close, the cue is common in correctly classified reviews too and explains little on its own. The "
                "irony cue uses the true label (words against it), so its error rate is high partly by construction.",
                f"Negated opinion words: {rates.loc[CAUSES['negation'], 'error rate with (%)']:.1f} % errors with, "
                f"{rates.loc[CAUSES['negation'], 'error rate without (%)']:.1f} % without"
                + (
                    " — negations kept as tokens (and their scope marked) leave negated reviews no harder than others."
                    if rates.loc[CAUSES["negation"], "error rate with (%)"]
                    <= rates.loc[CAUSES["negation"], "error rate without (%)"]
                    else " — negated reviews remain harder: see the remedies below."
                ),
            ],
            tables=[("Error rate by cue (all test reviews)", rates)],
            figures=[plot_rates(rates, data_line)],
        ),
    ]
    examples_per_cause = settings.examples_per_cause
    for cause in counts.index:
        sections.append(
            Section(
                f"{CAUSES[cause]} — {counts[cause]} reviews",
                [f"Remedy: {REMEDIES[cause]}", "The reviews the model was most sure about come first."],
                tables=[("Examples", example_table(errors, cause, examples_per_cause))],
            )
        )
    provenance = {
        "kind": info["kind"],
        "data": f"{info['description']} — {info['kind']}, licence {info['licence']}",
        "split": f"test ({len(frame)} reviews; never used for training or model choice)",
        "model": f"{best}, chosen on validation accuracy",
    }
    render_report(ERROR_ANALYSIS_REPORT, f"French review sentiment — error analysis of {best}", provenance, sections)
    log.info("%d misclassified test reviews; by cause %s", len(errors), counts.to_dict())


if __name__ == "__main__":
    run_stage(main, "reviews.error_analysis")
