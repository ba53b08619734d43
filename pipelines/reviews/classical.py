"""Bag-of-words and TF-IDF baselines: vectorisers × linear classifiers, tuned on the validation split."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from pipelines.reviews.settings import CLASSIFIERS, GRIDS, FeatureSet

# Each classifier's regularisation knob and the params key holding its candidate values.
KNOBS = {"logreg": "C", "linear_svm": "C", "naive_bayes": "alpha"}
HYPERPARAMETER = {name: (KNOBS[name], GRIDS[name]) for name in CLASSIFIERS}


@dataclass(frozen=True)
class FeatureSpec:
    """One way of turning text into a sparse matrix (`bow`, `tfidf`, `tfidf_char`, …)."""

    name: str
    weighting: str  # "count" or "tfidf"
    analyzer: str  # "word", "char" or "char_wb"
    ngram_range: tuple[int, int]
    min_df: int
    max_features: int | None
    input: str  # a column of the processed split: "content" or "tokens"
    sublinear_tf: bool = False

    @classmethod
    def from_params(cls, name: str, params: FeatureSet) -> FeatureSpec:
        low, high = params.ngram_range
        return cls(
            name=name,
            weighting=params.weighting,
            analyzer=params.analyzer,
            ngram_range=(low, high),
            min_df=params.min_df,
            max_features=params.max_features,
            input=params.input,
            sublinear_tf=params.sublinear_tf,
        )

    def vectorizer(self) -> CountVectorizer | TfidfVectorizer:
        common: dict[str, Any] = {
            "analyzer": self.analyzer,
            "ngram_range": self.ngram_range,
            "min_df": self.min_df,
            "max_features": self.max_features,
            "lowercase": False,  # the text is cleaned (lower-cased) upstream
            "dtype": np.float32,
        }
        if self.analyzer == "word":
            # Tokens are already split (space-joined): keep them whole ("!", "2/10", "neg_bon").
            common["token_pattern"] = None
            common["tokenizer"] = str.split
        if self.weighting == "count":
            return CountVectorizer(**common)
        return TfidfVectorizer(sublinear_tf=self.sublinear_tf, **common)


def make_classifier(name: str, value: float, seed: int):
    if name == "logreg":
        return LogisticRegression(C=value, max_iter=2000, random_state=seed)
    if name == "linear_svm":
        return LinearSVC(C=value, max_iter=5000, random_state=seed)
    if name == "naive_bayes":
        return MultinomialNB(alpha=value)
    raise ValueError(f"unknown classifier {name!r}")


def build_pipeline(spec: FeatureSpec, classifier: str, value: float, seed: int) -> Pipeline:
    return Pipeline([("features", spec.vectorizer()), ("classifier", make_classifier(classifier, value, seed))])


def pipeline_from_summary(summary: dict[str, Any], seed: int) -> Pipeline:
    """An unfitted pipeline with the configuration a baselines summary recorded (to refit it elsewhere)."""
    spec = FeatureSpec(**{**summary["feature_spec"], "ngram_range": tuple(summary["feature_spec"]["ngram_range"])})
    knob = HYPERPARAMETER[summary["classifier"]][0]
    return build_pipeline(spec, summary["classifier"], summary[knob], seed)


def positive_score(model: Pipeline, texts: pd.Series) -> np.ndarray:
    """A score in [0, 1] that grows with the positive class: a probability, or a squashed SVM margin."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(texts)[:, 1]
    return 1.0 / (1.0 + np.exp(-model.decision_function(texts)))


def fit_tuned(
    spec: FeatureSpec,
    classifiers: dict[str, list[float]],
    train: pd.DataFrame,
    validation: pd.DataFrame,
    seed: int,
) -> dict[str, tuple[Pipeline, dict[str, Any]]]:
    """For one feature set: vectorise once, then per classifier fit one model per candidate value and
    keep the one with the best validation accuracy (ties: the first, i.e. the smallest value listed)."""
    started = time.perf_counter()
    vectorizer = spec.vectorizer()
    train_matrix = vectorizer.fit_transform(train[spec.input])
    validation_matrix = vectorizer.transform(validation[spec.input])
    vectorise_seconds = time.perf_counter() - started
    fitted = {}
    for classifier, candidates in classifiers.items():
        knob = HYPERPARAMETER[classifier][0]
        started = time.perf_counter()
        best: tuple[float, Any, float] | None = None
        tried = {}
        for value in candidates:
            estimator = make_classifier(classifier, value, seed).fit(train_matrix, train["polarity"])
            accuracy = float((estimator.predict(validation_matrix) == validation["polarity"].to_numpy()).mean())
            tried[str(value)] = round(accuracy, 4)
            if best is None or accuracy > best[0]:
                best = (accuracy, estimator, value)
        accuracy, estimator, value = best
        model = Pipeline([("features", vectorizer), ("classifier", estimator)])
        fitted[classifier] = (
            model,
            {
                "family": "bow" if spec.weighting == "count" else "tfidf",
                "features": spec.name,
                "feature_spec": {**asdict(spec), "ngram_range": list(spec.ngram_range)},
                "classifier": classifier,
                knob: value,
                "validation_accuracy_by_" + knob: tried,
                "validation_accuracy": round(accuracy, 4),
                "n_features": len(vectorizer.vocabulary_),
                "vectorise_seconds": round(vectorise_seconds, 2),
                "fit_seconds": round(time.perf_counter() - started, 2),
            },
        )
    return fitted
