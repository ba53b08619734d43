"""Feature engineering: engineered values, the sentinel, exclusions, and no identifier or target leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from pipelines.common.errors import DataError
from pipelines.credit.features import (
    ENGINEERED,
    ApplicationFeatures,
    CategoricalColumns,
    SkewedLog,
    logged_columns,
    make_feature_pipeline,
    source_column,
)
from pipelines.credit.models import make_classifier
from pipelines.credit.schema import DAYS_EMPLOYED_SENTINEL, ID, TARGET
from tests.credit.conftest import FEATURE_SETTINGS


def test_engineered_values(labelled):
    rows = labelled.head(200).copy()
    rows.loc[rows.index[0], "AMT_INCOME_TOTAL"] = 0  # division by zero → missing, never inf
    out = ApplicationFeatures().fit(rows).transform(rows)
    expected = rows["AMT_CREDIT"] / rows["AMT_INCOME_TOTAL"]
    assert np.isnan(out["CREDIT_INCOME_RATIO"].iloc[0])
    np.testing.assert_allclose(out["CREDIT_INCOME_RATIO"].iloc[1:], expected.iloc[1:])
    np.testing.assert_allclose(out["ANNUITY_CREDIT_RATIO"], rows["AMT_ANNUITY"] / rows["AMT_CREDIT"])
    scores = rows[["EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3"]]
    np.testing.assert_allclose(out["EXT_SOURCE_MEAN"], scores.mean(axis=1))
    assert out.loc[scores.isna().any(axis=1), "EXT_SOURCE_PROD"].isna().all()
    assert (out["EXT_SOURCE_COUNT"] == scores.notna().sum(axis=1)).all()
    assert (out["MISSING_COUNT"] == rows.drop(columns=[ID, TARGET]).isna().sum(axis=1)).all()
    assert not np.isinf(out.select_dtypes("number").to_numpy()).any()


def test_days_employed_sentinel_becomes_a_flag_and_a_missing_value(labelled):
    rows = labelled.head(500)
    out = ApplicationFeatures().fit(rows).transform(rows)
    sentinel = rows["DAYS_EMPLOYED"] == DAYS_EMPLOYED_SENTINEL
    assert sentinel.any()
    assert (out["DAYS_EMPLOYED_ANOMALY"] == sentinel.astype(float)).all()
    assert out.loc[sentinel, "DAYS_EMPLOYED"].isna().all()
    assert out.loc[sentinel, "EMPLOYED_AGE_RATIO"].isna().all()
    assert (out.loc[~sentinel, "DAYS_EMPLOYED"] <= 0).all()


def test_identifier_and_target_are_never_features(labelled):
    features = ApplicationFeatures().fit(labelled.head(100))
    names = set(features.get_feature_names_out())
    assert ID not in names and TARGET not in names
    assert set(features.transform(labelled.head(100)).columns) == names


def test_excluding_a_field_removes_it_and_what_is_computed_from_it(labelled):
    rows = labelled.head(100)
    out = ApplicationFeatures(("CODE_GENDER", "AMT_ANNUITY")).fit(rows).transform(rows)
    assert "CODE_GENDER" not in out and "AMT_ANNUITY" not in out
    assert "ANNUITY_INCOME_RATIO" not in out and "ANNUITY_CREDIT_RATIO" not in out
    assert "CREDIT_INCOME_RATIO" in out
    with pytest.raises(DataError, match="not application fields"):
        ApplicationFeatures(("NOT_A_FIELD",)).fit(rows)


def test_predictions_ignore_the_identifier_and_the_target(small_split, fitted_xgboost):
    """Leakage test: scrambling SK_ID_CURR and TARGET in the inputs changes no prediction."""
    test = small_split[1]
    scrambled = test.copy()
    scrambled[ID] = np.random.default_rng(0).permutation(scrambled[ID].to_numpy()) + 10_000_000
    scrambled[TARGET] = 1 - scrambled[TARGET]
    np.testing.assert_array_equal(fitted_xgboost.predict_proba(test), fitted_xgboost.predict_proba(scrambled))
    encoded = [str(name) for name in fitted_xgboost[:-1].get_feature_names_out()]
    assert not [name for name in encoded if ID in name or TARGET in name]


def test_fitting_with_the_target_among_the_inputs_changes_nothing(small_split):
    train, test = small_split
    y = train[TARGET].to_numpy()

    def fitted(inputs: pd.DataFrame) -> Pipeline:
        encoder = make_feature_pipeline("tree", ("CODE_GENDER",), FEATURE_SETTINGS, seed=0)
        model = make_classifier("xgboost", {"n_estimators": 20}, "none", 1.0, seed=0)
        return Pipeline([*encoder.steps, ("model", model)]).fit(inputs, y)

    with_target, without = fitted(train), fitted(train.drop(columns=[TARGET]))
    inputs = test.drop(columns=[TARGET])
    np.testing.assert_array_equal(with_target.predict_proba(inputs), without.predict_proba(inputs))


def test_categorical_columns_split_by_cardinality(labelled):
    low = CategoricalColumns(10, high=False)(labelled)
    high = CategoricalColumns(10, high=True)(labelled)
    assert set(high) == {"OCCUPATION_TYPE", "ORGANIZATION_TYPE"}
    assert "NAME_CONTRACT_TYPE" in low and not set(low) & set(high)


def test_encoder_one_hot_target_encoding_and_scaling(small_split):
    train = small_split[0]
    linear = make_feature_pipeline("linear", ("CODE_GENDER",), FEATURE_SETTINGS, seed=0)
    encoded = linear.fit_transform(train.drop(columns=[TARGET]), train[TARGET].to_numpy())
    names = [str(name) for name in linear.get_feature_names_out()]
    assert "NAME_CONTRACT_TYPE_Cash loans" in names and "ORGANIZATION_TYPE" in names
    assert "missingindicator_EXT_SOURCE_1" in names
    assert not np.isnan(encoded).any()
    numeric = [i for i, name in enumerate(names) if name in ("AMT_CREDIT", "DAYS_BIRTH")]
    np.testing.assert_allclose(encoded[:, numeric].mean(axis=0), 0, atol=1e-6)
    assert {"AMT_INCOME_TOTAL", "AMT_CREDIT"} <= set(logged_columns(linear))
    tree = make_feature_pipeline("tree", (), FEATURE_SETTINGS, seed=0)
    raw = tree.fit_transform(train.drop(columns=[TARGET]), train[TARGET].to_numpy())
    assert np.isnan(raw).any()  # tree models get the missing values untouched
    assert logged_columns(tree) == []
    organisation = raw[:, [str(n) for n in tree.get_feature_names_out()].index("ORGANIZATION_TYPE")]
    assert 0 <= np.nanmin(organisation) and np.nanmax(organisation) < 1  # a (smoothed) default rate per category


def test_skewed_log_only_touches_skewed_non_negative_columns(rng):
    frame = pd.DataFrame(
        {"income": rng.lognormal(10, 1.5, 1000), "days": -rng.lognormal(5, 1.5, 1000), "flat": rng.normal(size=1000)}
    )
    log = SkewedLog(2.0).fit(frame)
    assert log.logged(frame.columns) == ["income"]
    out = log.transform(frame)
    np.testing.assert_allclose(out[:, 0], np.log1p(frame["income"]))
    np.testing.assert_allclose(out[:, 1:], frame[["days", "flat"]])


def test_source_column_maps_encoded_features_back():
    inputs = ["NAME_CONTRACT_TYPE", "EXT_SOURCE_1", "EXT_SOURCE_MEAN", "AMT_CREDIT"]
    assert source_column("NAME_CONTRACT_TYPE_Cash loans", inputs) == "NAME_CONTRACT_TYPE"
    assert source_column("missingindicator_EXT_SOURCE_1", inputs) == "EXT_SOURCE_1"
    assert source_column("EXT_SOURCE_MEAN", inputs) == "EXT_SOURCE_MEAN"
    assert source_column("AMT_CREDIT", inputs) == "AMT_CREDIT"
    assert set(ENGINEERED) >= {"CREDIT_INCOME_RATIO", "ANNUITY_INCOME_RATIO", "EMPLOYED_AGE_RATIO", "EXT_SOURCE_PROD"}
