"""Reading and checking the listings, the stated outlier rule, exact-duplicate removal and a split that
cannot leak.

Order matters and is fixed here: check (refuse what cannot be parsed) → clean (drop rows outside the
rule, every drop counted with its reason) → remove exact duplicates → split. Duplicates go before the split,
or one listing could sit in training and test at once; the split then keeps every group of listings with
identical fields (the same car listed again at another price) on one side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit

from pipelines.cars.schema import CATEGORICAL, CLOSED, COLUMNS, FEATURES, INTEGER, NUMERIC, TARGET
from pipelines.common.errors import DataError
from pipelines.common.io import write_csv


def _line(index: int) -> int:
    """The file line of data row `index` (0-based; the header is line 1)."""
    return int(index) + 2


def check_listings(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """The listings with the layout's columns and types; DataError naming the column and the line otherwise.

    A number column holding text (`12,000`, `n/a`), a fractional value where a whole number is due, or a
    gear / offer type outside the known values is refused: guessing would change the data silently.
    Empty fields stay missing (the cleaning rule counts and drops them)."""
    missing = [name for name in COLUMNS if name not in frame.columns]
    if missing:
        raise DataError(f"{source}: missing column(s) {', '.join(missing)}")
    if frame.empty:
        raise DataError(f"{source}: no rows")
    frame = frame[list(COLUMNS)].reset_index(drop=True).copy()
    for name in (TARGET, *NUMERIC):
        column = frame[name]
        numbers = pd.to_numeric(column, errors="coerce")
        bad = column[numbers.isna() & column.notna() & (column.astype(str).str.strip() != "")]
        if not bad.empty:
            raise DataError(
                f"{source}: column {name}, line {_line(bad.index[0])}: cannot read {bad.iloc[0]!r} as a number "
                f"({len(bad)} such value(s))"
            )
        if name in INTEGER:
            fractional = numbers[numbers.notna() & (numbers != np.round(numbers))]
            if not fractional.empty:
                raise DataError(
                    f"{source}: column {name}, line {_line(fractional.index[0])}: {float(fractional.iloc[0]):g} "
                    "is not a whole number"
                )
        frame[name] = numbers.astype(float)
    for name in CATEGORICAL:
        column = frame[name]
        text = column.where(column.isna(), column.astype(str).str.strip())
        frame[name] = text.where(text != "", np.nan).astype(object)
    for name, allowed in CLOSED.items():
        unknown = frame[name][frame[name].notna() & ~frame[name].isin(allowed)]
        if not unknown.empty:
            raise DataError(
                f"{source}: column {name}, line {_line(unknown.index[0])}: unknown value {unknown.iloc[0]!r} "
                f"(expected one of {', '.join(allowed)})"
            )
    return frame


def read_listings(path: str | Path) -> pd.DataFrame:
    """Read a listings CSV (optionally gzipped) and check it (`check_listings`)."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError as error:
        raise DataError(f"{path}: file not found") from error
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OSError) as error:
        raise DataError(f"{path}: cannot read as CSV: {error}") from error
    return check_listings(frame, str(path))


@dataclass(frozen=True)
class OutlierRule:
    """Which listings the model is for. A row outside it is dropped, counted under the first reason it
    meets: a missing field, an asking price, power or mileage outside the bounds, a first registration
    after the year the listings were collected."""

    min_price: float
    max_price: float
    min_hp: float
    max_hp: float
    max_mileage: float
    listing_year: int

    def reasons(self, frame: pd.DataFrame) -> dict[str, pd.Series]:
        return {
            "missing field": frame[[*FEATURES, TARGET]].isna().any(axis=1),
            f"price outside {self.min_price:,.0f}–{self.max_price:,.0f} EUR": ~frame[TARGET].between(
                self.min_price, self.max_price
            ),
            f"power outside {self.min_hp:,.0f}–{self.max_hp:,.0f} hp": ~frame["hp"].between(self.min_hp, self.max_hp),
            f"mileage above {self.max_mileage:,.0f} km": frame["mileage"] > self.max_mileage,
            f"first registration after {self.listing_year}": frame["year"] > self.listing_year,
        }


def apply_outlier_rule(frame: pd.DataFrame, rule: OutlierRule) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows the rule keeps, and how many rows each reason dropped (a row counts once, first reason)."""
    dropped = pd.Series(False, index=frame.index)
    counts = {}
    for reason, hit in rule.reasons(frame).items():
        new = hit.fillna(False).astype(bool) & ~dropped
        counts[reason] = int(new.sum())
        dropped |= new
    kept = frame[~dropped].copy()
    if kept.empty:
        raise DataError("the outlier rule (cars.clean) drops every row")
    for name in INTEGER:
        kept[name] = kept[name].astype(int)
    return kept, counts


def remove_exact_duplicates(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Every distinct row once (first occurrence kept), and how many copies were removed."""
    deduplicated = frame.drop_duplicates(keep="first")
    return deduplicated, len(frame) - len(deduplicated)


def listing_groups(frame: pd.DataFrame) -> np.ndarray:
    """One group id per set of listings whose every model input is identical (prices may differ)."""
    return frame.groupby(list(FEATURES), sort=False, dropna=False).ngroup().to_numpy()


def split_listings(
    frame: pd.DataFrame, validation_size: float, test_size: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Seeded train / validation / test split by listing group (`listing_groups`): no row of one split
    repeats another split's model inputs, so no score is earned by recognising a car seen in training."""
    if validation_size + test_size >= 1:
        raise DataError("cars.split: validation_size + test_size must leave rows for training")
    groups = listing_groups(frame)
    outer = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    rest_rows, test_rows = next(outer.split(frame, groups=groups))
    rest = frame.iloc[rest_rows]
    inner = GroupShuffleSplit(n_splits=1, test_size=validation_size / (1 - test_size), random_state=seed + 1)
    train_rows, validation_rows = next(inner.split(rest, groups=groups[rest_rows]))
    return rest.iloc[train_rows], rest.iloc[validation_rows], frame.iloc[test_rows]


def write_split(path: Path, frame: pd.DataFrame) -> None:
    write_csv(path, frame, index=False)


def read_split(path: str | Path) -> pd.DataFrame:
    """A split written by cars_prepare, checked again (a hand-edited file fails naming the line)."""
    frame = check_listings(pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]), str(path))
    for name in INTEGER:
        frame[name] = frame[name].astype(int)
    return frame
