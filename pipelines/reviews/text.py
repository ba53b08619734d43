"""French review text: cleaning, tokenisation, stop-words that keep negations.

Everything here is plain Python over strings (no model to load), so the same functions serve
the pipeline, the tests and any later serving code.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

from spacy.lang.fr.stop_words import STOP_WORDS as SPACY_STOP_WORDS

# Words that turn a sentence's meaning around. Generic French stop-word lists (spaCy's, NLTK's)
# contain most of them: removing them makes "ce film n'est pas bon" read "film bon".
NEGATIONS = frozenset(
    {"ne", "pas", "plus", "jamais", "rien", "aucun", "aucune", "aucunement", "nullement", "ni", "sans"}
    | {"personne", "nul", "nulle", "non", "guère", "guere"}
)
# Function words that carry opinion or its turning points (contrast, intensity): kept as well.
OPINION_FUNCTION_WORDS = frozenset(
    {"mais", "cependant", "pourtant", "néanmoins", "neanmoins", "toutefois", "malgré", "malgre", "certes"}
    | {"très", "tres", "trop", "peu", "moins", "assez", "tellement", "seulement", "bien", "mal", "merci", "suffit"}
)
# spaCy's list has elided forms ("n'", "l’"); tokens here are already expanded ("ne", "le").
GENERIC_STOP_WORDS = frozenset(word for word in SPACY_STOP_WORDS if not word.endswith(("'", "’")))
STOP_WORDS = GENERIC_STOP_WORDS - NEGATIONS - OPINION_FUNCTION_WORDS

# Negation scope: words after a negation cue, up to the next punctuation or a few tokens.
NEGATION_CUES = frozenset({"ne", "pas", "jamais", "rien", "aucun", "aucune", "ni", "sans", "guère", "nullement"})
NEGATION_PREFIX = "neg_"
NEGATION_SCOPE_TOKENS = 3

ELISIONS = {
    "c": "ce",
    "d": "de",
    "j": "je",
    "l": "le",
    "m": "me",
    "n": "ne",
    "s": "se",
    "t": "te",
    "qu": "que",
    "jusqu": "jusque",
    "lorsqu": "lorsque",
    "puisqu": "puisque",
    "quoiqu": "quoique",
}
# Sentence punctuation is kept as tokens (it bounds a negation's scope and helps the LSTM); a bag of
# words keeps only the marks that carry tone.
TONE_MARKS = frozenset({"!", "?", "..."})
BOUNDARY_MARKS = frozenset({".", ",", ";", ":", "(", ")"})

_TAG = re.compile(r"<[^>]+>")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_APOSTROPHES = re.compile(r"[’‘`´ʼ]")
_REPEATED_LETTERS = re.compile(r"([a-zà-öø-ÿœæ])\1{2,}")
_WHITESPACE = re.compile(r"\s+")
_LETTERS = "a-zà-öø-ÿœæ"
_TOKEN = re.compile(
    rf"(?P<elision>\b(?:{'|'.join(sorted(ELISIONS, key=len, reverse=True))})')(?=[{_LETTERS}h])"
    rf"|(?P<rating>\d+(?:[.,]\d+)?/\d+)"
    rf"|(?P<word>aujourd'hui|[{_LETTERS}]+-d'[{_LETTERS}]+|[{_LETTERS}0-9]+(?:-[{_LETTERS}0-9]+)*)"
    r"|(?P<dots>\.{3,}|…)"
    r"|(?P<mark>[!?]+)"
    r"|(?P<punct>[.,;:()])"
)


def clean(text: str) -> str:
    """HTML tags and entities, URLs, apostrophe variants, letter floods ("nuuul"), case, whitespace."""
    text = unicodedata.normalize("NFC", html.unescape(str(text)))
    text = _URL.sub(" ", _TAG.sub(" ", text))
    text = _APOSTROPHES.sub("'", text).lower()
    text = _REPEATED_LETTERS.sub(r"\1", text)
    return _WHITESPACE.sub(" ", text).strip()


def tokenize(cleaned: str) -> list[str]:
    """Tokens of a cleaned text: elisions expanded ("n'" → "ne"), ratings ("2/10") and punctuation kept."""
    tokens = []
    for match in _TOKEN.finditer(cleaned):
        kind, value = match.lastgroup, match.group()
        if kind == "elision":
            tokens.append(ELISIONS[value[:-1]])
        elif kind == "dots":
            tokens.append("...")
        elif kind == "mark":
            tokens.append("?" if "?" in value else "!")
        else:
            tokens.append(value)
    return tokens


def remove_stop_words(tokens: Iterable[str], stop_words: frozenset[str] = STOP_WORDS) -> list[str]:
    """Drop stop-words and boundary punctuation; "!", "?" and "..." stay."""
    return [token for token in tokens if token not in stop_words and token not in BOUNDARY_MARKS]


def mark_negation_scope(tokens: Iterable[str], scope: int = NEGATION_SCOPE_TOKENS) -> list[str]:
    """Prefix the few content words after a negation cue ("pas bon" → "pas neg_bon"), up to punctuation.

    A bag of words then sees "neg_bon" as its own feature instead of the positive "bon". Stop-words
    inside the scope ("pas du tout bon") are left as they are and do not use it up.
    """
    marked, remaining = [], 0
    for token in tokens:
        if token in NEGATION_CUES:
            marked.append(token)
            remaining = scope
        elif token in TONE_MARKS or token in BOUNDARY_MARKS:
            marked.append(token)
            remaining = 0
        elif remaining and token not in GENERIC_STOP_WORDS:
            marked.append(NEGATION_PREFIX + token)
            remaining -= 1
        else:
            marked.append(token)
    return marked


def content_tokens(tokens: list[str], *, keep_negations: bool = True, negation_scope: bool = False) -> list[str]:
    """The tokens a bag-of-words model reads: stop-words removed, negations kept unless asked otherwise."""
    stop_words = STOP_WORDS if keep_negations else GENERIC_STOP_WORDS
    if negation_scope:
        # Mark first, on the full sentence, so "n'est pas bon" marks "bon" and not a removed word.
        tokens = mark_negation_scope(tokens)
    return remove_stop_words(tokens, stop_words)


def count_negations(tokens: Iterable[str]) -> int:
    return sum(token in NEGATIONS for token in tokens)
