"""The credit sections of params.yaml as typed models: each value's type and bounds declared once.

Every credit stage reads its sections through `load_section("credit.<section>", <Model>)`, so an unknown
key (a typo such as `credit.data.sead`) is refused naming it, and a value out of bounds is refused with the
same bound wherever it is read (the cost weights, for instance, by credit_train and credit_evaluate).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from pipelines.common.params import SectionModel
from pipelines.common.provenance import DATA_KINDS
from pipelines.credit.calibration import METHODS
from pipelines.credit.models import MODELS, STRATEGIES
from pipelines.credit.schema import FEATURE_NAMES

CALIBRATION_METHODS = (*METHODS, "auto")
Number = int | float  # an int stays an int (10, not 10.0, in the outputs that echo it)


class DataParams(SectionModel):
    """`credit.data`: the application files and the test split."""

    train_path: str = Field(min_length=1)
    current_path: str = Field(min_length=1)
    source: str
    description: str
    kind: Literal[DATA_KINDS]  # type: ignore[valid-type]
    test_size: float = Field(ge=0.05, le=0.5)
    seed: int
    max_labelled_rows: int = Field(0, ge=0)
    invalid_rows: Literal["refuse", "drop"] = "refuse"  # pipelines/credit/data.py


class FeatureParams(SectionModel):
    """`credit.features`."""

    excluded: list[str]
    onehot_max_levels: int = Field(ge=1)
    onehot_min_frequency: int = Field(ge=1)
    target_encoding_smooth: Number = Field(ge=0)
    log_skew_threshold: float = Field(ge=0)

    @field_validator("excluded")
    @classmethod
    def _application_fields(cls, excluded: list[str]) -> list[str]:
        unknown = [name for name in excluded if name not in FEATURE_NAMES]
        if unknown:
            raise ValueError(f"not application fields: {unknown}")
        return excluded


class CostParams(SectionModel):
    """`credit.cost`: the business cost fn·FN + fp·FP and the thresholds tried."""

    fn: Number = Field(ge=0)
    fp: Number = Field(ge=0)
    threshold_steps: int = Field(ge=10)

    @model_validator(mode="after")
    def _not_both_zero(self) -> CostParams:
        if self.fn + self.fp <= 0:
            raise ValueError("fn and fp cannot both be 0")
        return self


class Imbalance(SectionModel):
    default: Literal[STRATEGIES]  # type: ignore[valid-type]
    compare: list[Literal[STRATEGIES]]  # type: ignore[valid-type]
    compare_models: list[Literal[MODELS]]  # type: ignore[valid-type]
    ratio: float = Field(ge=0.05)
    select_by: Literal["business_cost", "auc"]


class Search(SectionModel):
    """One model's randomised search: `space` is parsed by pipelines/credit/models.py parse_space."""

    n_iter: int = Field(ge=1)
    fixed: dict[str, Any] = {}
    space: dict[str, Any] = {}


class TrainParams(SectionModel):
    """`credit.train`."""

    seed: int
    cv_folds: int = Field(ge=2)
    n_jobs: int = Field(ge=1)
    models: list[Literal[MODELS]]  # type: ignore[valid-type]
    imbalance: Imbalance
    search: dict[Literal[MODELS], Search]  # type: ignore[valid-type]

    @field_validator("models")
    @classmethod
    def _baseline(cls, models: list[str]) -> list[str]:
        if "dummy" not in models:
            raise ValueError("the dummy baseline is required (costs are compared to it)")
        return models

    @model_validator(mode="after")
    def _searches(self) -> TrainParams:
        unsearched = [name for name in self.models if name != "dummy" and name not in self.search]
        if unsearched:
            raise ValueError(f"search: no search for {unsearched}")
        return self


class CalibrationParams(SectionModel):
    """`credit.calibration`."""

    method: Literal[CALIBRATION_METHODS]  # type: ignore[valid-type]
    bins: int = Field(ge=2)


class EvaluationParams(SectionModel):
    """`credit.evaluation`."""

    select_by: Literal["business_cost", "auc_cv"]
    bootstrap: int = Field(ge=100)
    seed: int
    leakage_auc: float = Field(ge=0.5, le=1.0)
    ece_target: float = Field(ge=0, le=1)


class RegisterParams(SectionModel):
    """`credit.register`."""

    background_rows: int = Field(ge=10)
    seed: int


class MissingParams(SectionModel):
    """`credit.missing`: the grids of pipelines/credit/withholding.py."""

    points: int = Field(ge=2)
    joint_points: int = Field(ge=2)
    ext_points: int = Field(ge=2)


class ExplainParams(SectionModel):
    """`credit.explain`."""

    sample: int = Field(ge=50)
    max_display: int = Field(ge=5)
    clients: list[int] = []
    seed: int


class DriftParams(SectionModel):
    """`credit.drift`."""

    report_columns: int = Field(ge=1)
    top_drifts: int = Field(ge=1)


class Limits(SectionModel):
    """params.yaml `credit.monitor.limits`: an alert fires when a figure is beyond its limit."""

    min_requests: int = Field(ge=1, description="fewer scored requests than this: too few to judge drift")
    max_server_error_rate: float = Field(ge=0, le=1, description="share of 5xx answers")
    max_client_error_rate: float = Field(ge=0, le=1, description="share of 4xx answers (a broken client)")
    max_latency_p95_ms: float = Field(gt=0, description="95th percentile latency of scored requests")
    max_score_psi: float = Field(gt=0, description="population stability index of the probability")
    max_refusal_rate_change: float = Field(gt=0, le=1, description="refusal rate minus the reference's, absolute")
    max_drifted_share: float = Field(ge=0, le=1, description="share of the model's fields Evidently finds drifted")


class MonitorParams(SectionModel):
    """`credit.monitor`."""

    events: str = Field(min_length=1)
    report_columns: int = Field(ge=1)
    top_drifts: int = Field(ge=1)
    limits: Limits


SECTIONS: dict[str, type[SectionModel]] = {
    "data": DataParams,
    "features": FeatureParams,
    "cost": CostParams,
    "train": TrainParams,
    "calibration": CalibrationParams,
    "evaluation": EvaluationParams,
    "register": RegisterParams,
    "missing": MissingParams,
    "explain": ExplainParams,
    "drift": DriftParams,
    "monitor": MonitorParams,
}
