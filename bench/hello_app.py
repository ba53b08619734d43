"""The ceilings the API is compared with, each answering a tiny JSON string.

- `asgi_app`: a bare ASGI callable, the ceiling of uvicorn itself.
- `fastapi_app`: a one-route FastAPI app with an **async** handler, like the API's GET handlers (like for
  like: FastAPI runs a sync handler in a worker thread, which costs a thread hop per request).
- `fastapi_sync_app`: the same route as a sync handler, kept to show what that hop costs.
- `fastapi_score_shape_app`: `POST /credit/score` without the model: the same request and response models
  (pydantic validation of the ~120-field application, the answer validated and serialised), a sync handler
  in a worker thread, answering the documented example's answer. Like for like with the API's scoring route:
  the framework's ceiling for that exchange, which the model's own work can only lower.
"""

from typing import Any

from fastapi import FastAPI

from api.credit import EXAMPLE_SCORE
from pipelines.credit.scoring import CreditApplication, CreditScore

BODY = b'"hello"'


async def asgi_app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})


fastapi_app = FastAPI()


@fastapi_app.get("/")
async def hello() -> str:
    return "hello"


fastapi_sync_app = FastAPI()


@fastapi_sync_app.get("/")
def hello_sync() -> str:
    return "hello"


fastapi_score_shape_app = FastAPI()


@fastapi_score_shape_app.post("/credit/score", response_model=CreditScore)
def score_shape(application: CreditApplication) -> dict[str, Any]:
    return EXAMPLE_SCORE | {"client_id": application.SK_ID_CURR}
