"""Production monitoring of the credit scoring service, from its stored events (pipelines/credit/events.py):
operations (requests per day, error rates, latency), the score distribution and the refusal rate against
the training reference, and which of these cross the limits set in params.yaml (`credit.monitor`).

The reference is what the model was validated on: the training split's inputs and the registered model's
calibrated out-of-fold probabilities (the same reference as the credit_drift stage). Production inputs are
the JSON objects clients sent, rebuilt into the training layout exactly as the service did
(`parse_application`, `application_frames`), so a field a client left out is a missing value here too.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines.common.errors import DataError
from pipelines.credit import events
from pipelines.credit.scoring import CreditInputError, application_frames, parse_application
from pipelines.credit.settings import Limits

SCORED = 200


@dataclass(frozen=True)
class Alert:
    name: str
    value: float
    limit: float
    message: str


def read_recorded(path: str | Path) -> pd.DataFrame:
    """Events exported as JSON lines (gzipped when the name ends in .gz), in the event store's columns."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError as error:
        raise DataError(f"{path}: recorded traffic not found") from error
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: not JSON lines of scoring events: {error}") from error
    frame = pd.DataFrame(rows)
    missing = [name for name in ("received_at", "http_status", "latency_ms") if name not in frame.columns]
    if missing:
        raise DataError(f"{path}: events without {', '.join(missing)}")
    frame = frame.reindex(columns=["id", *events.COLUMNS])
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
    return frame


def write_recorded(frame: pd.DataFrame, handle) -> None:
    """Write events as JSON lines (one object per event, times in ISO 8601 UTC) to an open text handle."""
    for row in frame.to_dict(orient="records"):
        row["received_at"] = pd.Timestamp(row["received_at"]).isoformat()
        clean = {key: (None if _is_missing(value) else value) for key, value in row.items()}
        handle.write(json.dumps(clean, ensure_ascii=False, sort_keys=True) + "\n")


def _is_missing(value: Any) -> bool:
    return not isinstance(value, dict | list | str) and pd.isna(value)


def operations(frame: pd.DataFrame) -> dict[str, Any]:
    """Requests, answer classes and rates, latency of the scored ones, requests per UTC day."""
    if frame.empty:
        raise DataError("no scoring event to monitor")
    status = frame["http_status"].astype(int)
    scored = frame[status == SCORED]
    latency = scored["latency_ms"].astype(float)
    per_day = frame["received_at"].dt.strftime("%Y-%m-%d").value_counts().sort_index()
    return {
        "requests": int(len(frame)),
        "scored": int(len(scored)),
        "client_errors": int(status.between(400, 499).sum()),
        "server_errors": int((status >= 500).sum()),
        "client_error_rate": float(status.between(400, 499).mean()),
        "server_error_rate": float((status >= 500).mean()),
        "latency_p50_ms": float(latency.quantile(0.5)) if len(latency) else None,
        "latency_p95_ms": float(latency.quantile(0.95)) if len(latency) else None,
        "first_request": frame["received_at"].min().isoformat(),
        "last_request": frame["received_at"].max().isoformat(),
        "requests_per_day": {day: int(count) for day, count in per_day.items()},
        "statuses": {str(code): int(count) for code, count in status.value_counts().sort_index().items()},
    }


def population_stability(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """PSI of `current` against `reference` over the reference's quantile bins (0.1 is the usual "watch"
    level, 0.25 a significant shift); an empty bin counts as half an observation so the log stays finite."""
    reference, current = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)
    if len(reference) == 0 or len(current) == 0:
        raise DataError("population stability needs both samples")
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    expected = np.maximum(np.histogram(reference, edges)[0], 0.5) / len(reference)
    actual = np.maximum(np.histogram(current, edges)[0], 0.5) / len(current)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def score_shift(reference: np.ndarray, frame: pd.DataFrame, threshold: float) -> dict[str, Any]:
    """The served probabilities and decisions against the reference probabilities at the same threshold."""
    scored = frame[frame["http_status"] == SCORED]
    current = scored["probability"].astype(float).to_numpy()
    decisions = scored["decision"].value_counts(normalize=True)
    reference_refusals = float(np.mean(np.asarray(reference) >= threshold))
    refusals = float(decisions.get("refuse", 0.0))
    return {
        "threshold": float(threshold),
        "mean_probability_reference": float(np.mean(reference)),
        "mean_probability_production": float(np.mean(current)) if len(current) else None,
        "score_psi": population_stability(reference, current) if len(current) else None,
        "refusal_rate_reference": reference_refusals,
        "refusal_rate_production": refusals,
        "refusal_rate_change": refusals - reference_refusals,
        "decision_shares": {name: float(share) for name, share in decisions.sort_index().items()},
        "model_versions": sorted(str(version) for version in scored["model_version"].dropna().unique()),
    }


def production_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """The scored requests' inputs in the training layout, rebuilt the way the service read them."""
    applications = []
    for number, inputs in zip(frame.index, frame["inputs"]):
        if frame.at[number, "http_status"] != SCORED:
            continue
        try:
            applications.append(parse_application(inputs))
        except CreditInputError as error:
            raise DataError(f"event {frame.at[number, 'id']}: scored inputs no longer parse: {error}") from error
    if not applications:
        raise DataError("no scored request: nothing to compare with the reference")
    return application_frames(applications)


@dataclass(frozen=True)
class Check:
    """One monitored figure against its limit; `fires` is the one alert rule (the report's table uses it too)."""

    name: str
    value: float | None
    limit: float
    what: str

    @property
    def fires(self) -> bool:
        return self.value is not None and self.value > self.limit


def checks(summary: dict[str, Any], limits: Limits) -> list[Check]:
    """Every figure of `summary` that has a limit, with the limit."""
    ops, scores, drift = summary["operations"], summary["scores"], summary["drift"]
    return [
        Check(
            "server_error_rate", ops["server_error_rate"], limits.max_server_error_rate, "of answers were server errors"
        ),
        Check(
            "client_error_rate",
            ops["client_error_rate"],
            limits.max_client_error_rate,
            "of requests refused as invalid",
        ),
        Check("latency_p95_ms", ops["latency_p95_ms"], limits.max_latency_p95_ms, "ms: 95th percentile latency"),
        Check("score_psi", scores["score_psi"], limits.max_score_psi, "population stability index of the probability"),
        Check(
            "refusal_rate_change",
            abs(scores["refusal_rate_change"]),
            limits.max_refusal_rate_change,
            "change of the refusal rate against the reference",
        ),
        Check("drifted_share", drift["share_drifted"], limits.max_drifted_share, "of the model's fields drifted"),
    ]


def alerts(summary: dict[str, Any], limits: Limits) -> list[Alert]:
    """Every figure of `summary` beyond its limit, with a sentence saying so (the figures decide)."""
    found = []
    for check in checks(summary, limits):
        if check.fires:
            shown = f"{check.value:,.0f}" if check.name == "latency_p95_ms" else f"{check.value:.3f}"
            message = f"{shown} {check.what} (limit {check.limit:g})"
            found.append(Alert(check.name, float(check.value), float(check.limit), message))
    ops = summary["operations"]
    if ops["scored"] < limits.min_requests:
        found.append(
            Alert(
                "too_few_requests",
                float(ops["scored"]),
                float(limits.min_requests),
                f"only {ops['scored']} scored requests: drift figures are unreliable below {limits.min_requests}",
            )
        )
    return found
