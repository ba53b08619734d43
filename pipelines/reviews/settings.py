"""The reviews section of params.yaml as typed models: each value's type and bounds declared once.

Every reviews stage reads the section through `reviews_params()`, the whole `reviews` tree validated by
`ReviewsParams`: an unknown key anywhere in it (a typo such as `reviews.lstm.sead`) is refused naming it, and
each value has one bound wherever it is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from pipelines.common.params import SectionModel, load_section
from pipelines.common.paths import PARAMS_FILE
from pipelines.common.provenance import DATA_KINDS

Positive = Annotated[float, Field(gt=0)]
Share = Annotated[float, Field(ge=0, le=1)]

CLASSIFIERS = ("logreg", "linear_svm", "naive_bayes")
INPUTS = ("content", "tokens")  # stop-words removed (negations kept) / every token
ARCHITECTURES = ("lstm", "bilstm")
OPTIMIZERS = ("adam", "rmsprop", "sgd", "adagrad")
VECTOR_SOURCES = ("spacy", "word2vec")
TRUNCATING = ("pre", "post")
GRIDS = {"logreg": "logreg_c_grid", "linear_svm": "svm_c_grid", "naive_bayes": "nb_alpha_grid"}  # the keys below


class Source(SectionModel):
    """One data set of `reviews.data.sources`; `description` defaults to the data set's name."""

    path: str = Field(min_length=1)
    description: str | None = None
    kind: Literal[DATA_KINDS] = "real-sample"  # type: ignore[valid-type]
    licence: str = "see the data README"


class DataParams(SectionModel):
    """`reviews.data`: the data sets run (primary first) and how their training split is cut."""

    primary: str
    datasets: list[str] = Field(min_length=1)
    sources: dict[str, Source]
    max_train_rows: int | None = Field(None, ge=100)  # null: every training review
    drop_cross_split_duplicates: bool = True

    @model_validator(mode="after")
    def _known_datasets(self) -> DataParams:
        if self.primary not in self.datasets:
            raise ValueError(f"primary {self.primary!r} is not in datasets {self.datasets}")
        unknown = [name for name in self.datasets if name not in self.sources]
        if unknown:
            raise ValueError(f"datasets {unknown} have no entry in sources")
        return self

    def ordered(self) -> list[str]:
        """The data sets to run, primary first."""
        return [self.primary, *[name for name in self.datasets if name != self.primary]]


class PreprocessParams(SectionModel):
    """`reviews.preprocess`."""

    keep_negations: bool
    negation_scope: bool
    examples: int = Field(5, ge=1)  # negation examples shown in the report


class FeatureSet(SectionModel):
    """One feature set of `reviews.baselines.features` (pipelines/reviews/classical.py FeatureSpec)."""

    weighting: Literal["count", "tfidf"]
    analyzer: Literal["word", "char", "char_wb"]
    ngram_range: list[Annotated[int, Field(ge=1)]] = Field(min_length=2, max_length=2)
    min_df: int = Field(1, ge=1)
    max_features: int | None = Field(None, ge=1)
    input: Literal[INPUTS]  # type: ignore[valid-type]
    sublinear_tf: bool = False

    @field_validator("ngram_range")
    @classmethod
    def _ordered(cls, ngram_range: list[int]) -> list[int]:
        if ngram_range[0] > ngram_range[1]:
            raise ValueError(f"expected [low, high] with low <= high, got {ngram_range}")
        return ngram_range


class BaselinesParams(SectionModel):
    """`reviews.baselines`: feature sets × classifiers, each classifier tuned over its grid on validation."""

    features: dict[str, FeatureSet] = Field(min_length=1)
    classifiers: list[Literal[CLASSIFIERS]] = Field(min_length=1)  # type: ignore[valid-type]
    logreg_c_grid: list[Positive] | None = Field(None, min_length=1)
    svm_c_grid: list[Positive] | None = Field(None, min_length=1)
    nb_alpha_grid: list[Positive] | None = Field(None, min_length=1)

    @field_validator("features")
    @classmethod
    def _named_by_weighting(cls, features: dict[str, FeatureSet]) -> dict[str, FeatureSet]:
        for name, spec in features.items():
            if not name.startswith("bow" if spec.weighting == "count" else "tfidf"):
                raise ValueError(f"{name}: count features are named bow*, tf-idf ones tfidf*")
        return features

    @model_validator(mode="after")
    def _grids(self) -> BaselinesParams:
        for classifier in self.classifiers:
            if self.grid(classifier) is None:
                raise ValueError(f"{classifier} needs its grid {GRIDS[classifier]}")
        return self

    def grid(self, classifier: str) -> list[float] | None:
        """The candidate values of `classifier`'s regularisation knob."""
        return getattr(self, GRIDS[classifier])


class VectorsParams(SectionModel):
    """`reviews.vectors`: the pretrained word vectors and the vocabulary built over them."""

    source: Literal[VECTOR_SOURCES]  # type: ignore[valid-type]
    spacy_model: str = Field(min_length=1)
    word2vec_path: str = Field(min_length=1)
    word2vec_binary: bool
    min_count: int = Field(ge=1)
    max_vocab: int = Field(ge=10)


class VariantParams(SectionModel):
    """One LSTM of `reviews.lstm.variants` (pipelines/reviews/lstm.py Variant)."""

    architecture: Literal[ARCHITECTURES]  # type: ignore[valid-type]
    units: int = Field(ge=1)
    layers: int = Field(1, ge=1, le=4)
    trainable_embeddings: bool
    dropout: float = Field(0.0, ge=0, le=0.9)
    optimizer: Literal[OPTIMIZERS]  # type: ignore[valid-type]
    learning_rate: float = Field(ge=1e-6, le=1.0)


class LstmParams(SectionModel):
    """`reviews.lstm`."""

    max_len: int = Field(ge=8)
    length_percentile: float = Field(ge=1, le=100)
    truncating: Literal[TRUNCATING]  # type: ignore[valid-type]
    seeds: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    max_epochs: int = Field(ge=1)
    patience: int = Field(ge=0)
    threads: int = Field(ge=1)
    variants: dict[str, VariantParams] = Field(min_length=1)

    @field_validator("variants")
    @classmethod
    def _named_lstm(cls, variants: dict[str, VariantParams]) -> dict[str, VariantParams]:
        wrong = [name for name in variants if "lstm" not in name]
        if wrong:
            raise ValueError(f"variant names must contain 'lstm', got {wrong}")
        return variants


class ErrorsParams(SectionModel):
    """`reviews.errors`: the cues of the error analysis."""

    short_tokens: int = Field(ge=1)
    rare_share: Share
    confident_quantile: Share
    borderline_quantile: Share
    examples_per_cause: int = Field(ge=1)


class ReviewsParams(SectionModel):
    """The whole `reviews` section."""

    seed: int
    data: DataParams
    preprocess: PreprocessParams
    baselines: BaselinesParams
    vectors: VectorsParams
    lstm: LstmParams
    errors: ErrorsParams


def reviews_params(path: Path = PARAMS_FILE) -> ReviewsParams:
    """params.yaml's `reviews` section, validated: ParamError naming the first bad parameter."""
    return load_section("reviews", ReviewsParams, path)
