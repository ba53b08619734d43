"""Used-car price estimates over HTTP: the cars pipeline's registered model (pipelines/cars/serving.py).

`load_cars()` runs once, in the app's lifespan (from the setting `CARS_MODEL_DIR`, default models/cars;
api/settings.py): it reads model.joblib (after checking its SHA-256 against the card) and model_card.json.
A missing or broken model is reported, never fatal: the other endpoints keep serving and `POST /cars/estimate`
answers 503 saying what is missing. The model is read at start-up only: after fixing the files, restart the service.

Route: `POST /cars/estimate`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from api.credit import check_artefact_sha256
from api.errors import BadInput, Unavailable
from api.schemas import ErrorMessage
from api.store import redact_paths
from pipelines.cars.serving import EXAMPLE, CarEstimate, CarInputError, CarListing, CarPricer
from pipelines.common.errors import DataError

log = logging.getLogger("api")


@dataclass(frozen=True)
class CarsModel:
    """The registered car-price model as loaded at start-up, or why it could not be."""

    model_dir: Path
    pricer: CarPricer | None = None
    detail: str | None = None


def load_cars(model_dir: Path) -> CarsModel:
    """The pricer over `model_dir` (the setting CARS_MODEL_DIR, api/settings.py), or a CarsModel saying why not
    (never raises)."""
    try:
        check_artefact_sha256(model_dir)
        pricer = CarPricer(model_dir)
    except DataError as error:
        log.error("car price estimates unavailable: %s", error)
        return CarsModel(model_dir, detail=str(error))
    except Exception as error:  # a broken pickle or card, a missing library: reported with the stack trace
        detail = f"cannot load the cars model from {model_dir}: {type(error).__name__}: {error}"
        log.error("car price estimates unavailable: %s", detail, exc_info=True)
        return CarsModel(model_dir, detail=detail)
    log.info("cars model %s loaded from %s", pricer.version, model_dir)
    return CarsModel(model_dir, pricer)


async def get_cars(request: Request) -> CarsModel:  # async: no worker thread for a lookup
    """The loaded model; 503 saying what is missing when it could not be loaded at start-up."""
    cars: CarsModel = request.app.state.cars
    if cars.pricer is None:
        detail = redact_paths(str(cars.detail), cars.model_dir)  # no server path in a public answer
        raise Unavailable(f"car price estimates are unavailable: {detail} (fix, then restart)", retry=False)
    return cars


CarsDep = Annotated[CarsModel, Depends(get_cars)]

EXAMPLE_ESTIMATE = {
    "price": 12860.0,
    "lower": 10470.0,
    "upper": 15980.0,
    "interval_coverage": 0.9,
    "currency": "EUR",
    "age_years": 4,
    "model": "xgboost",
    "model_version": "xgboost-3634b8673438",
    "warnings": [],
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {"example": EXAMPLE_ESTIMATE}}},
    400: {"model": ErrorMessage, "description": "The body is not even text (not UTF-8)"},
    422: {
        "model": ErrorMessage,
        "description": "A field missing, of the wrong type, out of bounds, unknown, or a year after the training "
        "listings; the message names each one",
        "content": {"application/json": {"example": {"detail": "mileage: Input should be greater than or equal to 0"}}},
    },
    503: {"model": ErrorMessage, "description": "The cars model could not be loaded at start-up"},
}

router = APIRouter(prefix="/cars", tags=["cars"])


@router.post(
    "/estimate",
    response_model=CarEstimate,
    responses=RESPONSES,
    summary="Asking price of a used car, with an interval",
)
def estimate(
    cars: CarsDep,
    listing: Annotated[
        CarListing, Body(openapi_examples={"example": {"summary": "A 2017 Golf, 60,000 km", "value": EXAMPLE}})
    ],
) -> dict[str, Any]:
    """Estimates the asking price (EUR) of one used car listed in Germany with the registered model, with an
    interval that held `interval_coverage` of the validation prices. A make, model or fuel unseen in training,
    or a value beyond the training range, is still priced and listed in `warnings`."""
    assert cars.pricer is not None  # get_cars answered 503 otherwise
    try:
        answer = cars.pricer.estimate(listing)
    except CarInputError as error:
        raise BadInput(str(error)) from None
    log.info(
        "POST /cars/estimate: %s %s %d, %d km, %g hp → %.0f EUR [%.0f, %.0f] (model %s, %d warning(s))",
        listing.make[:40],
        listing.model[:40],
        listing.year,
        listing.mileage,
        listing.hp,
        answer["price"],
        answer["lower"],
        answer["upper"],
        answer["model_version"],
        len(answer["warnings"]),
    )
    return answer
