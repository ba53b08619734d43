"""The reviews section of params.yaml as one typed model: bad values and unknown keys refused by name, one
bound wherever a value is read."""

from __future__ import annotations

import pytest

from pipelines.common.errors import ParamError
from pipelines.common.params import parse_section
from pipelines.reviews.classical import FeatureSpec
from pipelines.reviews.settings import ReviewsParams, reviews_params
from stages.reviews import embeddings, error_analysis, prepare, preprocess, train_baselines, train_lstm
from tests.typed_params import changed, errors_of_stages, params_file_with, section

REVIEWS = section("reviews")
STAGES = [prepare, preprocess, train_baselines, embeddings, train_lstm, error_analysis]


def test_the_reviews_section_of_params_yaml_parses_with_every_key_modelled():
    params = reviews_params()
    assert set(REVIEWS) == set(ReviewsParams.model_fields)
    assert params.model_dump(exclude_unset=True) == REVIEWS  # nothing dropped, no value changed
    assert params.data.ordered()[0] == REVIEWS["data"]["primary"]


def test_the_defaults_are_the_ones_the_stages_had():
    """Keys a params file may leave out: a feature set without min_df, max_features or sublinear_tf, a source
    without description, kind or licence, a variant without layers or dropout."""
    bow = {"weighting": "count", "analyzer": "word", "ngram_range": [1, 1], "input": "content"}
    trimmed = changed(REVIEWS, "baselines.features", {"bow": bow})
    trimmed = changed(trimmed, "data.sources.allocine", {"path": REVIEWS["data"]["sources"]["allocine"]["path"]})
    variant = {k: v for k, v in REVIEWS["lstm"]["variants"]["lstm_frozen"].items() if k not in ("layers", "dropout")}
    trimmed = changed(trimmed, "lstm.variants", {"lstm_frozen": variant})
    for key in ("max_train_rows", "drop_cross_split_duplicates"):
        del trimmed["data"][key]
    params = parse_section(ReviewsParams, trimmed, "reviews")
    assert FeatureSpec.from_params("bow", params.baselines.features["bow"]) == FeatureSpec(
        "bow", "count", "word", (1, 1), 1, None, "content", False
    )
    source = params.data.sources["allocine"]
    assert (source.description, source.kind, source.licence) == (None, "real-sample", "see the data README")
    assert (params.lstm.variants["lstm_frozen"].layers, params.lstm.variants["lstm_frozen"].dropout) == (1, 0.0)
    assert (params.data.max_train_rows, params.data.drop_cross_split_duplicates) == (None, True)


@pytest.mark.parametrize(
    ("dotted", "value", "name", "problem"),
    [
        ("lstm.seeds", -1, None, "greater than or equal to 1, got -1"),
        ("lstm.threads", 0, None, "greater than or equal to 1"),
        ("vectors.min_count", -2, None, "greater than or equal to 1"),
        ("data.max_train_rows", 50, None, "greater than or equal to 100, got 50"),
        ("errors.rare_share", 1.5, None, "less than or equal to 1, got 1.5"),
        ("errors.confident_quantile", -0.1, None, "greater than or equal to 0"),
        ("lstm.variants.lstm_frozen.dropout", 0.95, None, "less than or equal to 0.9"),
        ("lstm.variants.lstm_frozen.learning_rate", 5, None, "less than or equal to 1"),
        ("lstm.length_percentile", 0, None, "greater than or equal to 1"),
        ("baselines.logreg_c_grid.1", -1.0, None, "greater than 0"),
        ("lstm.sead", 42, None, "unknown parameter (a typo?)"),
        ("sead", 42, None, "unknown parameter (a typo?)"),
        ("baselines.features.bow.min_dif", 2, None, "unknown parameter (a typo?)"),
        ("lstm.batch_size", "128", None, "valid integer, got '128'"),
        ("preprocess.keep_negations", "yes", None, "valid boolean"),
        ("seed", 4.2, None, "valid integer"),
        ("errors.rare_share", "0.1", None, "valid number, got '0.1'"),
        ("lstm.truncating", "middle", None, "Input should be 'pre' or 'post'"),
        ("baselines.classifiers.0", "svm", None, "Input should be 'logreg'"),
        ("vectors.source", "glove", None, "Input should be 'spacy' or 'word2vec'"),
        ("data.sources.allocine.kind", "made-up", None, "Input should be"),
        ("baselines.features.bow.ngram_range", [2, 1], None, "low <= high"),
        ("baselines.features.bow.weighting", "tfidf", "reviews.baselines.features", "named bow*"),
        ("lstm.variants", {"gru": REVIEWS["lstm"]["variants"]["lstm_frozen"]}, None, "must contain 'lstm'"),
        ("data.primary", "imdb", "reviews.data", "primary 'imdb' is not in datasets"),
        ("data.datasets", ["allocine", "imdb"], "reviews.data", "['imdb'] have no entry in sources"),
        ("baselines.nb_alpha_grid", None, "reviews.baselines", "naive_bayes needs its grid nb_alpha_grid"),
    ],
)
def test_a_bad_value_or_an_unknown_key_is_refused_naming_the_parameter(dotted, value, name, problem):
    with pytest.raises(ParamError) as caught:
        parse_section(ReviewsParams, changed(REVIEWS, dotted, value), "reviews")
    assert caught.value.name == (name or f"reviews.{dotted}") and problem in caught.value.problem


@pytest.mark.parametrize(("dotted", "value"), [("lstm.seeds", 0), ("errors.sead", 42), ("vectors.max_vocab", "5")])
def test_every_reviews_stage_refuses_a_bad_params_file_the_same_way(monkeypatch, tmp_path, dotted, value):
    path = params_file_with(tmp_path, "reviews", dotted, value)
    errors = errors_of_stages(monkeypatch, STAGES, "reviews_params", lambda: reviews_params(path))
    assert set(errors) == {stage.__name__ for stage in STAGES}
    assert len(set(errors.values())) == 1 and f"reviews.{dotted}: " in next(iter(errors.values()))
