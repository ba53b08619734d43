"""Reading and checking Home Credit application files, the stratified test split, the frames the stages exchange."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from pipelines.common.errors import DataError
from pipelines.common.io import read_json, write_csv
from pipelines.common.logs import get_logger
from pipelines.credit.paths import DATA_SUMMARY
from pipelines.credit.schema import CATEGORICAL, ID, INTEGER, NUMERIC, TARGET, expected_columns

log = get_logger("credit.data")


def _examples(values: pd.Series, limit: int = 3) -> str:
    return ", ".join(repr(v) for v in values.head(limit).tolist())


def check_columns(frame: pd.DataFrame, labelled: bool, source: str) -> pd.DataFrame:
    """The frame with Kaggle's columns in Kaggle's order and checked types; DataError naming the column otherwise.

    Columns outside the layout are dropped (never used by any model). Categorical columns become
    `object` even when a small file leaves one entirely empty (pandas reads that as float).
    """
    missing = [name for name in expected_columns(labelled) if name not in frame.columns]
    if missing:
        shown = ", ".join(missing[:10]) + (f" … ({len(missing)} in all)" if len(missing) > 10 else "")
        raise DataError(f"{source}: missing column(s) {shown}")
    extra = [name for name in frame.columns if name not in expected_columns(labelled)]
    if extra:
        log.warning("%s: ignoring %d column(s) outside the application layout: %s", source, len(extra), extra[:10])
    frame = frame[expected_columns(labelled)].copy()

    for name in (ID, *([TARGET] if labelled else []), *NUMERIC):
        column = frame[name]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            as_numbers = pd.to_numeric(column, errors="coerce")
            bad = column[as_numbers.isna() & column.notna()]
            raise DataError(f"{source}: column {name} must be numeric; found {_examples(bad)} (row {bad.index[0]})")
        if name in (ID, TARGET, *INTEGER):
            values = column.dropna()
            fractional = values[values != np.round(values)]
            if not fractional.empty:
                raise DataError(f"{source}: column {name} must hold integers; found {_examples(fractional)}")
    for name in CATEGORICAL:
        column = frame[name]
        if column.notna().any() and not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
            raise DataError(
                f"{source}: column {name} must hold text categories; found {column.dtype} values "
                f"such as {_examples(column.dropna())}"
            )
        frame[name] = column.astype(object).where(column.notna(), np.nan)

    if frame[ID].isna().any() or frame[ID].duplicated().any():
        raise DataError(f"{source}: {ID} must be present and unique ({int(frame[ID].duplicated().sum())} duplicates)")
    if labelled:
        target = frame[TARGET]
        if target.isna().any() or not target.isin([0, 1]).all():
            raise DataError(
                f"{source}: {TARGET} must be 0 or 1 on every row; found {_examples(target[~target.isin([0, 1])])}"
            )
        frame[TARGET] = target.astype(int)
    if frame.empty:
        raise DataError(f"{source}: no rows")
    return frame


def read_application(path: str | Path, labelled: bool) -> pd.DataFrame:
    """Read an application file (CSV, optionally gzipped) and check it against the layout."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, low_memory=False)
    except FileNotFoundError as error:
        raise DataError(f"{path}: file not found") from error
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OSError) as error:
        raise DataError(f"{path}: cannot read as CSV: {error}") from error
    return check_columns(frame, labelled, str(path))


def split_labelled(
    frame: pd.DataFrame, test_size: float, seed: int, max_rows: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified, seeded train/test split; `max_rows` > 0 first keeps a stratified subsample (quick runs)."""
    if max_rows and max_rows < len(frame):
        frame, _ = train_test_split(frame, train_size=max_rows, stratify=frame[TARGET], random_state=seed)
    train, test = train_test_split(frame, test_size=test_size, stratify=frame[TARGET], random_state=seed)
    return train.sort_values(ID), test.sort_values(ID)


def write_frame(path: Path, frame: pd.DataFrame) -> None:
    write_csv(path, frame, index=False)


def read_frame(path: str | Path) -> pd.DataFrame:
    """A frame written by this stage: same layout, categorical columns back to `object`."""
    frame = pd.read_csv(path, low_memory=False, dtype={name: object for name in CATEGORICAL})
    return check_columns(frame, TARGET in frame.columns, str(path))


def features_and_target(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The model inputs (id kept for traceability, never used by a model: see features.py) and the labels."""
    return frame.drop(columns=[TARGET]), frame[TARGET].to_numpy()


def read_summary() -> dict:
    return read_json(DATA_SUMMARY)
