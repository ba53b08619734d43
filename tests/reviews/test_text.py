"""Cleaning, tokenisation and stop-words: negations must survive."""

import pandas as pd
import pytest

from pipelines.reviews.text import (
    GENERIC_STOP_WORDS,
    NEGATIONS,
    STOP_WORDS,
    clean,
    content_tokens,
    mark_negation_scope,
    remove_stop_words,
    tokenize,
)
from stages.reviews.preprocess import process


def tokens_of(text: str) -> list[str]:
    return tokenize(clean(text))


def test_clean_removes_html_urls_case_and_extra_whitespace():
    text = "<p>Un FILM   génial&nbsp;!</p>\n<br/>Voir https://www.allocine.fr/film/123 ou www.example.org"
    assert clean(text) == "un film génial ! voir ou"


def test_clean_normalises_apostrophes_and_letter_floods():
    assert clean("C’est nuuuuul, trooop long") == "c'est nul, trop long"


def test_tokenize_expands_elisions_and_keeps_ratings_and_tone_marks():
    assert tokens_of("J'ai adoré, qu'il est beau !!! 9/10...") == [
        "je",
        "ai",
        "adoré",
        ",",
        "que",
        "il",
        "est",
        "beau",
        "!",
        "9/10",
        "...",
    ]
    assert tokens_of("Aujourd'hui, un chef-d'œuvre") == ["aujourd'hui", ",", "un", "chef-d'œuvre"]


@pytest.mark.parametrize(
    ("sentence", "kept"),
    [
        ("Ce film n'est pas bon.", ["ne", "pas", "bon"]),
        ("Je n'ai jamais autant ri", ["ne", "jamais", "ri"]),
        ("Rien à sauver, aucun intérêt, ni drôle ni émouvant", ["rien", "aucun", "ni", "drôle", "émouvant"]),
        ("Un film sans intérêt, nul", ["sans", "nul"]),
        ("Je ne le reverrai plus", ["ne", "plus"]),
    ],
)
def test_negations_survive_stop_word_removal(sentence, kept):
    content = content_tokens(tokens_of(sentence))
    for word in kept:
        assert word in content, f"{word!r} lost from {sentence!r}: {content}"


def test_the_generic_list_would_have_removed_them():
    assert {"ne", "pas", "plus", "ni", "sans", "nul", "personne"} <= GENERIC_STOP_WORDS
    assert not NEGATIONS & STOP_WORDS
    assert remove_stop_words(tokens_of("Ce film n'est pas bon."), GENERIC_STOP_WORDS) == ["film", "bon"]
    assert content_tokens(tokens_of("Ce film n'est pas bon."), keep_negations=False) == ["film", "bon"]


def test_stop_words_and_boundary_punctuation_go_but_tone_marks_stay():
    assert content_tokens(tokens_of("Le film est très beau, mais trop long !")) == [
        "film",
        "très",
        "beau",
        "mais",
        "trop",
        "long",
        "!",
    ]


def test_negation_scope_marks_the_next_content_words_until_punctuation():
    assert mark_negation_scope(["pas", "du", "tout", "bon", ",", "beau"]) == [
        "pas",
        "du",
        "tout",
        "neg_bon",
        ",",
        "beau",
    ]
    assert content_tokens(tokens_of("Ce n'est pas mal, vraiment."), negation_scope=True) == [
        "ne",
        "pas",
        "neg_mal",
        "vraiment",
    ]


def test_process_adds_token_columns_without_touching_labels():
    frame = pd.DataFrame({"review": ["Pas bon du tout.", "Excellent film !"], "polarity": [0, 1]})
    out = process(frame, keep_negations=True, negation_scope=False)
    assert list(out["polarity"]) == [0, 1]
    assert out.loc[0, "tokens"] == "pas bon du tout ."
    assert out.loc[0, "content"] == "pas bon"
    assert list(out["n_tokens"]) == [5, 3]
