"""Behavioural tests of the best baseline: short phrases whose polarity nobody would doubt.

The configuration is the one the pipeline chose on validation (models/reviews/baselines.json, kept in
git); the model is refitted here on the shipped training split, so the test needs no DVC cache. When the
pipeline's own fitted model is present, it is checked too.
"""

import json

import joblib
import pandas as pd
import pytest

from pipelines.common.paths import ROOT
from pipelines.reviews.classical import pipeline_from_summary
from pipelines.reviews.data import load_reviews
from pipelines.reviews.paths import BASELINE_MODEL, BASELINE_SUMMARY
from pipelines.reviews.settings import reviews_params
from stages.reviews.preprocess import process

NEGATIVE = ["pas bon", "vraiment nul", "Ce film n'est pas bon.", "Un navet, vraiment nul."]
POSITIVE = ["excellent film", "Un excellent film, je le recommande !"]


def inputs(texts, spec_input: str, preprocess) -> pd.Series:
    frame = pd.DataFrame({"review": texts, "polarity": 0})
    processed = process(
        frame,
        keep_negations=preprocess.keep_negations,
        negation_scope=preprocess.negation_scope,
    )
    return processed[spec_input]


def chosen_models():
    summary = json.loads(BASELINE_SUMMARY.read_text())
    primary = summary["best_model_file"]["dataset"]
    best = summary["datasets"][primary][summary["best"][primary]]
    reviews = reviews_params()
    preprocess = reviews.preprocess
    train = load_reviews(ROOT / reviews.data.sources[primary].path)[0]["train"]
    refitted = pipeline_from_summary(best, reviews.seed)
    refitted.fit(inputs(train["review"], best["feature_spec"]["input"], preprocess), train["polarity"])
    models = {f"{summary['best'][primary]} (refitted)": refitted}
    if BASELINE_MODEL.exists():
        models[f"{summary['best'][primary]} (pipeline artefact)"] = joblib.load(BASELINE_MODEL)
    return models, best["feature_spec"]["input"], preprocess


@pytest.fixture(scope="module")
def best_baseline():
    if not BASELINE_SUMMARY.exists():
        pytest.fail(f"{BASELINE_SUMMARY} is missing: run `dvc repro --glob 'reviews_*'` and commit it")
    return chosen_models()


@pytest.mark.parametrize("text", NEGATIVE)
def test_clearly_negative_phrases_are_negative(best_baseline, text):
    models, spec_input, preprocess = best_baseline
    for name, model in models.items():
        assert model.predict(inputs([text], spec_input, preprocess))[0] == 0, f"{name} reads {text!r} as positive"


@pytest.mark.parametrize("text", POSITIVE)
def test_clearly_positive_phrases_are_positive(best_baseline, text):
    models, spec_input, preprocess = best_baseline
    for name, model in models.items():
        assert model.predict(inputs([text], spec_input, preprocess))[0] == 1, f"{name} reads {text!r} as negative"


def test_negating_a_positive_word_lowers_the_score(best_baseline):
    models, spec_input, preprocess = best_baseline
    for model in models.values():
        scores = model.predict_proba(inputs(["bon", "pas bon"], spec_input, preprocess))[:, 1]
        assert scores[1] < scores[0]
