"""The credit API as the dashboard sees it: four GET/POST calls over HTTP, and one error type whose message
an officer can act on (the API is down, the model is unavailable, a field is invalid)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
URL_VARIABLE = "CREDIT_API_URL"


def api_url() -> str:
    """The API's base URL: CREDIT_API_URL, else the local service `make api` starts."""
    return (os.environ.get(URL_VARIABLE) or DEFAULT_URL).rstrip("/")


@dataclass
class ApiError(Exception):
    """Why a call failed: `kind` is down (no answer), unavailable (503), invalid (400/422) or error (other)."""

    kind: str
    message: str
    status: int | None = None

    def __str__(self) -> str:
        return self.message


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail) if detail else response.text[:300] or response.reason_phrase


class CreditApi:
    """A thin client over one base URL; every method returns the decoded JSON answer or raises ApiError."""

    def __init__(self, base_url: str, timeout_s: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.base_url}{path}"
        try:
            response = httpx.request(method, url, json=body, timeout=self.timeout_s)
        except httpx.TimeoutException:
            raise ApiError(
                "down", f"the credit API at {self.base_url} did not answer {path} within {self.timeout_s:.0f} s"
            ) from None
        except httpx.TransportError as error:
            raise ApiError(
                "down",
                f"the credit API at {self.base_url} is not reachable ({type(error).__name__}): start it with "
                f"`make api`, or set {URL_VARIABLE} to where it runs",
            ) from None
        if response.status_code == 503:
            raise ApiError("unavailable", f"the API answers 503 on {path}: {_detail(response)}", 503)
        if response.status_code in (400, 422):
            raise ApiError("invalid", f"the API refused the application: {_detail(response)}", response.status_code)
        if response.status_code >= 400:
            raise ApiError("error", f"HTTP {response.status_code} on {path}: {_detail(response)}", response.status_code)
        return response.json()

    def score(self, application: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/credit/score", application)

    def model_card(self) -> dict[str, Any]:
        return self._call("GET", "/credit/model")

    def importance(self) -> dict[str, Any]:
        return self._call("GET", "/credit/importance")

    def monitoring(self) -> dict[str, Any]:
        return self._call("GET", "/credit/monitoring")
