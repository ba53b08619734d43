"""Scoring one loan application with the registered model: served as `POST /credit/score` and
`GET /credit/model` by api/credit.py.

`CreditApplication` is the request body: every application field of the Kaggle layout, typed, with
impossible values rejected and the error naming the field; only the core fields are required, any
other missing field becomes a missing value (the model imputes it or handles it natively). Numeric
fields take numbers only (no "1000", no true); the bounds are the schema's (pipelines/credit/schema.py),
the ones the training loader applies, float32's range where none is declared; an engineered ratio that
would overflow float32 is refused naming it and the fields it is computed from.
`CreditScorer` loads the registered model, its model card and its SHAP explainer once, then scores:
probability of default, decision at the registered threshold, model version, and the fields that
moved this client's score most. A tree model's application is encoded with numpy (pipelines/credit/
encoding.py: ~3 ms of CPU per score instead of ~95 ms through a one-row DataFrame); `score_reference`
keeps the DataFrame path, which the fast one must equal (checked at load on the SHAP background rows,
falling back to the reference path if not, and by tests/credit/test_encoding.py on the test split).

Importing this module is light (pydantic, numpy, pandas): scikit-learn, XGBoost, SHAP and joblib are
imported when a `CreditScorer` is built, so a service declares the request and response models at
import time and loads the model, with those libraries, at start-up (api/credit.py does)::

    scorer = CreditScorer()                       # at start-up (lifespan)
    @app.post("/credit/score", response_model=CreditScore)
    def score(application: CreditApplication) -> dict:   # FastAPI answers 422 on invalid fields
        return scorer.score(application)          # CreditInputError: values the model cannot take
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pipelines.common.errors import DataError
from pipelines.common.io import read_json
from pipelines.common.logs import get_logger
from pipelines.common.provenance import library_versions
from pipelines.credit.paths import DIRS
from pipelines.credit.schema import (
    CATEGORICAL,
    FEATURE_NAMES,
    FEATURES,
    ID,
    LARGEST_SCORABLE,
    Column,
    employment_problem,
)
from pipelines.credit.withholding import Verdict

if TYPE_CHECKING:
    from pipelines.credit.encoding import RowEncoder

log = get_logger("credit.scoring")
MODEL_FILE = "model.joblib"
CARD_FILE = "model_card.json"
BACKGROUND_FILE = "shap_background.csv.gz"
GRID_FILE = "missing_value_grid.json"  # pipelines/credit/withholding.py
CHECKED_LIBRARIES = ("scikit-learn", "xgboost", "numpy", "pandas", "shap")
MAX_CLIENT_ID = 2**63 - 1  # SK_ID_CURR is a 64-bit integer

# An illustrative application (made-up values in the ranges of the data), for the API documentation.
EXAMPLE = {
    "SK_ID_CURR": 100001,
    "NAME_CONTRACT_TYPE": "Cash loans",
    "FLAG_OWN_CAR": "N",
    "FLAG_OWN_REALTY": "Y",
    "CNT_CHILDREN": 0,
    "AMT_INCOME_TOTAL": 157500.0,
    "AMT_CREDIT": 450000.0,
    "AMT_ANNUITY": 22500.0,
    "AMT_GOODS_PRICE": 450000.0,
    "NAME_INCOME_TYPE": "Working",
    "NAME_EDUCATION_TYPE": "Secondary / secondary special",
    "NAME_FAMILY_STATUS": "Married",
    "DAYS_BIRTH": -14600,
    "DAYS_EMPLOYED": -2200,
    "OCCUPATION_TYPE": "Laborers",
    "ORGANIZATION_TYPE": "Business Entity Type 3",
    "EXT_SOURCE_2": 0.56,
    "EXT_SOURCE_3": 0.51,
}


class _ApplicationChecks(BaseModel):
    """Checks that involve two fields; the single-field ones are in each field's type."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    @model_validator(mode="after")
    def _employment(self) -> _ApplicationChecks:
        problem = employment_problem(getattr(self, "DAYS_EMPLOYED", None), getattr(self, "DAYS_BIRTH", None))
        if problem:
            raise ValueError(problem)
        return self


