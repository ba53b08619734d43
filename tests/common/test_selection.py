import pytest

from pipelines.common.errors import DataError
from pipelines.common.selection import choose

SCORES = {"simple": 0.80, "complex": 0.80, "worse": 0.70}


def test_the_best_key_wins_in_either_direction():
    assert choose(SCORES, SCORES.get, split="validation", higher_is_better=False) == "worse"
    assert choose(["worse", "complex"], SCORES.get, split="cross-validation", higher_is_better=True) == "complex"


def test_a_full_tie_goes_to_the_candidate_listed_first_and_tie_breakers_decide_before():
    assert choose(SCORES, SCORES.get, split="validation", higher_is_better=True) == "simple"
    losses = {"simple": 0.5, "complex": 0.4, "worse": 0.1}
    key = lambda name: (SCORES[name], -losses[name])  # noqa: E731
    assert choose(SCORES, key, split="validation", higher_is_better=True) == "complex"


@pytest.mark.parametrize("split", ["test", "train", ""])
def test_selection_on_any_other_split_is_refused(split):
    with pytest.raises(ValueError, match="never on"):
        choose(SCORES, SCORES.get, split=split, higher_is_better=True)


def test_no_candidate_is_an_error_naming_what_was_chosen():
    with pytest.raises(DataError, match="no band model to choose from on the cross-validation split"):
        choose([], SCORES.get, split="cross-validation", higher_is_better=True, what="band model")
