"""The ML ensemble: the mean forecast of the best model of each regressor family, members chosen on validation.

Each regressor (ridge, XGBoost, MLP, ...) contributes the deployable model (feature set × tuned settings) with
the lowest validation RMSE; the ensemble is their plain mean on both periods. The validation forecasts of
every member come from fits on the training days only, so the ensemble's validation score is as honest as its
members' and it competes for best model like any other.
"""

from __future__ import annotations

import pandas as pd

from pipelines.common.errors import DataError

ENSEMBLE_NAME = "ensemble_ml"
ENSEMBLE_REGRESSOR = "ensemble"


def validation_rmse(summary: dict) -> float:
    """The validation RMSE of a tuned ML model's chosen settings (the lowest of its candidates)."""
    return min(candidate["validation_rmse"] for candidate in summary["tuning"])


def choose_members(summaries: dict[str, dict]) -> list[str]:
    """Per regressor, the deployable model with the lowest validation RMSE; fewer than two: no ensemble."""
    best: dict[str, tuple[float, str]] = {}
    for name, summary in sorted(summaries.items()):
        if not summary["deployable"] or summary["regressor"] == ENSEMBLE_REGRESSOR:
            continue
        score = validation_rmse(summary)
        if summary["regressor"] not in best or score < best[summary["regressor"]][0]:
            best[summary["regressor"]] = (score, name)
    members = sorted(name for _, name in best.values())
    return members if len(members) >= 2 else []


def mean_forecasts(name: str, forecasts: pd.DataFrame, members: list[str]) -> pd.DataFrame:
    """The members' long forecasts (FORECAST_COLUMNS) averaged per period and target time, as model `name`."""
    chosen = forecasts[forecasts["model"].isin(members)]
    keys = ["period", "issue_time", "target_time", "step"]
    counts = chosen.groupby(keys)["model"].nunique()
    if chosen.empty or (counts != len(members)).any():
        raise DataError(f"{name}: every member of {members} must forecast the same days")
    mean = chosen.groupby(keys, as_index=False, sort=False).agg(
        predicted=("predicted", "mean"), observed=("observed", "first")
    )
    mean.insert(0, "model", name)
    return mean[forecasts.columns]


def summary(members: list[str], summaries: dict[str, dict]) -> dict:
    return {
        "family": "ml",
        "regressor": ENSEMBLE_REGRESSOR,
        "feature_set": None,
        "deployable": True,
        "members": members,
        "member_validation_rmse": {name: validation_rmse(summaries[name]) for name in members},
        "description": "mean of the best-on-validation model of each regressor",
    }
