"""Used-car price estimates over HTTP: the cars pipeline's registered model (pipelines/cars/serving.py).

`load_cars()` runs once, in the app's lifespan (from the setting `CARS_MODEL_DIR`, default models/cars;
api/settings.py): it reads model.joblib (after checking its SHA-256 against the card) and model_card.json.
A missing or broken model is reported, never fatal: the other endpoints keep serving and `POST /cars/estimate`
answers 503 saying what is missing. The model is read at start-up only: after fixing the files, restart the service.

Route: `POST /cars/estimate`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from api.errors import BadInput
from api.registered import Registered, load_registered
from api.schemas import ErrorMessage
from pipelines.cars.serving import EXAMPLE, CarEstimate, CarInputError, CarListing, CarPricer

log = logging.getLogger("api")


CarsModel = Registered[CarPricer]


def load_cars(model_dir: Path) -> CarsModel:
    """The pricer over `model_dir` (the setting CARS_MODEL_DIR), or a CarsModel saying why not (never raises)."""
    return load_registered("car price estimates are unavailable", model_dir, CarPricer, lambda pricer: pricer.version)


async def get_cars(request: Request) -> CarPricer:  # async: no worker thread for a lookup
    """The loaded pricer; 503 saying what is missing when it could not be loaded at start-up."""
    return request.app.state.cars.require()


CarsDep = Annotated[CarPricer, Depends(get_cars)]

EXAMPLE_ESTIMATE = {
    "price": 12720.0,
    "lower": 10480.0,
    "upper": 15750.0,
    "interval_coverage": 0.9,
    "currency": "EUR",
    "age_years": 4,
    "model": "xgboost",
    "model_version": "xgboost-e9d24f44f85d",
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
    pricer: CarsDep,
    listing: Annotated[
        CarListing, Body(openapi_examples={"example": {"summary": "A 2017 Golf, 60,000 km", "value": EXAMPLE}})
    ],
) -> dict[str, Any]:
    """Estimates the asking price (EUR) of one used car listed in Germany with the registered model, with an
    interval that held `interval_coverage` of the validation prices. A make, model or fuel unseen in training,
    or a value beyond the training range, is still priced and listed in `warnings`."""
    try:
        answer = pricer.estimate(listing)
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
