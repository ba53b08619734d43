"""The scoring service: one application in, probability, decision and explanation out; bad fields named."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from pipelines.common.errors import DataError
from pipelines.credit.schema import CATEGORICAL, FEATURE_NAMES, ID, REQUIRED, TARGET
from pipelines.credit.scoring import (
    EXAMPLE,
    CreditApplication,
    CreditInputError,
    CreditScore,
    CreditScorer,
    application_frame,
    application_frames,
    parse_application,
)
from tests.credit.conftest import fit_pipeline, write_registered_model


@pytest.fixture(scope="module")
def scorer(registered_dir) -> CreditScorer:
    return CreditScorer(registered_dir, top_k=5)


def as_request(row: pd.Series) -> dict:
    """A real application row as a JSON body: missing values left out."""
    return {name: (value.item() if hasattr(value, "item") else value) for name, value in row.items() if pd.notna(value)}


def test_score_answers_the_contract(scorer):
    answer = scorer.score(EXAMPLE)
    CreditScore.model_validate(answer)  # the response model accepts it
    assert 0 <= answer["probability"] <= 1
    if answer["probability"] >= answer["threshold"]:
        assert answer["decision"] == "refuse" and answer["missing_fields_that_matter"] == []
    else:  # below the threshold: a grant unless a value of a missing field would refuse
        assert answer["decision"] == ("review" if answer["missing_fields_that_matter"] else "grant")
        assert (answer["worst_case_probability"] >= answer["threshold"]) == (answer["decision"] == "review")
    assert answer["threshold"] == 0.5 and answer["model_version"] == "test-0001" and answer["client_id"] == 100001
    contributions = answer["top_contributions"]
    assert len(contributions) == 5
    sizes = [abs(item["contribution"]) for item in contributions]
    assert sizes == sorted(sizes, reverse=True)
    assert json.dumps(answer)  # plain JSON types only


def test_score_matches_the_pipeline_on_the_training_layout(scorer, small_split):
    test = small_split[1].head(20)
    expected = scorer.pipeline.predict_proba(test.drop(columns=[TARGET]))[:, 1]
    for (_, row), probability in zip(test.drop(columns=[TARGET]).iterrows(), expected):
        assert scorer.score(as_request(row))["probability"] == pytest.approx(probability, abs=1e-6)


def test_contributions_add_up_to_the_score(scorer, small_split):
    row = small_split[1].drop(columns=[TARGET]).iloc[[3]]
    explanation = scorer.explainer.explain(row)
    margin = explanation.base_values[0] + explanation.values[0].sum()
    probability = scorer.pipeline.predict_proba(row)[0, 1]
    assert 1 / (1 + math.exp(-margin)) == pytest.approx(probability, abs=1e-5)
    grouped = scorer.explainer.grouped(explanation)
    assert grouped.to_numpy().sum() == pytest.approx(explanation.values.sum(), abs=1e-5)
    assert "CODE_GENDER" not in grouped.columns  # excluded from the model


def test_missing_optional_fields_become_missing_values(scorer):
    minimal = {name: EXAMPLE[name] for name in REQUIRED}
    frame = application_frame(parse_application(minimal))
    assert list(frame.columns) == [ID, *FEATURE_NAMES]
    assert np.isnan(frame["EXT_SOURCE_1"].iloc[0]) and pd.isna(frame["OCCUPATION_TYPE"].iloc[0])
    assert frame[list(CATEGORICAL)].dtypes.eq(object).all()
    answer = scorer.score(minimal)
    assert 0 <= answer["probability"] <= 1
    assert "DAYS_REGISTRATION" in answer["missing_fields_unseen_in_training"]
    assert "EXT_SOURCE_1" not in answer["missing_fields_unseen_in_training"]  # often missing in training too


def test_many_applications_become_one_row_each_with_their_values():
    minimal = {name: EXAMPLE[name] for name in REQUIRED}
    richer = {**EXAMPLE, "SK_ID_CURR": 100002, "AMT_CREDIT": 123456.0}
    applications = [parse_application(body) for body in (EXAMPLE, minimal, richer)]
    frame = application_frames(applications)
    one_by_one = pd.concat([application_frame(application) for application in applications], ignore_index=True)
    assert list(frame.columns) == [ID, *FEATURE_NAMES]
    features = list(FEATURE_NAMES)  # the same values and dtypes as the service's single rows
    pd.testing.assert_frame_equal(frame[features], one_by_one[features])
    assert frame["AMT_CREDIT"].tolist() == [EXAMPLE["AMT_CREDIT"], EXAMPLE["AMT_CREDIT"], 123456.0]
    assert frame[ID].tolist() == [EXAMPLE[ID], minimal.get(ID), 100002]
    assert pd.isna(frame.at[1, "OCCUPATION_TYPE"]) and frame.at[0, "OCCUPATION_TYPE"] == EXAMPLE["OCCUPATION_TYPE"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"AMT_CREDIT": "a lot"}, "AMT_CREDIT"),
        ({"AMT_CREDIT": -1000.0}, "AMT_CREDIT"),
        ({"AMT_INCOME_TOTAL": 0}, "AMT_INCOME_TOTAL"),
        ({"EXT_SOURCE_2": 1.5}, "EXT_SOURCE_2"),
        ({"EXT_SOURCE_2": float("nan")}, "EXT_SOURCE_2"),
        ({"CNT_CHILDREN": 1.5}, "CNT_CHILDREN"),
        ({"CNT_CHILDREN": -1}, "CNT_CHILDREN"),
        ({"FLAG_MOBIL": 2}, "FLAG_MOBIL"),
        ({"HOUR_APPR_PROCESS_START": 24}, "HOUR_APPR_PROCESS_START"),
        ({"DAYS_BIRTH": -3000}, "DAYS_BIRTH"),  # 8 years old
        ({"DAYS_BIRTH": 100}, "DAYS_BIRTH"),
        ({"DAYS_EMPLOYED": 30}, "DAYS_EMPLOYED"),  # positive and not the sentinel
        ({"DAYS_EMPLOYED": -20000}, "DAYS_EMPLOYED"),  # employed longer than alive (born 14,600 days ago)
        ({"NAME_CONTRACT_TYPE": "Mortgage"}, "NAME_CONTRACT_TYPE"),
        ({"ORGANIZATION_TYPE": "Bakery"}, "ORGANIZATION_TYPE"),
        ({"AMT_CREDITT": 1.0}, "AMT_CREDITT"),  # a typo is an error, not a silently ignored field
    ],
)
def test_impossible_values_are_refused_naming_the_field(scorer, change, field):
    with pytest.raises(CreditInputError) as error:
        scorer.score(EXAMPLE | change)
    assert [item["field"] for item in error.value.errors] == [field]
    assert field in str(error.value)


def test_missing_required_fields_are_all_named(scorer):
    with pytest.raises(CreditInputError) as error:
        scorer.score({"AMT_CREDIT": 1000.0})
    assert {item["field"] for item in error.value.errors} == set(REQUIRED) - {"AMT_CREDIT"}
    with pytest.raises(CreditInputError, match="body"):
        scorer.score(["not", "an", "object"])


def test_the_sentinel_is_a_valid_days_employed(scorer):
    assert scorer.score(EXAMPLE | {"DAYS_EMPLOYED": 365243, "NAME_INCOME_TYPE": "Pensioner"})["probability"] >= 0


def test_every_real_application_is_a_valid_request(labelled, current):
    """The bounds are impossible values only: all 24,604 real rows pass."""
    for frame in (labelled.drop(columns=[TARGET]), current):
        for _, row in frame.iterrows():
            CreditApplication.model_validate(as_request(row))


def test_request_model_lists_every_field_and_the_required_ones():
    schema = CreditApplication.model_json_schema()
    assert set(schema["properties"]) == {ID, *FEATURE_NAMES}
    assert set(schema["required"]) == set(REQUIRED)
    assert schema["additionalProperties"] is False
    assert schema["examples"] == [EXAMPLE]
    assert schema["properties"]["EXT_SOURCE_1"]["anyOf"][0]["maximum"] == 1


def test_the_model_card_is_served_and_library_drift_is_reported(tmp_path, small_split, fitted_xgboost, registered_dir):
    assert CreditScorer(registered_dir).model_card["version"] == "test-0001"
    old = write_registered_model(
        tmp_path / "old", fitted_xgboost, small_split[0], 0.5, versions={"scikit-learn": "0.24.0", "xgboost": "1.0.0"}
    )
    assert set(CreditScorer(old).version_mismatches) == {"scikit-learn", "xgboost"}
    with pytest.raises(DataError, match="incomplete"):
        CreditScorer(tmp_path / "nowhere")


def test_a_logistic_model_is_explained_too(tmp_path, small_split):
    pipeline = fit_pipeline(small_split[0], model="logistic", params={"C": 0.01})
    scorer = CreditScorer(write_registered_model(tmp_path / "logistic", pipeline, small_split[0], 0.5))
    answer = scorer.score(EXAMPLE)
    assert answer["contribution_units"] == "log-odds" and len(answer["top_contributions"]) == 5
