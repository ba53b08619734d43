"""The loader and the split: Kaggle's layout enforced with clear errors, and expectations on the real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.common.errors import DataError
from pipelines.credit.data import check_columns, invalid_values, read_application, split_labelled
from pipelines.credit.schema import (
    BY_NAME,
    CATEGORICAL,
    DAYS_EMPLOYED_SENTINEL,
    FEATURE_NAMES,
    FEATURES,
    ID,
    INTEGER,
    REQUIRED,
    TARGET,
    Column,
    expected_columns,
)
from pipelines.credit.scoring import EXAMPLE, CreditInputError, parse_application
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


# --- the loader applies the API's schema: what the service refuses to score, training refuses to learn ---


def _refused_values(column: Column) -> list:
    """Values of `column` that the schema makes impossible (each one the API must refuse)."""
    if column.kind == "category":
        values: list = ["no such level"]
    else:
        values = [float("inf"), float("-inf")]
        if column.minimum is not None:
            values.append(column.minimum if column.exclusive_minimum else column.minimum - 1)
        if column.maximum is not None:
            values.append(column.maximum + 1)
        else:  # beyond float32, the range the model reads
            values.append(column.upper * 10 if column.kind == "number" else int(column.upper) * 10)
        if column.kind == "integer":
            values.append((column.minimum or 0) + 0.5)
    if column.required:
        values.append(None)
    if column.name == "DAYS_EMPLOYED":
        values += [30, -20_000]  # > 0 but not the sentinel; employed longer than alive (EXAMPLE: born 14,600 days ago)
    return values


def _edge_values(column: Column) -> list:
    """Values at the schema's bounds that both must accept."""
    if column.kind == "category":
        return list(column.levels)
    edges = [column.maximum] if column.maximum is not None else []
    if column.minimum is not None and not column.exclusive_minimum:
        edges.append(column.minimum)
    if column.name == "DAYS_EMPLOYED":
        edges = [DAYS_EMPLOYED_SENTINEL, -14_600]
    return edges


REFUSED = [(column, value) for column in FEATURES for value in _refused_values(column)]


def _with_value(frame: pd.DataFrame, name: str, value, row: int = 5) -> pd.DataFrame:
    frame = frame.copy()
    if value is not None and not isinstance(value, str) and frame[name].dtype == np.int64:
        frame[name] = frame[name].astype(float if isinstance(value, float) else object)
    frame.loc[frame.index[row], name] = np.nan if value is None else value
    if name == "DAYS_EMPLOYED":
        frame.loc[frame.index[row], "DAYS_BIRTH"] = EXAMPLE["DAYS_BIRTH"]
    return frame


def _one_value_per_row(base: pd.DataFrame, cases: list[tuple[Column, object]]) -> pd.DataFrame:
    """A frame of valid rows (new ids), row i holding the value of cases[i] in its column."""
    frame = pd.concat([base.head(1)] * len(cases), ignore_index=True)
    frame[ID] = np.arange(1, len(cases) + 1)
    for row, (column, value) in enumerate(cases):
        frame = _with_value(frame, column.name, value, row)
    return frame


def test_every_value_the_api_refuses_training_refuses_too(labelled):
    """A property over every column of the schema: the scoring request model and the loader agree."""
    assert len(REFUSED) > 300
    for column, value in REFUSED:
        fields = EXAMPLE | {column.name: value}
        if column.name == "DAYS_EMPLOYED":
            fields["DAYS_BIRTH"] = EXAMPLE["DAYS_BIRTH"]
        with pytest.raises(CreditInputError) as refused_by_api:
            parse_application(fields)
        assert column.name in str(refused_by_api.value), (column.name, value)

    fractions = [
        (column, value)
        for column, value in REFUSED
        if column.kind == "integer" and isinstance(value, float) and value % 1 == 0.5
    ]
    for column, value in fractions:  # a type error: refused before any bound is looked at
        with pytest.raises(DataError, match=rf"file.csv: column {column.name} must hold integers.*{ID}="):
            check_columns(_with_value(labelled.head(20), column.name, value), True, "file.csv")
    bounded = [case for case in REFUSED if case not in fractions]
    frame = _one_value_per_row(labelled, bounded)
    found = invalid_values(frame)
    for row, (column, value) in enumerate(bounded):
        assert column.name in set(found["column"][found.index == row]), (column.name, value)
    with pytest.raises(DataError, match=rf"file.csv: {len(bounded)} row\(s\) hold values the scoring API refuses"):
        check_columns(frame, True, "file.csv")


