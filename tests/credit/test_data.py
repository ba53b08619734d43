"""The loader and the split: Kaggle's layout enforced with clear errors, and expectations on the real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.common.errors import DataError
from pipelines.credit.data import check_columns, read_application, split_labelled
from pipelines.credit.schema import BY_NAME, CATEGORICAL, FEATURE_NAMES, ID, INTEGER, REQUIRED, TARGET, expected_columns
from tests.credit.conftest import CURRENT_FILE, LABELLED_FILE


def test_schema_is_kaggles_layout_in_kaggles_order():
    assert list(pd.read_csv(LABELLED_FILE, nrows=0).columns) == expected_columns(labelled=True)
    assert list(pd.read_csv(CURRENT_FILE, nrows=0).columns) == expected_columns(labelled=False)
    assert len(FEATURE_NAMES) == 120 and len(CATEGORICAL) == 16 and len(INTEGER) == 39


def test_declared_kinds_match_the_real_files():
    raw = pd.read_csv(LABELLED_FILE)
    for name in FEATURE_NAMES:
        kind = BY_NAME[name].kind
        dtype = raw[name].dtype
        if kind == "category":
            assert pd.api.types.is_object_dtype(dtype), name
        elif kind == "integer":
            assert dtype == np.int64, name
        else:
            assert dtype == np.float64, name


def test_every_real_category_is_a_declared_level(labelled, current):
    for frame in (labelled, current):
        for name in CATEGORICAL:
            unknown = set(frame[name].dropna()) - set(BY_NAME[name].levels)
            assert not unknown, f"{name}: {unknown}"


def test_real_data_expectations(labelled, current):
    assert len(labelled) == 16_524 and len(current) == 8_080
    assert 0.07 < labelled[TARGET].mean() < 0.10  # Kaggle's full file: 8.07 %
    assert not set(labelled[ID]) & set(current[ID])
    assert labelled[ID].is_unique and current[ID].is_unique
    assert (labelled["DAYS_EMPLOYED"] == 365243).mean() > 0.1  # the sentinel is still there, untouched
    assert labelled[list(REQUIRED)].notna().all().all() and current[list(REQUIRED)].notna().all().all()
    assert labelled["EXT_SOURCE_1"].between(0, 1).all() or labelled["EXT_SOURCE_1"].isna().any()


def _frame(labelled: pd.DataFrame) -> pd.DataFrame:
    return labelled.head(50).copy()


def test_missing_column_is_named(labelled):
    with pytest.raises(DataError, match="missing column.*AMT_CREDIT"):
        check_columns(_frame(labelled).drop(columns=["AMT_CREDIT"]), True, "file.csv")
    with pytest.raises(DataError, match=f"missing column.*{TARGET}"):
        check_columns(_frame(labelled).drop(columns=[TARGET]), True, "file.csv")


def test_text_in_a_numeric_column_is_named_with_the_value(labelled):
    frame = _frame(labelled)
    frame["AMT_CREDIT"] = frame["AMT_CREDIT"].astype(object)
    frame.loc[frame.index[3], "AMT_CREDIT"] = "lots"
    with pytest.raises(DataError, match="AMT_CREDIT must be numeric; found 'lots'"):
        check_columns(frame, True, "file.csv")


def test_fraction_in_an_integer_column_is_refused(labelled):
    frame = _frame(labelled)
    frame["CNT_CHILDREN"] = frame["CNT_CHILDREN"].astype(float)
    frame.loc[frame.index[0], "CNT_CHILDREN"] = 1.5
    with pytest.raises(DataError, match="CNT_CHILDREN must hold integers"):
        check_columns(frame, True, "file.csv")


def test_numbers_in_a_category_column_are_refused(labelled):
    frame = _frame(labelled)
    frame["FLAG_OWN_CAR"] = 1
    with pytest.raises(DataError, match="FLAG_OWN_CAR must hold text categories"):
        check_columns(frame, True, "file.csv")


def test_bad_target_and_duplicate_ids_are_refused(labelled):
    frame = _frame(labelled)
    frame.loc[frame.index[0], TARGET] = 2
    with pytest.raises(DataError, match="TARGET must be 0 or 1"):
        check_columns(frame, True, "file.csv")
    frame = _frame(labelled)
    frame.loc[frame.index[1], ID] = frame[ID].iloc[0]
    with pytest.raises(DataError, match="SK_ID_CURR must be present and unique"):
        check_columns(frame, True, "file.csv")


def test_empty_category_column_and_extra_columns_are_accepted(labelled):
    frame = _frame(labelled)
    frame["FONDKAPREMONT_MODE"] = np.nan  # a small file can leave a category empty: pandas reads float
    frame["SOMETHING_ELSE"] = 1
    checked = check_columns(frame, True, "file.csv")
    assert checked["FONDKAPREMONT_MODE"].dtype == object
    assert "SOMETHING_ELSE" not in checked.columns


def test_unreadable_files_fail_clearly(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_application(tmp_path / "absent.csv", labelled=True)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="cannot read"):
        read_application(tmp_path / "empty.csv", labelled=True)


def test_split_is_stratified_disjoint_and_seeded(labelled):
    train, test = split_labelled(labelled, test_size=0.2, seed=42)
    assert len(train) + len(test) == len(labelled)
    assert not set(train[ID]) & set(test[ID])
    assert abs(train[TARGET].mean() - test[TARGET].mean()) < 0.002
    again, _ = split_labelled(labelled, test_size=0.2, seed=42)
    other, _ = split_labelled(labelled, test_size=0.2, seed=43)
    assert train[ID].tolist() == again[ID].tolist()
    assert train[ID].tolist() != other[ID].tolist()


def test_quick_runs_keep_a_stratified_subsample(labelled):
    train, test = split_labelled(labelled, test_size=0.25, seed=1, max_rows=2000)
    assert len(train) + len(test) == 2000
    assert abs(pd.concat([train, test])[TARGET].mean() - labelled[TARGET].mean()) < 0.002
