"""Reading and checking Home Credit application files, the stratified test split, the frames the stages exchange.

A file is checked against pipelines/credit/schema.py, the declaration the API's request model is built from:
the layout and types, then every value against its column's bounds and levels (float32's range where no
maximum is declared, never inf), the required fields and the DAYS_EMPLOYED / DAYS_BIRTH rule. So training
never learns from a value the service would refuse to score. Policy (`invalid_rows`): `refuse` (the default)
fails on the first file holding any such value, naming the column, the row (SK_ID_CURR) and the value;
`drop` leaves those rows out with a warning counting them (for a full Kaggle file one trusts less than the
schema). An unreadable, truncated or empty file, or one too small to split, is a DataError naming it.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from pipelines.common.errors import DataError
from pipelines.common.io import read_json, write_csv
from pipelines.common.logs import get_logger
from pipelines.credit.paths import DATA_SUMMARY
from pipelines.credit.schema import (
    CATEGORICAL,
    FEATURES,
    ID,
    INTEGER,
    NUMERIC,
    TARGET,
    Column,
    employment_problem,
    expected_columns,
)

log = get_logger("credit.data")
INVALID_ROWS = ("refuse", "drop")
SHOWN_PROBLEMS = 5


def _examples(values: pd.Series, limit: int = 3) -> str:
    return ", ".join(repr(v) for v in values.head(limit).tolist())


def _row(frame: pd.DataFrame, index) -> str:
    return f"row {ID}={frame.at[index, ID]}"


def _value(value) -> str:
    if isinstance(value, str):
        return repr(value)
    return "missing" if pd.isna(value) else f"{float(value):.10g}"


def check_columns(frame: pd.DataFrame, labelled: bool, source: str, invalid_rows: str = "refuse") -> pd.DataFrame:
    """The frame with Kaggle's columns in Kaggle's order, checked types and values; DataError naming the column.

    Columns outside the layout are dropped (never used by any model). Categorical columns become
    `object` even when a small file leaves one entirely empty (pandas reads that as float). Values the
    API would refuse are handled by `invalid_rows` (module docstring).
    """
    if invalid_rows not in INVALID_ROWS:
        raise ValueError(f"invalid_rows must be one of {INVALID_ROWS}, got {invalid_rows!r}")
    if frame.empty:
        raise DataError(f"{source}: no rows")
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
            if not bad.empty or pd.api.types.is_bool_dtype(column):
                bad = bad if not bad.empty else column
                raise DataError(
                    f"{source}: column {name} must be numeric; found {_examples(bad)} ({_row(frame, bad.index[0])})"
                )
            column = frame[name] = as_numbers  # numbers held as objects (a frame built in code)
        if name in (ID, TARGET, *INTEGER):
            values = column.dropna()
            fractional = values[values != np.round(values)]
            if not fractional.empty:
                raise DataError(
                    f"{source}: column {name} must hold integers; found {_examples(fractional)} "
                    f"({_row(frame, fractional.index[0])})"
                )
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
    return _screen_values(frame, source, invalid_rows)


def _column_problems(values: np.ndarray, column: Column) -> list[tuple[np.ndarray, str]]:
    """(rows, why) for each way the column's values can be ones the API refuses."""
    missing = pd.isna(values)
    found = [(missing, "but the field is required")] if column.required else []
    if column.kind == "category":
        return [
            *found,
            (~missing & ~np.isin(values, column.levels), f"is not one of its {len(column.levels)} declared levels"),
        ]
    numbers = values.astype(float)
    with np.errstate(invalid="ignore"):
        if column.minimum is not None:
            low = numbers <= column.minimum if column.exclusive_minimum else numbers < column.minimum
            excluded = " (excluded)" if column.exclusive_minimum else ""
            found.append((low & ~np.isinf(numbers), f"is below the minimum {column.minimum:g}{excluded}"))
        found.append(((numbers > column.upper) & ~np.isinf(numbers), f"is above the maximum {column.upper:g}"))
    # inf is past either bound, but the reason to give is that it is not a number at all
    return [*found, (np.isinf(numbers), "is infinite")]