def test_values_at_the_bounds_pass_both(labelled):
    edges = [(column, value) for column in FEATURES for value in _edge_values(column)]
    for column, value in edges:
        parse_application(EXAMPLE | {column.name: value, "DAYS_BIRTH": EXAMPLE["DAYS_BIRTH"]})
    assert len(check_columns(_one_value_per_row(labelled, edges), True, "file.csv")) == len(edges)


def test_the_shipped_files_hold_no_value_the_api_refuses(labelled, current):
    assert invalid_values(labelled).empty and invalid_values(current).empty


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("AMT_CREDIT", -1e6, "-1000000 is below the minimum 0 (excluded)"),
        ("AMT_CREDIT", 1e38, "1e+38 is above the maximum 1e+10"),
        ("DAYS_BIRTH", 50_000, "50000 is above the maximum -6570"),
        ("CNT_CHILDREN", -3, "-3 is below the minimum 0"),
        ("EXT_SOURCE_2", float("inf"), "inf is infinite"),
        ("OCCUPATION_TYPE", "Pirate", "'Pirate' is not one of its 18 declared levels"),
        ("DAYS_EMPLOYED", 30, "30 breaks the rule must be ≤ 0 (days before the application) or 365243"),
    ],
)
def test_a_refused_value_is_named_with_its_column_row_and_value(labelled, name, value, shown):
    frame = _with_value(labelled.head(20), name, value)
    with pytest.raises(DataError) as caught:
        check_columns(frame, True, "file.csv")
    assert f"column {name}, row {ID}={int(frame[ID].iloc[5])}: {shown}" in str(caught.value)


def test_the_drop_policy_leaves_the_bad_rows_out_and_says_so(labelled, caplog):
    frame = _with_value(_with_value(labelled.head(20), "AMT_CREDIT", -1.0), "CNT_CHILDREN", -3)
    kept = check_columns(frame, True, "file.csv", invalid_rows="drop")
    assert len(kept) == 19 and int(frame[ID].iloc[5]) not in set(kept[ID])
    assert "dropping 1 row(s)" in caplog.text and "column AMT_CREDIT" in caplog.text


def test_the_api_refuses_a_credit_of_1e38():
    with pytest.raises(CreditInputError, match="AMT_CREDIT: Input should be less than or equal to 10000000000"):
        parse_application(EXAMPLE | {"AMT_CREDIT": 1e38})


# --- corrupt files: a DataError naming the file, never a raw library error ---


def _write_rows(path, rows: pd.DataFrame) -> None:
    rows.to_csv(path, index=False, compression="gzip" if path.suffix == ".gz" else None)


def test_a_truncated_gzip_file_is_named(tmp_path):
    path = tmp_path / "truncated.csv.gz"
    path.write_bytes(LABELLED_FILE.read_bytes()[:20_000])
    with pytest.raises(DataError, match=r"truncated\.csv\.gz: cannot read as CSV: EOFError"):
        read_application(path, labelled=True)


def test_a_header_only_file_is_named(tmp_path, labelled):
    path = tmp_path / "header.csv"
    _write_rows(path, labelled.head(0))
    with pytest.raises(DataError, match=r"header\.csv: no rows"):
        read_application(path, labelled=True)


def test_too_few_rows_to_split_are_named(tmp_path, labelled):
    path = tmp_path / "three.csv.gz"
    _write_rows(path, labelled.head(3))
    rows = read_application(path, labelled=True)
    with pytest.raises(
        DataError, match=r"three\.csv\.gz: 3 labelled row\(s\) .* too few for a stratified 0.2 test split"
    ):
        split_labelled(rows, test_size=0.2, seed=1, source=str(path))
    with pytest.raises(DataError, match="too few"):
        split_labelled(labelled, test_size=0.2, seed=1, max_rows=20)


def test_a_file_with_an_infinite_value_is_named(tmp_path, labelled):
    path = tmp_path / "inf.csv"
    _write_rows(path, _with_value(labelled.head(20), "AMT_ANNUITY", float("inf")))
    with pytest.raises(
        DataError, match=r"inf\.csv: 1 row\(s\) .*column AMT_ANNUITY, row SK_ID_CURR=\d+: inf is infinite"
    ):
        read_application(path, labelled=True)
