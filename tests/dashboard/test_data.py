"""The applications the officer picks from and the population a client is compared with."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dashboard import data
from pipelines.common.errors import DataError
from pipelines.credit.paths import TEST, TRAIN
from pipelines.credit.schema import ID, TARGET


def test_the_replayed_source_is_the_unlabelled_file_by_id_and_a_body_is_what_the_replay_sends() -> None:
    from pipelines.credit.replay import DEFAULT_APPLICATIONS, payloads

    frame = data.applications("replayed")
    assert len(frame) == 8080 and TARGET not in frame.columns and frame.index.is_unique
    first = int(frame.index[0])
    raw = pd.read_csv(DEFAULT_APPLICATIONS, nrows=1)
    assert data.application_body(frame, first) == payloads(raw)[0]
    with pytest.raises(DataError, match="SK_ID_CURR 1 is not among the 8,080 applications"):
        data.application_body(frame, 1)
    with pytest.raises(DataError, match="unknown application source 'bureau'"):
        data.applications("bureau")


def test_the_splits_are_the_stages_files_or_the_same_rows_carved_the_same_way(tmp_path) -> None:
    train, test = data.labelled_splits(tmp_path / "no-train.csv.gz", tmp_path / "no-test.csv.gz")
    assert not set(train[ID]) & set(test[ID]) and len(test) / (len(train) + len(test)) == pytest.approx(0.2, abs=1e-3)
    if TRAIN.is_file() and TEST.is_file():  # after `dvc repro credit_data`: exactly its rows
        stage_train, stage_test = data.labelled_splits()
        assert stage_train[ID].tolist() == train[ID].tolist() and stage_test[ID].tolist() == test[ID].tolist()
    hidden = data.applications("test")
    assert TARGET not in hidden.columns and hidden.index.tolist() == test[ID].tolist()


def test_the_population_holds_the_engineered_inputs_and_the_outcome() -> None:
    train = data.labelled_splits()[0].head(300)
    people = data.population(train)
    assert len(people) == 300 and people[TARGET].tolist() == train[TARGET].tolist()
    assert {"EXT_SOURCE_MEAN", "CREDIT_INCOME_RATIO", "AMT_CREDIT"} <= set(people.columns)
    assert "ORGANIZATION_TYPE" not in people.columns  # numeric fields only: they can be placed on an axis
    row = train.iloc[0]
    expected = np.nanmean([row["EXT_SOURCE_1"], row["EXT_SOURCE_2"], row["EXT_SOURCE_3"]])
    assert people["EXT_SOURCE_MEAN"].iloc[0] == pytest.approx(expected)


def test_a_clients_features_are_computed_from_its_body_alone() -> None:
    client = data.client_features({"AMT_CREDIT": 200000.0, "AMT_INCOME_TOTAL": 50000.0, "EXT_SOURCE_2": 0.6})
    assert client["CREDIT_INCOME_RATIO"] == pytest.approx(4.0)
    assert client["EXT_SOURCE_MEAN"] == pytest.approx(0.6) and np.isnan(client["EXT_SOURCE_PROD"])
    assert np.isnan(client["AMT_ANNUITY"])


def test_the_percentile_counts_the_known_values_below_and_half_the_ties() -> None:
    values = pd.Series([1.0, 2.0, 2.0, 3.0, np.nan])
    assert data.percentile(values, 2.0) == pytest.approx(50.0)
    assert data.percentile(values, 0.5) == 0.0 and data.percentile(values, 9.0) == 100.0
    assert data.percentile(values, None) is None and data.percentile(values, float("nan")) is None
    assert data.percentile(pd.Series([np.nan]), 1.0) is None


def test_an_edited_application_must_be_a_json_object() -> None:
    assert data.parse_body(json.dumps({"AMT_CREDIT": 1e5})) == {"AMT_CREDIT": 1e5}
    with pytest.raises(DataError, match=r"not valid JSON: Expecting .* \(line 1, column"):
        data.parse_body('{"AMT_CREDIT": 1e5,')
    with pytest.raises(DataError, match="must be a JSON object of fields, not a list"):
        data.parse_body("[1, 2]")


def test_the_cost_weights_are_the_cards_else_the_params() -> None:
    from pipelines.common.params import load_section
    from pipelines.credit.settings import CostParams

    card = {"decision": {"threshold": 0.09, "cost_weights": {"fn": 5, "fp": 2}}}
    assert data.cost_weights(card) == ({"fn": 5.0, "fp": 2.0}, "the model card")
    cost = load_section("credit.cost", CostParams)
    fallback = {"fn": cost.fn, "fp": cost.fp}
    assert data.cost_weights({"decision": {"threshold": 0.5}}) == (fallback, "params.yaml credit.cost")
