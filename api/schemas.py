"""Response models of the API: what /docs and /openapi.json document, with examples taken from a real run.

Times are ISO 8601 in UTC ("Z"); temperatures are °C rounded to 0.01. The credit scoring request and answer
(`CreditApplication`, `CreditScore`) are declared next to the model, in pipelines/credit/scoring.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EXAMPLE_DATE = "2025-03-19"
EXAMPLE_MODEL = {"model_id": 1, "model_name": "xgboost_lags_rolling_exog", "model_version": "20250318-70c4220771"}
EXAMPLE_DATES = [f"2025-03-{day}" for day in range(19, 32)] + ["2025-04-01"]


class Prediction(BaseModel):
    target_time: dt.datetime = Field(description="Start of the 3-hour step (UTC); its value is the mean of 3 hours")
    step: int = Field(ge=0, le=7, description="Step of the day: 0 = 00h-03h UTC … 7 = 21h-24h UTC")
    predicted_temperature: float = Field(description="Predicted 2 m temperature, °C")
    lower_80: float | None = Field(None, description="80 % prediction interval, lower bound, °C (conformal)")
    upper_80: float | None = Field(None, description="80 % prediction interval, upper bound, °C")
    lower_95: float | None = Field(None, description="95 % prediction interval, lower bound, °C")
    upper_95: float | None = Field(None, description="95 % prediction interval, upper bound, °C")
    issue_time: dt.datetime = Field(description="When the forecast was made (UTC): 21h the day before")
    location: str = Field(description="Where (the pipeline's weather.location.name)")
    model_id: int = Field(description="The model's id in the database")
    model_name: str
    model_version: str

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target_time": "2025-03-19T12:00:00Z",
                    "step": 4,
                    "predicted_temperature": 10.61,
                    "lower_80": 9.12,
                    "upper_80": 12.1,
                    "lower_95": 8.03,
                    "upper_95": 13.19,
                    "issue_time": "2025-03-18T21:00:00Z",
                    "location": "IJmuiden",
                    **EXAMPLE_MODEL,
                }
            ]
        }
    )


class DayPredictions(BaseModel):
    date: dt.date = Field(description="The day asked for (UTC)")
    count: int = Field(ge=1, description="Number of predictions (8 per model that forecast this day)")
    predictions: list[Prediction] = Field(description="Ordered by target time, then model")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "date": EXAMPLE_DATE,
                    "count": 8,
                    "predictions": [
                        {
                            "target_time": f"{EXAMPLE_DATE}T{3 * step:02d}:00:00Z",
                            "step": step,
                            "predicted_temperature": value,
                            "issue_time": "2025-03-18T21:00:00Z",
                            "location": "IJmuiden",
                            **EXAMPLE_MODEL,
                        }
                        for step, value in enumerate([2.6, 1.19, 1.95, 6.93, 10.61, 9.88, 7.06, 4.67])
                    ],
                }
            ]
        }
    )


class CombinedPoint(Prediction):
    observed_temperature: float | None = Field(
        description="Observed 3-hour mean temperature, °C; null when not observed (yet)"
    )
    error: float | None = Field(
        description="predicted - observed, °C, from the unrounded values; null without an observation"
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target_time": "2025-03-19T00:00:00Z",
                    "step": 0,
                    "predicted_temperature": 2.6,
                    "issue_time": "2025-03-18T21:00:00Z",
                    "location": "IJmuiden",
                    **EXAMPLE_MODEL,
                    "observed_temperature": 2.28,
                    "error": 0.31,
                }
            ]
        }
    )


class CombinedPredictions(BaseModel):
    start: dt.date = Field(description="First day of the period (UTC), inclusive")
    end: dt.date = Field(description="Last day of the period (UTC), inclusive")
    count: int = Field(ge=1, description="Number of predictions in the period")
    observed_count: int = Field(ge=0, description="How many of them have an observed value")
    mae: float | None = Field(description="Mean absolute error over the observed points, °C")
    rmse: float | None = Field(description="Root mean squared error over the observed points, °C")
    items: list[CombinedPoint] = Field(description="Ordered by target time, then model")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "start": EXAMPLE_DATE,
                    "end": EXAMPLE_DATE,
                    "count": 8,
                    "observed_count": 8,
                    "mae": 1.87,
                    "rmse": 2.42,
                    "items": [
                        {
                            "target_time": f"{EXAMPLE_DATE}T00:00:00Z",
                            "step": 0,
                            "predicted_temperature": 2.6,
                            "issue_time": "2025-03-18T21:00:00Z",
                            "location": "IJmuiden",
                            **EXAMPLE_MODEL,
                            "observed_temperature": 2.28,
                            "error": 0.31,
                        }
                    ],
                }
            ]
        }
    )


class ModelSummary(BaseModel):
    name: str
    version: str
    training_start: dt.datetime | None = None
    training_end: dt.datetime | None = None
    created_at: dt.datetime | None = None


class DatabaseHealth(BaseModel):
    available: bool = Field(description="The database answered and holds the prediction tables")
    backend: str = Field(description="sqlite or postgresql")
    detail: str | None = Field(default=None, description="What is wrong when it is not available")
    prediction_days: int = Field(ge=0, description="Number of days with predictions")
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    latest_model: ModelSummary | None = Field(default=None, description="The most recently registered model")


class ModelCardHealth(BaseModel):
    found: bool = Field(description="The model card the batch stage wrote was read at start-up")
    detail: str | None = None
    name: str | None = None
    version: str | None = None
    created_at: str | None = None


EXAMPLE_CREDIT_VERSION = "xgboost-07535ba25ee8"


class CreditHealth(BaseModel):
    available: bool = Field(
        description="The credit model was loaded at start-up: /credit/score and /credit/model answer (else 503)"
    )
    detail: str | None = Field(default=None, description="Why it is not available: which files are missing…")
    model_dir: str = Field(description="Where the model was looked for (CREDIT_MODEL_DIR)")
    model: str | None = None
    version: str | None = None
    threshold: float | None = Field(default=None, description="Registered decision threshold")
    created_at: str | None = None
    library_mismatches: dict[str, dict[str, str | None]] = Field(
        default_factory=dict,
        description="Libraries whose running version differs from the one the model was trained with",
    )


class RegisteredModelHealth(BaseModel):
    available: bool = Field(description="The model was loaded at start-up: its endpoints answer (else 503)")
    detail: str | None = Field(default=None, description="Why it is not available: which file is missing…")
    model_dir: str = Field(description="Where the model was looked for (its *_MODEL_DIR setting)")
    version: str | None = Field(default=None, description="The registered version served")


class EventStoreHealth(BaseModel):
    enabled: bool = Field(
        description="Scoring requests are being stored (CREDIT_EVENTS_URL); scoring answers either way"
    )
    detail: str | None = Field(default=None, description="Why not: the store could not be opened, or is turned off")
    stored: int = Field(description="Events stored since start-up")
    failed: int = Field(description="Events the database refused since start-up (logged)")
    dropped: int = Field(description="Events dropped because the write queue was full (logged)")


class Health(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description="The weather service: ok when the database is readable and holds predictions and the model "
        "card was found; degraded: the process is alive but something it serves is missing (data endpoints "
        "answer 503 when the database is the problem). The credit model is reported in `credit` and does "
        "not change `status`; so are the cars and freelance models."
    )
    version: str = Field(description="Same as GET /version")
    database: DatabaseHealth
    model_card: ModelCardHealth
    credit: CreditHealth
    credit_events: EventStoreHealth
    cars: RegisteredModelHealth = Field(description="The used-car price model (POST /cars/estimate)")
    freelance: RegisteredModelHealth = Field(description="The freelance-service price model (POST /freelance/estimate)")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "version": "0.0.0",
                    "database": {
                        "available": True,
                        "backend": "sqlite",
                        "detail": None,
                        "prediction_days": 14,
                        "first_date": "2025-03-19",
                        "last_date": "2025-04-01",
                        "latest_model": {
                            "name": "xgboost_lags_rolling_exog",
                            "version": "20250318-70c4220771",
                            "training_start": "2018-01-31T00:00:00Z",
                            "training_end": "2025-03-18T21:00:00Z",
                            "created_at": "2026-11-29T14:44:52Z",
                        },
                    },
                    "model_card": {
                        "found": True,
                        "detail": None,
                        "name": "xgboost_lags_rolling_exog",
                        "version": "20250318-70c4220771",
                        "created_at": "2026-11-29T14:44:50+00:00",
                    },
                    "credit": {
                        "available": True,
                        "detail": None,
                        "model_dir": "/app/models/credit",
                        "model": "xgboost",
                        "version": EXAMPLE_CREDIT_VERSION,
                        "threshold": 0.448,
                        "created_at": "2026-11-29T16:01:46+00:00",
                        "library_mismatches": {},
                    },
                    "credit_events": {"enabled": True, "detail": None, "stored": 42, "failed": 0, "dropped": 0},
                    "cars": {
                        "available": True,
                        "detail": None,
                        "model_dir": "/app/models/cars",
                        "version": "xgboost-e9d24f44f85d",
                    },
                    "freelance": {
                        "available": True,
                        "detail": None,
                        "model_dir": "/app/models/freelance",
                        "version": "ridge+random_forest-779588da4e09",
                    },
                }
            ]
        }
    )


class CreditDecisionRule(BaseModel):
    threshold: float = Field(ge=0, le=1, description="refuse when the probability of default is ≥ threshold")
    rule: str | None = None
    cost_weights: dict[str, float] | None = Field(default=None, description="Cost of a false negative, positive")
    chosen_on: str | None = None

    model_config = ConfigDict(extra="allow")


class FeatureImportance(BaseModel):
    feature: str = Field(description="Application or engineered field (one-hot levels and missing flags added up)")
    mean_abs_contribution: float = Field(description="Mean |SHAP| over the sample, in `units`")
    share: float = Field(ge=0, le=1, description="Its share of the summed mean |SHAP| of every field")


class CreditImportance(BaseModel):
    """Global importance of the registered credit model: what moves its scores most, over training clients."""

    model_version: str = Field(description="The registered version explained (as in every /credit/score answer)")
    units: str = Field(description="Units of the contributions: log-odds of default (or probability)")
    rows: int = Field(description="Number of training applications explained")
    sample: str = Field(description="Which applications were explained")
    features: list[FeatureImportance] = Field(description="Every field the model reads, most important first")


class MonitoringAlert(BaseModel):
    name: str = Field(description="The figure beyond its limit, e.g. score_psi, latency_p95_ms")
    value: float
    limit: float
    message: str


class MonitoringSummary(BaseModel):
    """The latest summary the monitoring command wrote (stages/credit/monitor.py)."""

    status: Literal["ok", "alert"] = Field(description="alert when any figure is beyond its limit")
    alerts: list[MonitoringAlert]
    source: str = Field(description="The events monitored: a recorded traffic file or the event store")
    model: dict[str, str] = Field(description="The registered model the reference belongs to")
    operations: dict[str, Any] = Field(description="Requests, 4xx/5xx rates, p50/p95 latency, requests per day")
    scores: dict[str, Any] = Field(description="Probability and refusal rate against the training reference")
    drift: dict[str, Any] = Field(description="Evidently's verdict on the inputs, per field the model reads")
    limits: dict[str, float] = Field(description="params.yaml credit.monitor.limits")

    model_config = ConfigDict(extra="allow")


class CreditModelCard(BaseModel):
    """The registered credit model's card (models/credit/model_card.json, written by the credit_register stage),
    served as it is on disk; the fields below are documented, the card may hold more."""

    name: str | None = Field(default=None, description="Registry name of the model")
    model: str = Field(description="Model family id: xgboost, logistic, random_forest…")
    version: str = Field(description="Registered version: also in every /credit/score answer")
    family: str | None = None
    created_at: str | None = None
    artefact_sha256: str | None = Field(default=None, description="SHA-256 of model.joblib")
    task: str | None = None
    decision: CreditDecisionRule
    parameters: dict[str, Any] | None = Field(default=None, description="Tuned hyper-parameters")
    imbalance_strategy: str | None = None
    probability_note: str | None = None
    metrics: dict[str, Any] | None = Field(default=None, description="Test and cross-validation measurements")
    features: dict[str, Any] = Field(description="Inputs, excluded and engineered fields, required ones…")
    explanations: dict[str, Any] | None = None
    data: dict[str, Any] | None = Field(default=None, description="Training data provenance")
    library_versions: dict[str, str] = Field(description="Versions the model was trained with")
    intended_use: str | None = None
    limitations: list[str] | None = None

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "name": "credit-default-scorer",
                    "model": "xgboost",
                    "version": EXAMPLE_CREDIT_VERSION,
                    "family": "gradient boosting",
                    "created_at": "2026-11-29T16:01:46+00:00",
                    "task": "probability that a loan applicant defaults (Home Credit application fields)",
                    "decision": {
                        "threshold": 0.448,
                        "rule": "refuse when probability >= threshold, grant otherwise",
                        "cost_weights": {"fn": 10, "fp": 1},
                        "chosen_on": "out-of-fold predictions of the training split (never the test split)",
                    },
                    "metrics": {"test": {"auc": 0.7589, "business_cost": 0.5283, "threshold": 0.448}},
                    "features": {
                        "required": ["NAME_CONTRACT_TYPE", "AMT_INCOME_TOTAL", "AMT_CREDIT", "DAYS_BIRTH"],
                        "excluded": ["CODE_GENDER"],
                    },
                    "library_versions": {"python": "3.11.7", "scikit-learn": "1.9.1", "xgboost": "3.2.0"},
                    "intended_use": "decision support for loan officers, with the explanation shown; not an "
                    "automatic refusal",
                }
            ]
        },
    )


class ErrorMessage(BaseModel):
    detail: str = Field(description="What was wrong, in words")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"detail": "date: '2025-02-30' is not a calendar date (day is out of range for month)"}]
        }
    )


class NotFoundMessage(ErrorMessage):
    available_dates: list[dt.date] = Field(description="Every day that has predictions, oldest first")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": "no predictions for 2025-05-01; predictions exist for 14 day(s) "
                    "from 2025-03-19 to 2025-04-01 (see available_dates)",
                    "available_dates": EXAMPLE_DATES,
                }
            ]
        }
    )
