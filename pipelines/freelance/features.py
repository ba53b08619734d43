"""What the models see: the title's TF-IDF, the seller's reliability and level, in one ColumnTransformer.

Reliability is the average rating weighted by how many reviews back it: a Bayesian average that pulls a
rating with few reviews toward the training mean rating, `(n·r + m·C) / (n + m)` with `n` reviews, rating `r`,
prior mean `C` and prior weight `m` reviews. An unrated gig (`n` = 0) gets `C`. `C` is learnt in `fit`, so
inside cross-validation it comes from the training folds only. The number of reviews (log) and whether
the gig is rated at all are kept beside it: volume is a signal of its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from pipelines.freelance.data import LEVEL_ORDER

TEXT = "title"
RELIABILITY_INPUTS = ["rating", "reviews"]
LEVEL = "level"
RELIABILITY_OUTPUTS = ["reliability", "log_reviews", "rated"]


def bayesian_rating(rating: np.ndarray, reviews: np.ndarray, prior_mean: float, prior_reviews: float) -> np.ndarray:
    """`(n·r + m·C) / (n + m)`; an unrated gig (rating NaN or no review) gets the prior mean."""
    rating = np.asarray(rating, dtype=float)
    reviews = np.asarray(reviews, dtype=float)
    weight = np.where(np.isnan(rating), 0.0, np.clip(reviews, 0, None))
    observed = np.where(np.isnan(rating), 0.0, rating)
    return (weight * observed + prior_reviews * prior_mean) / (weight + prior_reviews)


class ReliabilityFeatures(BaseEstimator, TransformerMixin):
    """rating, reviews → reliability (Bayesian average), log(1 + reviews), rated (0/1)."""

    def __init__(self, prior_reviews: float = 10.0):
        self.prior_reviews = prior_reviews

    def fit(self, X: pd.DataFrame, y=None) -> ReliabilityFeatures:
        rating = np.asarray(X["rating"], dtype=float)
        rated = rating[~np.isnan(rating)]
        self.prior_mean_ = float(rated.mean()) if rated.size else 0.0
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        rating = np.asarray(X["rating"], dtype=float)
        reviews = np.asarray(X["reviews"], dtype=float)
        reliability = bayesian_rating(rating, reviews, self.prior_mean_, self.prior_reviews)
        rated = (~np.isnan(rating) & (reviews > 0)).astype(float)
        return np.column_stack([reliability, np.log1p(np.clip(reviews, 0, None)), rated])

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array(RELIABILITY_OUTPUTS, dtype=object)


def title_tfidf(text: dict) -> TfidfVectorizer:
    """The title's TF-IDF (`text`: max_features, min_df, ngram_max, sublinear_tf), English stop words removed."""
    return TfidfVectorizer(
        max_features=text["max_features"],
        min_df=text["min_df"],
        ngram_range=(1, text["ngram_max"]),
        sublinear_tf=text["sublinear_tf"],
        stop_words="english",
    )


def make_features(text: dict, prior_reviews: float) -> ColumnTransformer:
    """TF-IDF of the title (`title_tfidf`) + reliability + level."""
    tfidf = title_tfidf(text)
    reliability = Pipeline([("bayes", ReliabilityFeatures(prior_reviews)), ("scale", StandardScaler())])
    level = OneHotEncoder(categories=[list(LEVEL_ORDER)], handle_unknown="ignore")
    return ColumnTransformer(
        [("text", tfidf, TEXT), ("reliability", reliability, RELIABILITY_INPUTS), ("level", level, [LEVEL])],
        sparse_threshold=1.0,
    )


def feature_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The model inputs of a gig frame, in the order the transformers read them."""
    return frame[[TEXT, *RELIABILITY_INPUTS, LEVEL]]
