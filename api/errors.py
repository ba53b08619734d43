"""Errors a handler raises and how each becomes a JSON answer and a log line.

Client mistakes (422) are logged at WARNING and days without predictions (404) at INFO, both without a
stack trace since nothing is broken here; unavailable data (503) and bugs (500) at ERROR with the stack
trace. Every body is `{"detail": "<what was wrong>"}`, plus `available_dates` on a 404. A 422 names the
parameter or the body field that was wrong ("AMT_CREDIT: Input should be greater than 0 (got -1000.0)").

Whatever a client sent is echoed cut to 64 characters, with lone surrogates spelled out (api/guards.py
`printable`), and a 422 lists at most 20 problems, then "… and N more": a hostile request cannot make the
answer or the log line larger than a few kilobytes, nor fail to encode.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.guards import printable

log = logging.getLogger("api")
RETRY_AFTER_S = "30"


class ApiError(Exception):
    def __init__(
        self,
        status_code: int,
        detail: str,
        headers: dict[str, str] | None = None,
        log_detail: str | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail  # what the client reads: no server path, host or port
        self.log_detail = log_detail or detail  # what the server's log says, which may name them
        self.headers = headers
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
    """What the endpoint serves cannot be read (503); the cause is logged with its stack trace.

    `retry`: whether asking again may help without a restart (a database the batch job is writing: yes,
    with `Retry-After`; a model loaded at start-up only: no).
    """

    def __init__(self, detail: str, retry: bool = True, log_detail: str | None = None):
        headers = {"Retry-After": RETRY_AFTER_S} if retry else None
        super().__init__(503, detail, headers=headers, log_detail=log_detail)


def _describe(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return printable(f"{request.method} {request.url.path}{query}", SHOWN_REQUEST_CHARS)


async def api_error(request: Request, error: ApiError) -> JSONResponse:
    if error.status_code >= 500:
        log.error("%s → %d: %s", _describe(request), error.status_code, error.log_detail, exc_info=error.__cause__)
    else:  # a day nobody forecast is an ordinary question; a malformed request is the client's mistake
        level = logging.INFO if error.status_code == 404 else logging.WARNING
        log.log(level, "%s → %d: %s", _describe(request), error.status_code, printable(error.detail, MAX_DETAIL_CHARS))
    detail = printable(error.detail, MAX_DETAIL_CHARS)
    return JSONResponse({"detail": detail, **error.extra}, status_code=error.status_code, headers=error.headers)


# A check across several body fields words its message "FIELD: …" (pipelines/credit/scoring.py).
NAMED_MESSAGE = re.compile(r"^[A-Z][A-Z0-9_]*: ")
SHOWN_INPUT_CHARS = 64
SHOWN_REQUEST_CHARS = 200
LONG_MESSAGE_CHARS = 200
MAX_ERRORS = 20  # problems listed in one 422; the others are counted
MAX_DETAIL_CHARS = 4096


def _shown(value: Any) -> str:
    if isinstance(value, str):
        value = value[: 2 * SHOWN_INPUT_CHARS]  # never json-dump a megabyte to show 64 characters of it
    return printable(json.dumps(value, default=str, ensure_ascii=False), SHOWN_INPUT_CHARS)


def _parameter_problem(name: str, item: dict[str, Any], message: str) -> str:
    """A path or query parameter (all of them are dates here)."""
    if item.get("type") == "missing":
        return f"{name}: required (YYYY-MM-DD)"
    if item.get("type") == "string_pattern_mismatch":
        shown = printable(repr(str(item.get("input"))[: 2 * SHOWN_INPUT_CHARS]), SHOWN_INPUT_CHARS)
        return f"{name}: {shown} is not a date in YYYY-MM-DD form"
    return f"{name}: {message}"


def _body_problem(fields: list[str], item: dict[str, Any], message: str) -> str:
    """A JSON body: the field at fault, or the body as a whole."""
    kind = item.get("type")
    if kind == "json_invalid":
        position = f" at character {fields[0]}" if fields else ""
        return f"body: not valid JSON ({(item.get('ctx') or {}).get('error', message)}{position})"
    if not fields:
        if kind == "missing":
            return "body: required (a JSON object)"
        return message if NAMED_MESSAGE.match(message) else f"body: {message}"
    name = printable(".".join(fields), SHOWN_INPUT_CHARS)
    if kind == "missing":
        return f"{name}: required"
    if kind == "extra_forbidden":
        return f"{name}: unknown field (not in the schema; see /docs)"
    if kind == "literal_error" and len(message) > LONG_MESSAGE_CHARS:  # dozens of categories: point to them
        return f"{name}: {_shown(item.get('input'))} is not one of the accepted values (listed in /docs)"
    return f"{name}: {message} (got {_shown(item.get('input'))})"


def validation_message(error: RequestValidationError) -> str:
    """FastAPI's list of validation errors as one sentence per parameter or body field (at most MAX_ERRORS)."""
    parts = []
    items = error.errors()
    for item in items[:MAX_ERRORS]:
        location = [str(part) for part in item.get("loc") or ()]
        message = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
        if location and location[0] == "body":
            parts.append(_body_problem(location[1:], item, message))
        else:
            parts.append(_parameter_problem(printable(location[-1]) if location else "request", item, message))
    if len(items) > MAX_ERRORS:
        parts.append(f"… and {len(items) - MAX_ERRORS} more")
    return printable("; ".join(parts), MAX_DETAIL_CHARS) or "invalid request"


async def request_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    detail = validation_message(error)
    log.warning("%s → 422: %s", _describe(request), detail)
    return JSONResponse({"detail": detail}, status_code=422)


async def http_error(request: Request, error: HTTPException) -> Any:
    """FastAPI's own 4xx (unknown route, wrong method…) unchanged, except a body it could not even decode."""
    cause = error.__cause__
    if error.status_code == 400 and isinstance(cause, UnicodeDecodeError):  # FastAPI: "error parsing the body"
        detail = f"body: not valid JSON (not UTF-8 text: {cause.reason} at byte {cause.start})"
        log.warning("%s → 400: %s", _describe(request), detail)
        return JSONResponse({"detail": detail}, status_code=400)
    return await http_exception_handler(request, error)


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.error("%s → 500: unexpected %s", _describe(request), type(error).__name__, exc_info=error)
    return JSONResponse({"detail": "internal error (logged on the server)"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, request_validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
