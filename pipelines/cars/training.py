"""The candidates of each model family from params.yaml (`cars.train`), tuned on the validation split."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipelines.cars.models import (
    FAMILIES,
    ExpertRule,
    grid,
    make_boosting,
    make_linear,
    regression_metrics,
    residual_quantiles,
    tune_on_validation,
)
from pipelines.cars.schema import FEATURES, TARGET
from pipelines.common.errors import ParamError
from pipelines.common.params import Params


def _label(params: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in params.items()) or "default"


def family_candidates(train: Params, listing_year: int) -> dict[str, dict[str, tuple[dict, Any]]]:
    """{family: {candidate label: (its parameters, unfitted estimator)}} for every family of FAMILIES."""
    expert = train.section("expert")
    rates = [float(rate) for rate in expert.get("rates", type_=list)]
    if not rates or not all(0 <= rate < 1 for rate in rates):
        raise ParamError(expert.name("rates"), f"yearly rates must be in [0, 1), got {rates}")
    expert_params = {
        "rates": tuple(rates),
        "tail_rate": expert.number("tail_rate", minimum=0, maximum=0.99),
        "youngest_span": expert.integer("youngest_span", minimum=0),
        "min_cars": expert.integer("min_cars", minimum=1),
    }
    linear = train.section("linear")
    min_frequency = linear.integer("min_frequency", minimum=1)
    boosting = train.section("xgboost")
    fixed = boosting.get("fixed", {}, type_=dict)
    features = tuple(str(name) for name in boosting.get("features", [], type_=list))
    seed, threads = train.integer("seed"), train.integer("threads", minimum=1)
    return {
        "expert": {"rule": (expert_params, ExpertRule(**expert_params, listing_year=listing_year))},
        "linear": {
            _label({"alpha": alpha}): (
                {"alpha": alpha, "min_frequency": min_frequency},
                make_linear(alpha, min_frequency, listing_year),
            )
            for alpha in linear.get("alpha", type_=list)
        },
        "xgboost": {
            _label(point): (
                fixed | point | {"features": list(features)},
                make_boosting(fixed | point, listing_year, seed, threads, features),
            )
            for point in grid(boosting.get("grid", {}, type_=dict))
        },
    }


def xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    return frame[list(FEATURES)], frame[TARGET].to_numpy(dtype=float)


def train_families(
    candidates: dict[str, dict[str, tuple[dict, Any]]],
    train: pd.DataFrame,
    validation: pd.DataFrame,
    select_by: str,
    coverage: float,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each family tuned on validation; returns the fitted best of each family and the summary (per family:
    the chosen parameters, validation scores, every candidate's scores, the validation residual quantiles)
    with `best_model`, the family with the lowest validation `select_by`."""
    fitted, families = {}, {}
    for family, options in candidates.items():
        label, model, history = tune_on_validation(
            {name: estimator for name, (_, estimator) in options.items()}, xy(train), xy(validation), select_by
        )
        predicted = model.predict(xy(validation)[0])
        low, high = residual_quantiles(xy(validation)[1], predicted, coverage)
        fitted[family] = model
        families[family] = {
            "family": FAMILIES[family],
            "candidate": label,
            "params": options[label][0],
            "validation": regression_metrics(xy(validation)[1], predicted),
            "train": regression_metrics(xy(train)[1], model.predict(xy(train)[0])),
            "interval_log_residuals": [low, high],
            "history": history,
        }
    best = min(families, key=lambda name: families[name]["validation"][select_by])
    summary = {"models": families, "best_model": best, "select_by": select_by, "interval_coverage": coverage}
    return fitted, summary
