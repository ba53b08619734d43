"""Credit default scoring over HTTP: the credit pipeline's registered model (pipelines/credit/scoring.py).

`load_credit()` runs once, in the app's lifespan: building the `CreditScorer` imports scikit-learn,
XGBoost and SHAP (importing `api.main` does not) and reads models/credit/{model.joblib, model_card.json,
shap_background.csv.gz}. Whatever goes wrong there is reported, never fatal: the weather endpoints keep
serving, `/credit/score` and `/credit/model` answer 503 saying what is missing, `/health` shows it. The
model is read at start-up only: after fixing the files, restart the service.

Routes: `POST /credit/score`, `GET /credit/model`, `GET /credit/importance` (global SHAP importance over the
training applications kept with the model), `GET /credit/monitoring`, `GET /credit/form`
(api/static/credit_form.html).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.errors import BadInput, Unavailable
from api.registered import Registered, load_registered
from api.schemas import (
    EXAMPLE_CREDIT_VERSION,
    CreditHealth,
    CreditImportance,
    CreditModelCard,
    ErrorMessage,
    MonitoringSummary,
)
from api.store import redact_paths
from pipelines.credit.schema import REQUIRED
from pipelines.credit.scoring import (
    BACKGROUND_FILE,
    EXAMPLE,
    CreditApplication,
    CreditInputError,
    CreditScore,
    CreditScorer,
)

log = logging.getLogger("api")

FORM_FILE = Path(__file__).with_name("static") / "credit_form.html"
FORM = FORM_FILE.read_text(encoding="utf-8")
# The page loads nothing from elsewhere, and the browser is told so: it works offline and leaks nothing.
FORM_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class LoadedCredit:
    """What start-up reads once for the credit endpoints."""

    scorer: CreditScorer
    card_json: bytes  # GET /credit/model's body: the card as it is on disk
    importance: dict[str, Any]  # GET /credit/importance's body, computed once at start-up


CreditModel = Registered[LoadedCredit]  # the credit model as loaded at start-up, or why it could not be
UNAVAILABLE_SENTENCE = "credit scoring is unavailable"


def global_importance(scorer: CreditScorer, model_dir: Path) -> dict[str, Any]:
    """Mean |SHAP| per field over the training applications kept with the model (shap_background.csv.gz,
    `credit.register.background_rows` rows drawn from the training split): the model's global importance,
    in the units of /credit/score's contributions, so a client's reasons can be read against it. Training
    rows, not the test split the explain stage's report uses: the service holds no test data."""
    from pipelines.credit.data import read_frame

    background = read_frame(model_dir / BACKGROUND_FILE)
    explainer = scorer.explainer
    importance = explainer.grouped(explainer.explain(background)).abs().mean().sort_values(ascending=False)
    total = float(importance.sum()) or 1.0
    return CreditImportance(
        model_version=scorer.version,
        units=explainer.output_units,
        rows=len(background),
        sample=f"{len(background)} training applications kept with the model ({BACKGROUND_FILE})",
        features=[
            {"feature": name, "mean_abs_contribution": round(float(value), 5), "share": round(float(value) / total, 5)}
            for name, value in importance.items()
        ],
    ).model_dump()


def open_credit(model_dir: Path) -> LoadedCredit:
    """The scorer over `model_dir` with its validated card and global importance; raises what goes wrong."""
    scorer = CreditScorer(model_dir)
    CreditModelCard.model_validate(scorer.model_card)
    card_json = json.dumps(scorer.model_card, ensure_ascii=False).encode()
    return LoadedCredit(scorer, card_json, global_importance(scorer, Path(model_dir)))


def load_credit(model_dir: Path) -> CreditModel:
    """The credit model over `model_dir`, or a CreditModel saying why not (never raises; api/registered.py)."""
    credit = load_registered(UNAVAILABLE_SENTENCE, model_dir, open_credit, lambda loaded: loaded.scorer.version)
    if credit.model is not None:
        log.info("credit decision threshold %.3f", credit.model.scorer.threshold)
    return credit


def credit_health(credit: CreditModel) -> CreditHealth:
    """/health's credit entry: the shared fields (paths redacted) and, when loaded, the decision settings."""
    shared = credit.health()
    if credit.model is None:
        return CreditHealth(available=False, detail=shared.detail, model_dir=shared.model_dir)
    scorer = credit.model.scorer
    return CreditHealth(
        available=True,
        model_dir=shared.model_dir,
        model=str(scorer.model_card.get("model")),
        version=scorer.version,
        threshold=scorer.threshold,
        created_at=scorer.model_card.get("created_at"),
        library_mismatches=scorer.version_mismatches,
    )


async def get_credit(request: Request) -> LoadedCredit:  # async: no worker thread for a lookup
    """The loaded model; 503 saying what is missing when it could not be loaded at start-up."""
    credit: CreditModel = request.app.state.service.credit
    return credit.require()


CreditDep = Annotated[LoadedCredit, Depends(get_credit)]

