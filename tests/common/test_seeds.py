"""Seeds, their spread, and when a written comparison may rank two variants."""

import pytest

from pipelines.common.errors import ParamError
from pipelines.common.seeds import compare, distinguishable, mean_std, ranking, seed_list, spread


def test_seed_list_and_spread():
    assert seed_list(42, 3) == [42, 43, 44]
    with pytest.raises(ParamError, match="corn.train.seeds"):
        seed_list(42, 0, "corn.train.seeds")
    assert spread([0.5, 0.6, 0.7]) == {"mean": 0.6, "std": 0.1, "seeds": 3}
    assert spread([0.5]) == {"mean": 0.5, "std": 0.0, "seeds": 1}
    assert mean_std(0.615, 0.021, 3) == "61.5 % ± 2.1 (3 seeds)" and mean_std(0.6, 0.0, 1) == "60.0 % (1 run)"


def test_two_variants_are_ranked_only_beyond_their_spread():
    assert distinguishable(0.7, 0.01, 0.6, 0.01) and not distinguishable(0.7, 0.05, 0.6, 0.06)
    ahead = compare("a", {"mean": 0.6, "std": 0.01, "seeds": 3}, "b", {"mean": 0.7, "std": 0.01, "seeds": 3})
    assert ahead.startswith("b (70.0 % ± 1.0 (3 seeds)) against a") and "b is ahead by 10.0 points" in ahead
    tied = compare("a", {"mean": 0.6, "std": 0.05, "seeds": 3}, "b", {"mean": 0.7, "std": 0.06, "seeds": 3})
    assert "indistinguishable" in tied and "ahead" not in tied


def test_ranking_names_only_the_pairs_beyond_the_spread():
    entries = {
        "adam": {"mean": 0.8, "std": 0.01, "seeds": 3},
        "sgd": {"mean": 0.6, "std": 0.01, "seeds": 3},
        "rmsprop": {"mean": 0.79, "std": 0.01, "seeds": 3},
    }
    text = ranking(entries)
    assert text.startswith("adam 80.0 %") and "adam ahead of sgd" in text and "rmsprop ahead of sgd" in text
    assert "adam ahead of rmsprop" not in text
    close = ranking({name: {**e, "std": 0.2} for name, e in entries.items()})
    assert "these variants are indistinguishable" in close and "ahead" not in close