def _json_number(kind: str) -> BeforeValidator:
    """Numeric fields take numbers only: pydantic's lax mode would turn "1000" and true into numbers.

    Integral floats (3.0) stay valid integers, as in JSON Schema.
    """
    integer = kind == "integer"

    def check(value: Any) -> Any:
        if isinstance(value, (str, bool)):
            got = "a boolean" if isinstance(value, bool) else "text"
            wanted = "an integer" if integer else "a number"
            raise PydanticCustomError("int_type" if integer else "float_type", f"Input should be {wanted}, not {got}")
        return value

    return BeforeValidator(check)


def _annotation(column: Column) -> Any:
    """The field's type with its bounds: impossible values are refused, naming the field."""
    if column.kind == "category":
        return Literal[column.levels]  # type: ignore[valid-type]
    bounds: dict[str, Any] = {}
    if column.minimum is not None:
        bounds["gt" if column.exclusive_minimum else "ge"] = column.minimum
    if column.maximum is not None:
        bounds["le"] = column.maximum
    if column.kind == "number":
        bounds["allow_inf_nan"] = False
    number = int if column.kind == "integer" else float
    return Annotated[number, Field(**bounds), _json_number(column.kind), AfterValidator(_scorable)]


def _scorable(value: float) -> float:
    """No value beyond `column.upper` when no maximum is declared: the float32 range the model reads."""
    if abs(value) > LARGEST_SCORABLE:
        shown = f"{value:.3g} " if isinstance(value, float) else ""
        raise PydanticCustomError(
            "too_large",
            f"{shown}is too large to be scored (above {LARGEST_SCORABLE:.3g}, the float32 range the model reads)",
        )
    return value


def _field(column: Column) -> tuple[Any, Any]:
    annotation = _annotation(column)
    if column.required:
        return annotation, Field(..., description=column.description)
    return annotation | None, Field(None, description=column.description)


CreditApplication = create_model(
    "CreditApplication",
    __base__=_ApplicationChecks,
    __doc__="A loan application: Home Credit application fields; only the core ones are required.",
    SK_ID_CURR=(
        Annotated[int, Field(ge=0, le=MAX_CLIENT_ID), _json_number("integer")] | None,
        Field(None, description="Client id: echoed back, never used by the model"),
    ),
    **{column.name: _field(column) for column in FEATURES},
)


class Contribution(BaseModel):
    feature: str = Field(description="Application or engineered field (one-hot levels added up)")
    value: float | str | None = Field(description="The client's value of that field (null: missing)")
    contribution: float = Field(description="SHAP value: > 0 raises the risk, < 0 lowers it (units: see the card)")


class CreditScore(BaseModel):
    client_id: int | None = Field(description="SK_ID_CURR as sent, or null")
    probability: float = Field(
        ge=0,
        le=1,
        description="Calibrated probability of default: among clients given p, a share p is expected to default "
        "(calibrated on out-of-fold training predictions; the model card's `calibration` gives the test ECE and Brier)",
    )
    decision: Literal["grant", "refuse", "review"] = Field(
        description="refuse when probability ≥ threshold; grant when it is below and no value of the missing fields "
        "could raise it to the threshold; review (an officer decides) when one could: see missing_fields_that_matter"
    )
    threshold: float = Field(
        description="Registered threshold on the calibrated probability, minimising the business cost "
        "fn·FN + fp·FP of out-of-fold training predictions (weights: the model card's decision.cost_weights)"
    )
    model: str
    model_version: str
    contribution_units: str = Field(description="Units of the SHAP contributions (log-odds or probability)")
    top_contributions: list[Contribution]
    worst_case_probability: float = Field(
        ge=0,
        le=1,
        description="The highest probability a value seen in training of the missing fields gives (= probability "
        "when nothing that matters is missing)",
    )
    missing_fields_that_matter: list[str] = Field(
        description="Missing fields one of whose plausible values would turn this grant into a refusal: send them to "
        "settle a `review` (empty for grant and refuse)"
    )
    missing_fields_unseen_in_training: list[str] = Field(
        description="Fields left out of this request that every training application had: the model never learnt "
        "what their absence means, so the score is less reliable; send them when they are known"
    )


