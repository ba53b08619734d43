"""Freelance-service pricing over HTTP: the freelance pipeline's registered estimator
(pipelines/freelance/estimator.py).

`load_freelance()` runs once, in the app's lifespan: it checks the card's SHA-256 of model.joblib, then
unpickles it (scikit-learn and XGBoost, no TensorFlow). Whatever goes wrong there is reported, never fatal:
the other endpoints keep serving and `/freelance/estimate` answers 503 saying what is missing. The model
is read at start-up only: after fixing the files, restart the service.

Setting: `FREELANCE_MODEL_DIR` (api/settings.py), the folder holding model.joblib and model_card.json; default
`models/freelance`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, ConfigDict, Field

from api.errors import BadInput
from api.registered import Registered, load_registered
from api.schemas import ErrorMessage

if TYPE_CHECKING:  # importing the estimator's module loads scikit-learn: only with the model
    from pipelines.freelance.estimator import FreelanceEstimator

log = logging.getLogger("api")
Level = Literal["none", "level_1", "level_2", "top_rated", "Level 1 Seller", "Level 2 Seller", "Top Rated Seller"]
Band = Literal["Low", "Medium", "High"]


def _open_estimator(model_dir: Path) -> FreelanceEstimator:
    from pipelines.freelance.estimator import load_estimator  # scikit-learn and XGBoost: loaded with the model

    return load_estimator(model_dir)[0]


def load_freelance(model_dir: Path) -> Registered[FreelanceEstimator]:
    """The estimator in `model_dir` (the setting FREELANCE_MODEL_DIR, api/settings.py), or why not (never raises)."""
    return load_registered(
        "freelance pricing is unavailable", model_dir, _open_estimator, lambda estimator: estimator.version
    )


class Gig(BaseModel):
    """One gig offer to price."""

    model_config = ConfigDict(extra="forbid", strict=True)  # no true → 1.0, no "3" → 3

    text: str = Field(min_length=1, max_length=5000, description="The gig's title or description (English)")
    rating: float | None = Field(default=None, ge=0, le=5, description="Average rating 0–5; null when unrated")
    reviews: int = Field(default=0, ge=0, le=10_000_000, description="Number of reviews (0 when unrated)")
    level: Level = Field(default="none", description="Seller level: canonical name or the page's own text")


class Estimate(BaseModel):
    price: float = Field(description="Estimated starting price, thousands of PKR")
    price_interval: list[float] = Field(min_length=2, max_length=2, description="[low, high], thousands of PKR")
    interval_coverage: float = Field(description="Share of held-out gigs such an interval covered (out-of-fold)")
    band: Band = Field(description="Most probable price band (band model)")
    band_probabilities: dict[str, float] = Field(description="P(Low), P(Medium), P(High)")
    band_of_price: Band = Field(description="The band the estimated price falls in (by the band edges)")
    band_edges: list[float] = Field(description="Low | Medium and Medium | High edges, thousands of PKR")
    unit: str
    price_model: str
    band_model: str
    model_version: str


EXAMPLE = {
    "text": "I will do web scraping and data mining with python",
    "rating": 4.9,
    "reviews": 120,
    "level": "level_2",
}
NOT_TEXT = {400: {"model": ErrorMessage, "description": "The body is not even text (not UTF-8)"}}
UNAVAILABLE = {503: {"model": ErrorMessage, "description": "The freelance estimator could not be loaded at start-up"}}
BAD_GIG = {
    422: {
        "model": ErrorMessage,
        "description": "A missing, unknown or out-of-range field; the message names it",
        "content": {"application/json": {"example": {"detail": "rating: Input should be less than or equal to 5"}}},
    }
}


def loaded_estimator(request: Request) -> FreelanceEstimator:
    """The loaded estimator; 503 saying what is missing when it could not be loaded at start-up. Called in the
    handler, after the body was validated: a bad gig is a 422 whether the model is there or not."""
    return request.app.state.freelance.require()


router = APIRouter(prefix="/freelance", tags=["freelance"])


@router.post(
    "/estimate",
    response_model=Estimate,
    responses=NOT_TEXT | BAD_GIG | UNAVAILABLE,
    summary="Price, price band and an interval for one gig offer",
)
def estimate(
    request: Request,
    gig: Annotated[Gig, Body(openapi_examples={"example": {"summary": "A scraping gig", "value": EXAMPLE}})],
) -> dict:
    """Estimates a Fiverr gig's starting price (thousands of PKR) from its text and the seller's reliability
    (rating weighted by the number of reviews, seller level), with an interval from the model's held-out errors,
    and its price band (Low / Medium / High, edges = training terciles) with the band probabilities."""
    from pipelines.freelance.estimator import EstimateInputError

    estimator = loaded_estimator(request)
    try:
        answer = estimator.estimate(gig.text, gig.rating, gig.reviews, gig.level)
    except EstimateInputError as error:
        raise BadInput(str(error)) from None
    log.info(
        "POST /freelance/estimate: %d characters, rating %s, %d reviews, %s → %.3f k PKR, %s (model %s)",
        len(gig.text),
        gig.rating,
        gig.reviews,
        gig.level,
        answer["price"],
        answer["band"],
        answer["model_version"],
    )
    return answer
