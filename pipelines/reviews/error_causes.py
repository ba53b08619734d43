"""Likely causes of a misclassified review, from surface cues that can be counted.

A polarity lexicon is learnt from the training split (smoothed log-odds of each word in positive vs
negative reviews); the cues then look for negated polarity words, opinion words of both signs around a
contrast word, irony markers next to words of the opposite polarity, rare words, and extreme lengths.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from pipelines.reviews.text import NEGATION_CUES, STOP_WORDS

CONTRAST_WORDS = frozenset({"mais", "cependant", "pourtant", "néanmoins", "neanmoins", "toutefois", "malgré", "malgre"})
CONTRAST_PHRASES = ("par contre", "en revanche", "même si", "bien que", "dommage que")
IRONY_WORDS = frozenset({"bravo", "chapeau", "félicitations", "mdr", "lol", "ptdr", "xd"})
IRONY_MARKS = re.compile(r"!{2,}|\?!|!\?|\.{3}|…|[;:]-?[)p]|\^\^", re.IGNORECASE)
NEGATION_WINDOW = 2  # a negation cue applies to the next two tokens ("pas très bon")
STRONG_LOG_ODDS = 1.0  # lexicon words at least e times likelier in one class count as opinion words

# Primary cause: the first that applies, most specific first.
CAUSES = {
    "very_short": "Very short review",
    "negation": "Negated opinion word",
    "irony": "Irony or sarcasm",
    "mixed": "Mixed opinions",
    "rare_words": "Rare or unseen words",
    "very_long": "Very long review",
    "confidently_wrong": "Confidently wrong, no cue (rating/text mismatch?)",
    "borderline": "Borderline score, no cue",
    "other": "No surface cue",
}
REMEDIES = {
    "very_short": "Too few words to outweigh one misleading token. Character n-grams and subword models "
    "(CamemBERT) read more out of short texts; so do emoticons and punctuation kept as tokens.",
    "negation": 'Keep negations (done) and mark their scope ("pas neg_bon", the negation_scope switch); '
    "sequence models see it when trained on enough data — the full 160k split, or a pretrained transformer.",
    "irony": "Bags of words cannot see irony: add punctuation/emoji features, train on more data, or use a "
    "contextual model. Some of these may be rating/text mismatches worth relabelling.",
    "mixed": 'The verdict often follows the contrast word ("… mais"): weight the last sentence more, keep '
    "the end of long reviews (LSTM truncating: pre), or use sentence-level attention.",
    "rare_words": "Unknown words carry no signal: subword or character features, larger vocabularies "
    "(min_df 1 on the full data), vectors with more coverage (frWac), and lemmatisation.",
    "very_long": "Long reviews mix plot summary with opinion: truncation may cut the verdict (LSTM) and "
    "counts dilute it (bag of words). Keep the end, or classify sentences and aggregate.",
    "confidently_wrong": "Read them: the star rating behind the label may disagree with the text (label "
    "noise, e.g. a 2/5 rating with a lukewarm text). Confident learning can flag such rows.",
    "borderline": "Weak evidence either way: the words seen are not polar enough for a model trained on 1.6k "
    'reviews. More data, or abstaining ("no opinion") on scores near 0.5.',
    "other": "No simple cue: more training data is the general remedy.",
}


def polarity_lexicon(
    tokens: pd.Series, labels: pd.Series, min_count: int = 4, min_log_odds: float = 0.7, size: int = 2000
) -> dict[str, float]:
    """Words whose smoothed log-odds of appearing in positive vs negative training reviews (document
    frequency) is at least `min_log_odds` in size; stop-words, punctuation and negation cues excluded."""
    positive, negative = Counter(), Counter()
    for text, label in zip(tokens, labels, strict=True):
        words = {w for w in text.split() if w not in STOP_WORDS and w not in NEGATION_CUES and w.isalpha()}
        (positive if label == 1 else negative).update(words)
    n_pos, n_neg = max(1, int((labels == 1).sum())), max(1, int((labels == 0).sum()))
    scores = {}
    for word in set(positive) | set(negative):
        if positive[word] + negative[word] >= min_count:
            odds = math.log((positive[word] + 1) / (n_pos + 2)) - math.log((negative[word] + 1) / (n_neg + 2))
            if abs(odds) >= min_log_odds:
                scores[word] = odds
    ranked = sorted(scores, key=lambda w: abs(scores[w]), reverse=True)[:size]
    return {word: scores[word] for word in ranked}


@dataclass
class CueSettings:
    short_tokens: int
    long_tokens: int
    rare_share: float
    confident: float  # |score − 0.5| at least this: confident (scales differ between models)
    borderline: float  # |score − 0.5| below this: borderline


def cues(
    review: str,
    tokens: list[str],
    label: int,
    score: float,
    lexicon: dict[str, float],
    vocabulary: set[str],
    settings: CueSettings,
) -> dict[str, bool | dict]:
    """Which cues a review shows, and the words behind them (for the report)."""
    positive = [w for w in tokens if lexicon.get(w, 0) > 0]
    negative = [w for w in tokens if lexicon.get(w, 0) < 0]
    # "ne" is left out as a cue: "ne … pas" would count twice and "ne" reaches too far back.
    negated = [
        f"{tokens[i]} {tokens[j]}"
        for i, token in enumerate(tokens)
        if token in NEGATION_CUES and token != "ne"
        for j in range(i + 1, min(len(tokens), i + 1 + NEGATION_WINDOW))
        if abs(lexicon.get(tokens[j], 0)) >= STRONG_LOG_ODDS
    ]
    text = " ".join(tokens)
    contrast = [w for w in tokens if w in CONTRAST_WORDS] + [p for p in CONTRAST_PHRASES if p in text]
    irony_markers = IRONY_MARKS.findall(review) + [w for w in tokens if w in IRONY_WORDS]
    # Irony: the words say the opposite of the label, and something in the tone marks it.
    surface = sum(lexicon.get(w, 0.0) for w in tokens)
    contradicts = (surface > 0) != (label == 1) and surface != 0
    words = [w for w in tokens if w.isalpha()]
    unseen = [w for w in words if w not in vocabulary]
    return {
        "very_short": len(tokens) <= settings.short_tokens,
        "very_long": len(tokens) >= settings.long_tokens,
        "negation": bool(negated),
        "mixed": (bool(contrast) and bool(positive) and bool(negative)) or (len(positive) >= 2 and len(negative) >= 2),
        "irony": bool(irony_markers) and contradicts,
        "rare_words": bool(words) and len(unseen) / len(words) > settings.rare_share,
        "confidently_wrong": abs(score - 0.5) >= settings.confident,
        "borderline": abs(score - 0.5) < settings.borderline,
        "evidence": {
            "negated": negated[:4],
            "contrast": contrast[:3],
            "tone": [str(m) for m in irony_markers[:4]],
            "positive words": positive[:6],
            "negative words": negative[:6],
            "unseen": unseen[:6],
        },
    }


def primary_cause(flags: dict) -> str:
    for cause in CAUSES:
        if cause != "other" and flags.get(cause):
            return cause
    return "other"
