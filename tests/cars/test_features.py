"""The derived inputs of the boosted model: statistics from the training rows only, target encodings
cross-fitted on them, none reading year or mileage (so the monotone constraints stay a guarantee)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.cars.models import DERIVED, TARGET_ENCODED, CarFeatures, GroupTargetEncoding, make_boosting
from pipelines.cars.schema import FEATURES
from pipelines.common.errors import ParamError


def _listings() -> pd.DataFrame:
    rows = [("VW", "Golf", 110.0)] * 6 + [("VW", "Polo", 75.0)] * 4 + [("BMW", "320", 184.0)] * 3
    frame = pd.DataFrame(rows, columns=["make", "model", "hp"])
    return frame.assign(
        fuel="Gasoline", gear="Manual", offerType="Used", year=2015 + np.arange(len(frame)) % 5, mileage=50_000.0
    )


def test_power_relative_and_count_come_from_training_rows_with_fallbacks():
    train = _listings()
    features = CarFeatures(2021, derived=DERIVED).fit(train)
    new = pd.DataFrame(
        {"make": ["VW", "VW", "Tesla"], "model": ["Golf", "Up", "S"], "hp": [220.0, 92.5, 370.0]}
    ).assign(fuel="Gasoline", gear="Manual", offerType="Used", year=2018, mileage=1000.0)
    out = features.transform(new)
    # Golf: its own median (110); Up unseen: VW's median over 10 listings (110 and 75 → 110); Tesla: everyone's
    assert out["hp_relative"].tolist() == pytest.approx([2.0, 92.5 / 110.0, 370.0 / 110.0])
    assert out["model_count"].tolist() == [6, 0, 0]
    assert out["make_model"].isna().tolist() == [False, True, True]
    assert list(out.columns) == list(features.get_feature_names_out())


def test_no_derived_input_reads_year_or_mileage():
    train = _listings()
    features = CarFeatures(2021, derived=DERIVED).fit(train)
    encoder = GroupTargetEncoding(cv=2, seed=0).fit(features.transform(train), np.log(np.arange(13) + 5000.0))
    moved = train.assign(year=2011, mileage=290_000.0)
    before, after = encoder.transform(features.transform(train)), encoder.transform(features.transform(moved))
    derived = [*DERIVED, *(f"te_{name}" for name in TARGET_ENCODED)]
    pd.testing.assert_frame_equal(before[derived], after[derived])
    assert not before["age"].equals(after["age"])  # the check above could fail: the raw inputs did change


def test_target_encoding_of_training_rows_is_cross_fitted_and_new_rows_use_every_training_row():
    train = _listings()
    inputs = CarFeatures(2021).fit(train).transform(train)
    y = np.where(train["model"] == "320", 11.0, 9.0) + 0.1 * (np.arange(len(train)) % 3)
    encoder = GroupTargetEncoding(cv=3, seed=0)
    fitted_rows = encoder.fit_transform(inputs, y)["te_make_model"]
    refit_rows = encoder.transform(inputs)["te_make_model"]
    # outside its fold, a row's encoding is not the full-data one (its own price was left out)
    assert not np.allclose(fitted_rows, refit_rows)
    # on new rows: the BMW 320 group is far dearer than the VW groups; an unseen group gets the overall mean
    unseen = inputs.head(1).assign(make=pd.Categorical([None]), model=pd.Categorical([None]))
    assert refit_rows[train["model"] == "320"].min() > refit_rows[train["model"] != "320"].max()
    assert encoder.transform(unseen)["te_make_model"].iloc[0] == pytest.approx(y.mean())


def test_an_unknown_derived_input_is_refused_naming_the_parameter():
    with pytest.raises(ParamError, match="cars.train.xgboost.features"):
        make_boosting({}, 2021, seed=0, threads=1, features=("make_model", "colour"))
    with pytest.raises(ParamError, match="cars.train.xgboost.features"):
        CarFeatures(2021, derived=("colour",)).fit(_listings()[list(FEATURES)])


def test_disabled_encoding_passes_the_inputs_through():
    inputs = CarFeatures(2021).fit(_listings()).transform(_listings())
    encoder = GroupTargetEncoding(enabled=False)
    assert encoder.fit_transform(inputs, np.ones(len(inputs))) is inputs
    assert encoder.transform(inputs) is inputs