UNAVAILABLE = {
    503: {"model": ErrorMessage, "description": "The credit model could not be loaded at start-up (see /health)"}
}
BAD_APPLICATION = {
    422: {
        "model": ErrorMessage,
        "description": "A field of the wrong type, an impossible value, an unknown field or category, a missing "
        "required field; the message names each one",
        "content": {
            "application/json": {"example": {"detail": "AMT_INCOME_TOTAL: Input should be greater than 0 (got -1.0)"}}
        },
    }
}
NOT_TEXT = {400: {"model": ErrorMessage, "description": "The body is not even text (not UTF-8)"}}
EXAMPLE_SCORE = {
    "client_id": 100001,
    "probability": 0.124939,
    "decision": "refuse",
    "threshold": 0.089,
    "model": "xgboost",
    "model_version": EXAMPLE_CREDIT_VERSION,
    "contribution_units": "log-odds",
    "top_contributions": [
        {"feature": "OCCUPATION_TYPE", "value": "Laborers", "contribution": 0.16613},
        {"feature": "DAYS_ID_PUBLISH", "value": None, "contribution": 0.15653},
        {"feature": "DAYS_REGISTRATION", "value": None, "contribution": 0.14613},
        {"feature": "EXT_SOURCE_MEAN", "value": 0.535, "contribution": -0.12609},
        {"feature": "EXT_SOURCE_MIN", "value": 0.51, "contribution": -0.12478},
    ],
    "worst_case_probability": 0.124939,
    "missing_fields_that_matter": [],
    "missing_fields_unseen_in_training": ["NAME_HOUSING_TYPE", "REGION_POPULATION_RELATIVE", "DAYS_REGISTRATION"],
}
APPLICATION_EXAMPLES: dict[str, Any] = {
    "example": {"summary": "An application (made-up values in the ranges of the data)", "value": EXAMPLE},
    "required only": {
        "summary": "Only the required fields: the others become missing values",
        "value": {name: EXAMPLE[name] for name in REQUIRED},
    },
}

router = APIRouter(prefix="/credit", tags=["credit"])


@router.post(
    "/score",
    response_model=CreditScore,
    responses={200: {"content": {"application/json": {"example": EXAMPLE_SCORE}}}}
    | NOT_TEXT
    | BAD_APPLICATION
    | UNAVAILABLE,
    summary="Probability of default, decision and its explanation for one application",
)
def score(
    credit: CreditDep,
    application: Annotated[CreditApplication, Body(openapi_examples=APPLICATION_EXAMPLES)],
) -> dict[str, Any]:
    """Scores one loan application with the registered model: probability of default, decision at the
    registered threshold (`refuse` when probability ≥ threshold), model version, and the fields that moved
    this client's score most (SHAP, in `contribution_units`: > 0 raises the risk).

    Only `NAME_CONTRACT_TYPE`, `AMT_INCOME_TOTAL`, `AMT_CREDIT` and `DAYS_BIRTH` are required; any other
    field may be left out or null (a missing value). `missing_fields_unseen_in_training` lists the fields
    left out that every training application had: send them when they are known."""
    # A plain function: FastAPI runs it in a worker thread, the model's few ms of CPU never block the loop.
    try:
        answer = credit.scorer.score(application)
    except CreditInputError as error:  # valid fields whose values the model cannot take (too large)
        raise BadInput(str(error)) from None
    log.info(
        "POST /credit/score: client %s → %s (probability %.4f, threshold %.3f, model %s)",
        answer["client_id"],
        answer["decision"],
        answer["probability"],
        answer["threshold"],
        answer["model_version"],
    )
    return answer


@router.get(
    "/model",
    response_model=CreditModelCard,
    responses=UNAVAILABLE,
    summary="The registered credit model's card",
)
async def model_card(credit: CreditDep) -> Response:
    """The model card as the credit_register stage wrote it: version, decision threshold and the cost it
    minimises, test metrics, features, library versions, intended use and limitations."""
    log.info("GET /credit/model: %s %s", credit.scorer.model_card.get("model"), credit.scorer.version)
    return Response(credit.card_json, media_type="application/json")


@router.get(
    "/importance",
    response_model=CreditImportance,
    responses=UNAVAILABLE,
    summary="The registered credit model's global importance (mean |SHAP| per field)",
)
async def importance(credit: CreditDep) -> dict[str, Any]:
    """Which fields move the registered model's scores most: the mean absolute SHAP contribution of each
    field over the training applications kept with the model, in the units of `/credit/score`'s
    `top_contributions`, most important first, with its share of the total. Computed once at start-up."""
    log.info("GET /credit/importance: %s", credit.importance["model_version"])
    return credit.importance


@router.get(
    "/monitoring",
    response_model=MonitoringSummary,
    responses={503: {"model": ErrorMessage, "description": "No monitoring summary written yet, or unreadable"}},
    summary="The latest production monitoring summary and its alerts",
)
async def monitoring(request: Request) -> Response:
    """What the last run of the monitoring command (`python -m stages.credit.monitor`) found in the stored
    scoring events: requests, error rates and latency, the score and refusal-rate shift against the training
    reference, input drift, and the alerts (`status` is `alert` when any fired). Read at every request: the
    monitor rewrites the file."""
    path: Path = request.app.state.service.settings.monitoring_summary
    try:
        content = path.read_bytes()
        summary = MonitoringSummary.model_validate_json(content)
    except FileNotFoundError:
        raise Unavailable(
            f"no monitoring summary yet ({redact_paths(str(path), path)}): run python -m stages.credit.monitor",
            retry=False,
        ) from None
    except (OSError, ValidationError) as error:
        log.error("cannot read the monitoring summary %s: %s", path, error)
        raise Unavailable(
            f"the monitoring summary {redact_paths(str(path), path)} is unreadable", retry=False
        ) from None
    log.info("GET /credit/monitoring: %s, %d alert(s)", summary.status, len(summary.alerts))
    return Response(content, media_type="application/json")


@router.get("/form", response_class=HTMLResponse, summary="A page to try one application by hand")
async def form() -> HTMLResponse:
    """A static HTML form (no external resource): a few key fields, prefilled with an example application,
    posted as JSON to `/credit/score`; shows the probability, the decision and the top contributions."""
    log.info("GET /credit/form")
    return HTMLResponse(FORM, headers={"Content-Security-Policy": FORM_POLICY})
