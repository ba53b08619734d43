"""The applications an officer picks from, and the population a client is compared with.

* `replayed`: the unlabelled applications (`application_test` layout, `credit.data.current_path`) that the
  replay sent through the API as production traffic;
* `test`: the labelled test split the credit_data stage writes (its outcome is not shown);
* the population: the training split, the applications the model was fitted on.

Both splits are DVC outputs (data/interim/credit); in a checkout without them (a fresh clone) they are
carved from the shipped labelled file with the stage's own function and parameters, so they are the same rows.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines.common.errors import DataError
from pipelines.common.params import load_section
from pipelines.common.paths import resolve
from pipelines.credit.data import read_application, read_frame, split_labelled
from pipelines.credit.features import ApplicationFeatures
from pipelines.credit.paths import TEST, TRAIN
from pipelines.credit.replay import payloads
from pipelines.credit.schema import FEATURE_NAMES, ID, TARGET
from pipelines.credit.settings import CostParams, DataParams

SOURCES = {
    "replayed": "Replayed applications (production traffic)",
    "test": "Labelled test split (outcome hidden)",
}


def cost_weights(card: dict[str, Any]) -> tuple[dict[str, float], str]:
    """The cost of a granted default (`fn`) and of a refused good client (`fp`): the model card's, which its
    threshold was chosen with, else params.yaml `credit.cost` (a card registered without them); and where from."""
    weights = (card.get("decision") or {}).get("cost_weights")
    if weights and {"fn", "fp"} <= set(weights):
        return {"fn": float(weights["fn"]), "fp": float(weights["fp"])}, "the model card"
    cost = load_section("credit.cost", CostParams)
    return {"fn": cost.fn, "fp": cost.fp}, "params.yaml credit.cost"


def labelled_splits(train_path: Path = TRAIN, test_path: Path = TEST) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training and test splits: the credit_data stage's files, else the same split of the shipped file."""
    if train_path.is_file() and test_path.is_file():
        return read_frame(train_path), read_frame(test_path)
    data = load_section("credit.data", DataParams)
    labelled = read_application(resolve(data.train_path), labelled=True)
    return split_labelled(labelled, data.test_size, data.seed, data.max_labelled_rows)


def replayed_applications() -> pd.DataFrame:
    path = resolve(load_section("credit.data", DataParams).current_path)
    return read_application(path, labelled=False)


def applications(source: str) -> pd.DataFrame:
    """The applications of one source, indexed by SK_ID_CURR, without any label."""
    if source == "replayed":
        frame = replayed_applications()
    elif source == "test":
        frame = labelled_splits()[1].drop(columns=[TARGET])
    else:
        raise DataError(f"unknown application source {source!r} (one of: {', '.join(SOURCES)})")
    return frame.set_index(ID, drop=False)


def application_body(frame: pd.DataFrame, client_id: int) -> dict[str, Any]:
    """The JSON body /credit/score takes for one client: its id and every field it has a value for."""
    if client_id not in frame.index:
        raise DataError(f"{ID} {client_id} is not among the {len(frame):,} applications of this source")
    return payloads(frame.loc[[client_id]])[0]


def parse_body(text: str) -> dict[str, Any]:
    """An application typed or edited as JSON; DataError saying where the JSON is wrong."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(
            f"the application is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(body, dict):
        raise DataError(f"the application must be a JSON object of fields, not a {type(body).__name__}")
    return body


def engineered(frame: pd.DataFrame) -> pd.DataFrame:
    """Every model input, application and engineered (ratios, EXT_SOURCE summaries…), as the model reads it."""
    full = frame.reindex(columns=list(dict.fromkeys([*frame.columns, *FEATURE_NAMES])))
    return ApplicationFeatures().fit(full).transform(full)


def population(train: pd.DataFrame) -> pd.DataFrame:
    """The training applications' model inputs (numeric ones) with their outcome, for the comparison plots."""
    features = engineered(train.drop(columns=[TARGET]))
    numeric = features.select_dtypes("number")
    return numeric.assign(**{TARGET: train[TARGET].to_numpy()})


def client_features(body: dict[str, Any]) -> pd.Series:
    """One client's model inputs (engineered ones included) from its application body."""
    frame = pd.DataFrame([{name: body.get(name) for name in FEATURE_NAMES}])
    for name in frame.columns:
        if frame[name].isna().all():
            frame[name] = np.nan
    return engineered(frame).iloc[0]


def percentile(values: pd.Series, value: float | None) -> float | None:
    """The share (0-100) of the known population values below `value` (ties count half); None when unknown."""
    known = values.dropna().to_numpy(dtype=float)
    if value is None or (isinstance(value, float) and math.isnan(value)) or known.size == 0:
        return None
    value = float(value)
    return float(100 * ((known < value).sum() + 0.5 * (known == value).sum()) / known.size)
