"""Errors a handler raises and how each becomes a JSON answer and a log line.

Client mistakes (422) are logged at WARNING and days without predictions (404) at INFO, both without a
stack trace since nothing is broken here; unavailable data (503) and bugs (500) at ERROR with the stack
trace. Every body is `{"detail": "<what was wrong>"}`, plus `available_dates` on a 404.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

log = logging.getLogger("api")
RETRY_AFTER_S = "30"


class ApiError(Exception):
    def __init__(self, status_code: int, detail: str, **extra: Any):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.extra = extra


class BadInput(ApiError):
    """The request is well-formed HTTP but its values are not acceptable (422)."""

    def __init__(self, detail: str):
        super().__init__(422, detail)


class NoPredictions(ApiError):
    """Nothing stored for the day or period asked (404); says which days exist."""

    def __init__(self, detail: str, available: list):
        super().__init__(404, detail, available_dates=[day.isoformat() for day in available])


class Unavailable(ApiError):
    """The database cannot be read (503); the cause is logged with its stack trace."""

    def __init__(self, detail: str):
        super().__init__(503, detail)


def _describe(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.method} {request.url.path}{query}"


async def api_error(request: Request, error: ApiError) -> JSONResponse:
    if error.status_code >= 500:
        log.error("%s → %d: %s", _describe(request), error.status_code, error.detail, exc_info=error.__cause__)
    else:  # a day nobody forecast is an ordinary question; a malformed request is the client's mistake
        level = logging.INFO if error.status_code == 404 else logging.WARNING
        log.log(level, "%s → %d: %s", _describe(request), error.status_code, error.detail)
    headers = {"Retry-After": RETRY_AFTER_S} if error.status_code == 503 else None
    return JSONResponse({"detail": error.detail, **error.extra}, status_code=error.status_code, headers=headers)


def validation_message(error: RequestValidationError) -> str:
    """FastAPI's list of validation errors as one sentence per parameter."""
    parts = []
    for item in error.errors():
        name = str(item["loc"][-1]) if item.get("loc") else "request"
        if item.get("type") == "missing":
            parts.append(f"{name}: required (YYYY-MM-DD)")
        elif item.get("type") == "string_pattern_mismatch":
            parts.append(f"{name}: {item.get('input')!r} is not a date in YYYY-MM-DD form")
        else:
            parts.append(f"{name}: {item.get('msg', 'invalid value')}")
    return "; ".join(parts) or "invalid request"


async def request_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    detail = validation_message(error)
    log.warning("%s → 422: %s", _describe(request), detail)
    return JSONResponse({"detail": detail}, status_code=422)


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.error("%s → 500: unexpected %s", _describe(request), type(error).__name__, exc_info=error)
    return JSONResponse({"detail": "internal error (logged on the server)"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, request_validation_error)
    app.add_exception_handler(Exception, unexpected_error)