def invalid_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Every value of a checked frame that the API would refuse: one row per (row, column) problem, indexed by the
    frame's row positions.

    The DAYS_EMPLOYED / DAYS_BIRTH rule is checked, as the API's model validator is, once both are valid.
    """
    ids = frame[ID].to_numpy()
    records, flagged = [], np.zeros(len(frame), dtype=bool)
    for column in FEATURES:
        values = frame[column.name].to_numpy()
        for rows, problem in _column_problems(values, column):
            if column.name == "DAYS_EMPLOYED" or column.name == "DAYS_BIRTH":
                flagged |= rows
            records += [(row, ids[row], column.name, values[row], problem) for row in np.flatnonzero(rows)]
    employed, birth = frame["DAYS_EMPLOYED"].to_numpy(float), frame["DAYS_BIRTH"].to_numpy(float)
    for row in np.flatnonzero(~flagged & ((employed > 0) | (employed < birth))):  # the only rows the rule can refuse
        problem = employment_problem(employed[row], birth[row])
        if problem:
            problem = "breaks the rule " + problem.removeprefix("DAYS_EMPLOYED: ")
            records.append((row, ids[row], "DAYS_EMPLOYED", employed[row], problem))
    table = pd.DataFrame(records, columns=["position", ID, "column", "value", "problem"])
    return table.sort_values("position", kind="stable").set_index("position")


def _describe(problems: pd.DataFrame) -> str:
    shown = "; ".join(
        f"column {row.column}, row {ID}={row[ID]}: {_value(row.value)} {row.problem}"
        for _, row in problems.head(SHOWN_PROBLEMS).iterrows()
    )
    return shown + (f" … ({len(problems)} problems in all)" if len(problems) > SHOWN_PROBLEMS else "")


def _screen_values(frame: pd.DataFrame, source: str, invalid_rows: str) -> pd.DataFrame:
    problems = invalid_values(frame)
    if problems.empty:
        return frame
    rows = problems.index.unique()
    if invalid_rows == "refuse":
        raise DataError(
            f"{source}: {len(rows)} row(s) hold values the scoring API refuses (schema.py bounds and levels): "
            f"{_describe(problems)}"
        )
    log.warning(
        "%s: dropping %d row(s) with values the scoring API refuses: %s", source, len(rows), _describe(problems)
    )
    kept = frame.drop(index=frame.index[rows])
    if kept.empty:
        raise DataError(f"{source}: no rows left once the {len(rows)} invalid one(s) are dropped")
    return kept


def read_application(path: str | Path, labelled: bool, invalid_rows: str = "refuse") -> pd.DataFrame:
    """Read an application file (CSV, optionally gzipped) and check it against the schema."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, low_memory=False)
    except FileNotFoundError as error:
        raise DataError(f"{path}: file not found") from error
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError, zlib.error) as error:
        # EOFError / zlib.error: a truncated or corrupt .gz
        raise DataError(f"{path}: cannot read as CSV: {type(error).__name__}: {error}") from error
    return check_columns(frame, labelled, str(path), invalid_rows)


def split_labelled(
    frame: pd.DataFrame, test_size: float, seed: int, max_rows: int = 0, source: str = "labelled rows"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified, seeded train/test split; `max_rows` > 0 first keeps a stratified subsample (quick runs).

    DataError naming `source` when the rows are too few to give both parts each outcome at least twice.
    """
    used = min(max_rows or len(frame), len(frame))
    counts = frame[TARGET].value_counts().reindex([0, 1], fill_value=0) * used / len(frame)
    if counts.min() * min(test_size, 1 - test_size) < 2:
        raise DataError(
            f"{source}: {used} labelled row(s) ({counts[1]:.0f} defaults, {counts[0]:.0f} repaid) are too few "
            f"for a stratified {test_size:g} test split: each part needs each outcome at least twice"
        )
    if used < len(frame):
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
