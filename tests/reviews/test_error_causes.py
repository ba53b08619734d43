"""Cues behind misclassified reviews."""

import pandas as pd

from pipelines.reviews.error_causes import CueSettings, cues, polarity_lexicon, primary_cause
from pipelines.reviews.text import clean, tokenize

LEXICON = {"bon": 1.2, "excellent": 2.0, "génial": 1.5, "nul": -2.0, "ennuyeux": -1.5, "raté": -1.4}
SETTINGS = CueSettings(short_tokens=3, long_tokens=60, rare_share=0.5, confident=0.3, borderline=0.05)
VOCABULARY = {"ce", "film", "ne", "est", "pas", "bon", "excellent", "mais", "nul", "le", "scénario", "génial", "bravo"}


def found(review: str, score: float = 0.7, label: int = 0):
    tokens = tokenize(clean(review))
    return cues(review, tokens, label, score, LEXICON, VOCABULARY, SETTINGS)


def test_negated_opinion_word():
    flags = found("Ce film n'est pas bon du tout, franchement")
    assert flags["negation"] and primary_cause(flags) == "negation"
    assert flags["evidence"]["negated"] == ["pas bon"]


def test_mixed_opinions_around_a_contrast_word():
    flags = found("Les acteurs sont excellent, mais le scénario est nul et raté")
    assert flags["mixed"] and not flags["negation"]


def test_irony_is_opinion_words_against_the_label_with_a_tone_marker():
    flags = found("Bravo !!! Un scénario génial, excellent...", score=0.8, label=0)
    assert flags["irony"] and primary_cause(flags) == "irony"
    assert not found("Bravo !!! Un scénario génial, excellent...", score=0.8, label=1)["irony"]
    assert not found("Un scénario génial, excellent", score=0.8, label=0)["irony"]


def test_short_rare_and_score_based_causes():
    assert primary_cause(found("Nul.")) == "very_short"
    assert found("Xylophones zébrés quintessentiels farfelus, film")["rare_words"]
    assert primary_cause(found("Le film est un film comme un film le film", score=0.9)) == "confidently_wrong"
    assert primary_cause(found("Le film est un film comme un film le film", score=0.52)) == "borderline"


def test_polarity_lexicon_learns_signs_from_training_reviews():
    tokens = pd.Series(["film excellent"] * 5 + ["film nul"] * 5)
    labels = pd.Series([1] * 5 + [0] * 5)
    lexicon = polarity_lexicon(tokens, labels)
    assert lexicon["excellent"] > 0 > lexicon["nul"] and "film" not in lexicon