class CreditInputError(ValueError):
    """Invalid application fields; `errors` lists {"field", "message"}, one per problem."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{error['field']}: {error['message']}" for error in errors))


def _field_name(error: dict) -> str:
    if error.get("loc"):
        return ".".join(str(part) for part in error["loc"])
    message = str(error.get("msg", ""))
    candidate = message.removeprefix("Value error, ").split(":", 1)[0]
    return candidate if candidate in FEATURE_NAMES else "body"


def _message(error: dict, field: str) -> str:
    return str(error["msg"]).removeprefix("Value error, ").removeprefix(f"{field}: ")


def parse_application(fields: dict[str, Any] | BaseModel) -> BaseModel:
    """A validated `CreditApplication`; `CreditInputError` naming each bad field otherwise."""
    if isinstance(fields, CreditApplication):
        return fields
    if isinstance(fields, BaseModel):
        fields = fields.model_dump()
    if not isinstance(fields, dict):
        raise CreditInputError(
            [{"field": "body", "message": f"expected an object of fields, got {type(fields).__name__}"}]
        )
    try:
        return CreditApplication.model_validate(fields)
    except ValidationError as error:
        raise CreditInputError(
            [{"field": (field := _field_name(item)), "message": _message(item, field)} for item in error.errors()]
        ) from None


def application_frame(application: BaseModel) -> pd.DataFrame:
    """One row in the training layout: missing fields are NaN, categories are text."""
    return application_frames([application])


def application_frames(applications: Sequence[BaseModel]) -> pd.DataFrame:
    """One row per application in the training layout, built column by column (monitoring rebuilds
    thousands of recorded requests: one frame per request and a concat took minutes)."""
    dumps = [application.model_dump() for application in applications]
    # object: a 64-bit id stays exact and a missing one stays None (a float column would round both)
    columns: dict[str, Any] = {ID: pd.Series([values.get(ID) for values in dumps], dtype=object)}
    for name in FEATURE_NAMES:
        values = [values.get(name) for values in dumps]
        if name in CATEGORICAL:
            columns[name] = pd.Series([np.nan if value is None else value for value in values], dtype=object)
        else:  # within float32: bounded by the schema
            columns[name] = pd.Series([np.nan if value is None else float(value) for value in values], dtype=float)
    return pd.DataFrame(columns)


class CreditScorer:
    """The registered credit model, loaded once; `score()` is thread-safe."""

    def __init__(self, model_dir: str | Path = DIRS["models"], top_k: int = 5):
        # The heavy libraries (scikit-learn, XGBoost, SHAP) load with the model, not with this module.
        import joblib

        from pipelines.credit.data import read_frame
        from pipelines.credit.explanations import PipelineExplainer
        from pipelines.credit.features import ENGINEERED
        from pipelines.credit.withholding import WithholdingGuard

        model_dir = Path(model_dir)

        files = (MODEL_FILE, CARD_FILE, BACKGROUND_FILE, GRID_FILE)
        missing = [name for name in files if not (model_dir / name).is_file()]
        if missing:
            raise DataError(f"registered credit model incomplete in {model_dir}: missing {', '.join(missing)}")
        try:
            self.model_card: dict[str, Any] = read_json(model_dir / CARD_FILE)
            self.pipeline = joblib.load(model_dir / MODEL_FILE)
            background = read_frame(model_dir / BACKGROUND_FILE)
            grid = read_json(model_dir / GRID_FILE)
        except FileNotFoundError as error:  # removed between the check and the read
            raise DataError(f"registered credit model incomplete in {model_dir}: {error}") from error
        self.engineered_from = {name: reads for name, (_, reads, _) in ENGINEERED.items()}
        self.threshold = float(self.model_card["decision"]["threshold"])
        self.version = str(self.model_card["version"])
        self.always_present = list(self.model_card["features"].get("always_present_in_training", []))
        self.top_k = top_k
        excluded = set(self.model_card["features"].get("excluded", []))
        optional = [column.name for column in FEATURES if not column.required and column.name not in excluded]
        self.guard = WithholdingGuard(grid, optional)
        self.explainer = PipelineExplainer(self.pipeline, background)
        self._lock = threading.Lock()  # the SHAP explainer keeps state between calls
        self.encoder = self._fast_encoder(background)
        self.version_mismatches = {
            name: {"trained_with": self.model_card["library_versions"].get(name), "running": running}
            for name, running in library_versions(CHECKED_LIBRARIES).items()
            if name in CHECKED_LIBRARIES and self.model_card["library_versions"].get(name) not in (None, running)
        }
        if self.version_mismatches:
            log.warning("credit model %s loaded with other library versions: %s", self.version, self.version_mismatches)
        log.info("credit model %s loaded (threshold %.3f)", self.version, self.threshold)

    def _check_scorable(self, encoded: np.ndarray) -> None:
        """CreditInputError naming the fields whose (engineered) values are beyond what the model reads."""
        problems: dict[str, str] = {}
        for value, source in zip(encoded[0], self.explainer.sources):
            if abs(value) > LARGEST_SCORABLE and source not in problems:  # inf too; nan is a missing value
                reads = self.engineered_from.get(source)
                origin = f", computed from {' and '.join(reads)}," if reads and reads != [source] else ""
                problems[source] = f"{value:.3g}{origin} is too large to be scored"
        if problems:
            raise CreditInputError([{"field": name, "message": message} for name, message in problems.items()])

    def _fast_encoder(self, background: pd.DataFrame) -> RowEncoder | None:
        """The array encoder of the pipeline when it gives the pipeline's own numbers on the background rows
        (encoded features, probabilities, SHAP values, bit for bit); None (the reference path) otherwise."""
        from pipelines.credit.encoding import RowEncoder, UnknownLevel

        grid_levels = {name: values for name, values in self.guard.single.items() if name in CATEGORICAL}
        encoder = RowEncoder.build(self.pipeline, grid_levels)
        if encoder is None:
            log.info("credit model %s: no fast path for this pipeline, scoring through it", self.version)
            return None
        try:
            encoded, _ = encoder.encode(*encoder.frame_rows(background))
        except UnknownLevel as error:
            log.warning("credit model %s: fast path off, background level not tabulated (%s)", self.version, error)
            return None
        reference = np.asarray(self.pipeline[:-1].transform(background), dtype=float)
        same = (
            np.array_equal(encoded, reference, equal_nan=True)
            and np.array_equal(self.pipeline[-1].predict_proba(encoded), self.pipeline.predict_proba(background))
            and np.array_equal(self.explainer.shap_values(encoded), self.explainer.explain(background).values)
        )
        if not same:
            log.warning("credit model %s: fast path off, it differs from the pipeline on the background", self.version)
            return None
        return encoder

    def probabilities(self, frame: pd.DataFrame) -> np.ndarray:
        """The served (calibrated) probability of default of each application row."""
        return self.pipeline.predict_proba(frame)[:, 1]

    def score(self, fields: dict[str, Any] | BaseModel) -> dict[str, Any]:
        """The answer to one application: through the array encoder when the model has one (the same numbers,
        checked at load), else through the pipeline itself (`score_reference`)."""
        application = parse_application(fields)
        if self.encoder is None:
            return self.score_reference(application)
        return self._score_arrays(application)

    def _score_arrays(self, application: BaseModel) -> dict[str, Any]:
        values = application.model_dump()
        try:
            numbers, codes = self.encoder.rows([values])
        except OverflowError:  # an integer with hundreds of digits: the reference path words the error
            application_frame(application)
            raise
        encoded, features = self.encoder.encode(numbers, codes)
        self._check_scorable(encoded)
        raw = dict(zip(self.encoder.numeric, numbers[0].tolist())) | {
            name: values.get(name) for name in self.encoder.categorical
        }
        verdict = self._verdict(float(self.pipeline[-1].predict_proba(encoded)[0, 1]), raw, numbers, codes)
        contributions = self.explainer.top_fields(
            self.explainer.shap_values(encoded)[0],
            lambda name: raw[name] if name in raw else features[name][0] if name in features else None,
            self.top_k,
        )
        return self._answer(application, verdict, contributions)

    def _verdict(self, probability: float, raw: dict[str, Any], numbers: np.ndarray, codes: np.ndarray) -> Verdict:
        """WithholdingGuard.verdicts for one application held as arrays: the same variants, in the same order."""
        if probability >= self.threshold:
            return Verdict(probability, "refuse", probability, [])
        blocks = self.guard.blocks(lambda name: raw[name] is None or raw[name] != raw[name])
        count = sum(len(combos) for _, combos in blocks)
        if not count:
            return Verdict(probability, "grant", probability, [])
        variant_numbers, variant_codes = np.repeat(numbers, count, axis=0), np.repeat(codes, count, axis=0)
        numeric = {name: j for j, name in enumerate(self.encoder.numeric)}
        categorical = {name: j for j, name in enumerate(self.encoder.categorical)}
        filled: list[tuple[str, ...]] = []
        start = 0
        for names, combos in blocks:
            stop = start + len(combos)
            for position, name in enumerate(names):
                column = [combo[position] for combo in combos]
                if name in numeric:
                    variant_numbers[start:stop, numeric[name]] = column
                else:
                    variant_codes[start:stop, categorical[name]] = [self.encoder.code(name, v) for v in column]
            filled.extend([names] * len(combos))
            start = stop
        encoded, _ = self.encoder.encode(variant_numbers, variant_codes)
        worst = np.asarray(self.pipeline[-1].predict_proba(encoded)[:, 1], dtype=float)
        return self.guard.below_threshold(probability, worst, filled, self.threshold)

    def score_reference(self, fields: dict[str, Any] | BaseModel) -> dict[str, Any]:
        """The answer computed through the pipeline on a one-row DataFrame: what `score` must equal."""
        application = parse_application(fields)
        frame = application_frame(application)
        encoded = self.pipeline[:-1].transform(frame)  # what pipeline.predict_proba does, checked in between
        self._check_scorable(np.asarray(encoded, dtype=float))
        verdict = self.guard.verdicts(self.probabilities, frame, self.threshold)[0]
        with self._lock:
            contributions = self.explainer.top_contributions(frame, frame.iloc[0], self.top_k)
        return self._answer(application, verdict, contributions)

    def _answer(self, application: BaseModel, verdict: Verdict, contributions: list[dict]) -> dict[str, Any]:
        client_id = getattr(application, ID, None)
        log.debug("scored client %s: %.4f → %s", client_id, verdict.probability, verdict.decision)
        return {
            "client_id": client_id,
            "probability": round(verdict.probability, 6),
            "decision": verdict.decision,
            "threshold": self.threshold,
            "model": self.model_card["model"],
            "model_version": self.version,
            "contribution_units": self.explainer.output_units,
            "top_contributions": contributions,
            "worst_case_probability": round(verdict.worst_probability, 6),
            "missing_fields_that_matter": verdict.fields_that_matter,
            "missing_fields_unseen_in_training": [
                name for name in self.always_present if getattr(application, name, None) is None
            ],
        }
