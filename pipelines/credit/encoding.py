"""The fitted credit feature pipeline (`ApplicationFeatures` → encoder) on rows held as arrays: the scoring
service's fast path (pipelines/credit/scoring.py).

Scoring one application through the pipeline builds a one-row DataFrame and runs pandas and scikit-learn's
column machinery three times (score, withholding variants, SHAP): about 95 ms of CPU for one row, almost all
of it per-call overhead. `RowEncoder` gives the same encoded row from plain arrays in well under a
millisecond, with the same numbers, not approximately:

* the engineered features are `features.ENGINEERED_ARRAYS`, the same operations in the same order;
* each categorical field's encoding (one-hot block, target encoding) is tabulated at load, one row per level
  of the schema and one for a missing value, by the fitted encoder itself;
* numbers must pass through the encoder unchanged (the tree models' encoder). A pipeline whose encoder
  transforms numbers (the linear model's log, imputation and scaling) is not supported: `RowEncoder.build`
  returns None and the scorer keeps the reference path.

The assumptions (each encoded column depends on one field; the tables cover the levels) are checked when the
scorer loads, on the SHAP background rows against the pipeline itself (`CreditScorer`), and by
tests/credit/test_encoding.py on real rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from pipelines.credit.features import ENGINEERED_ARRAYS, MISSING_COUNT, ApplicationFeatures, source_column
from pipelines.credit.schema import CATEGORICAL, DAYS_EMPLOYED_SENTINEL, FEATURES

LEVELS = {column.name: column.levels for column in FEATURES if column.kind == "category"}


class UnknownLevel(KeyError):
    """A category the tables were not built for (the caller scores that application the reference way)."""


class RowEncoder:
    """Encodes rows given as a float array of the numeric fields and a list of categorical values per row."""

    def __init__(self, feature_pipeline: Pipeline, extra_levels: dict[str, list[str]] | None = None):
        features, encoder = feature_pipeline.steps[0][1], feature_pipeline.steps[1][1]
        self.inputs = list(features.input_columns_)
        self.numeric = [name for name in self.inputs if name not in CATEGORICAL]
        self.categorical = [name for name in self.inputs if name in CATEGORICAL]
        self.engineered = [name for name in features.engineered_ if name != MISSING_COUNT]
        self._numeric_position = {name: j for j, name in enumerate(self.numeric)}
        # the schema's levels (what a request may send), then any other the caller will send (the withholding grid)
        self.levels = {
            name: [*LEVELS[name], *(v for v in (extra_levels or {}).get(name, []) if v not in LEVELS[name])]
            for name in self.categorical
        }
        produced = [str(name) for name in features.get_feature_names_out()]
        self.feature_names = [str(name) for name in encoder.get_feature_names_out()]
        sources = [source_column(name, produced) for name in self.feature_names]
        probe, numbers = self._probe(produced)
        table = np.asarray(encoder.transform(probe), dtype=float)
        self._passthrough: list[tuple[int, str]] = []
        blocks: dict[str, list[int]] = {}
        for k, source in enumerate(sources):
            if source in CATEGORICAL:
                blocks.setdefault(source, []).append(k)
            elif source in numbers and np.array_equal(table[:, k], numbers[source], equal_nan=True):
                self._passthrough.append((k, source))
            else:
                raise ValueError(f"encoded column {self.feature_names[k]} is not one field passed through")
        if set(blocks) != set(self.categorical):
            raise ValueError(f"categorical fields not encoded: {sorted(set(self.categorical) - set(blocks))}")
        # field: (its encoded columns, its table: one row per level then one for missing, level → row)
        self._tables: dict[str, tuple[np.ndarray, np.ndarray, dict[Any, int]]] = {}
        for name, columns in blocks.items():
            levels = [*self.levels[name], None]
            self._tables[name] = (
                np.asarray(columns),
                table[: len(levels)][:, columns],
                {v: i for i, v in enumerate(levels)},
            )
        self._blocks = [self._tables[name][:2] for name in self.categorical]
        self._missing_codes = np.array([len(self.levels[name]) for name in self.categorical], dtype=np.intp)
        # encoded columns copied from a numeric field as given, and those computed (engineered, DAYS_EMPLOYED)
        copied = [(k, self._numeric_position[s]) for k, s in self._passthrough if s in self._numeric_position]
        copied = [(k, j) for k, j in copied if self.numeric[j] != "DAYS_EMPLOYED"]
        self._copied = (
            np.array([k for k, _ in copied], dtype=np.intp),
            np.array([j for _, j in copied], dtype=np.intp),
        )
        self._computed = [(k, s) for k, s in self._passthrough if k not in set(self._copied[0].tolist())]

    @classmethod
    def build(cls, pipeline: Pipeline, extra_levels: dict[str, list[str]] | None = None) -> RowEncoder | None:
        """The encoder of `pipeline` (features, encoder, model), or None when it is not of the supported form."""
        steps = getattr(pipeline, "steps", [])
        if len(steps) != 3 or type(steps[0][1]) is not ApplicationFeatures:
            return None
        if set(steps[0][1].engineered_) - {MISSING_COUNT} - set(ENGINEERED_ARRAYS):
            return None  # an engineered feature without its array twin
        try:
            return cls(pipeline[:-1], extra_levels)
        except ValueError:
            return None

    def _probe(self, produced: list[str]) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        """ApplicationFeatures' layout with every level of each category (then missing) in turn, and distinct
        numbers (one missing) in the numeric columns, to tabulate the categories and check the numbers."""
        size = max(len(levels) + 1 for levels in self.levels.values())
        columns: dict[str, Any] = {}
        numbers: dict[str, np.ndarray] = {}
        for j, name in enumerate(produced):
            if name in CATEGORICAL:
                levels = [*self.levels[name], np.nan]
                columns[name] = pd.Series(levels + [levels[0]] * (size - len(levels)), dtype=object)
            else:
                values = np.arange(size, dtype=float) * 1.25 + j
                values[-1] = np.nan
                columns[name] = numbers[name] = values
        return pd.DataFrame(columns)[produced], numbers

    def code(self, name: str, value: Any) -> int:
        """The row of `name`'s table for `value` (None: missing)."""
        try:
            return self._tables[name][2][value]
        except KeyError:
            raise UnknownLevel(f"{name}: {value!r}") from None

    def rows(self, values: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        """(numbers, category codes) of applications given as {field: value} (None or absent: missing)."""
        numbers = np.array(
            [[np.nan if (v := row.get(name)) is None else float(v) for name in self.numeric] for row in values],
            dtype=float,
        ).reshape(len(values), len(self.numeric))
        codes = np.array(
            [[self.code(name, row.get(name)) for name in self.categorical] for row in values], dtype=np.intp
        ).reshape(len(values), len(self.categorical))
        return numbers, codes

    def frame_rows(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(numbers, category codes) of the rows of a frame in the training layout."""
        categories = frame[self.categorical].astype(object).where(frame[self.categorical].notna(), None)
        return frame[self.numeric].to_numpy(dtype=float, na_value=np.nan), np.array(
            [[self.code(name, value) for name, value in zip(self.categorical, row)] for row in categories.values],
            dtype=np.intp,
        ).reshape(len(frame), len(self.categorical))

    def features(self, numbers: np.ndarray) -> dict[str, np.ndarray]:
        """ApplicationFeatures' engineered columns, and DAYS_EMPLOYED with its sentinel missing."""

        def get(name: str) -> np.ndarray:
            return numbers[:, self._numeric_position[name]]

        out = {name: ENGINEERED_ARRAYS[name](get) for name in self.engineered}
        if "DAYS_EMPLOYED" in self._numeric_position:
            out["DAYS_EMPLOYED"] = np.where(
                get("DAYS_EMPLOYED") == DAYS_EMPLOYED_SENTINEL, np.nan, get("DAYS_EMPLOYED")
            )
        return out

    def encode(self, numbers: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The encoded rows (what the pipeline's encoder gives) and the engineered columns."""
        features = self.features(numbers)
        missing = np.isnan(numbers).sum(axis=1) + (codes == self._missing_codes).sum(axis=1)
        features[MISSING_COUNT] = missing.astype(float)
        encoded = np.empty((len(numbers), len(self.feature_names)))
        encoded[:, self._copied[0]] = numbers[:, self._copied[1]]
        for k, source in self._computed:
            encoded[:, k] = features[source]
        for j, (columns, table) in enumerate(self._blocks):
            encoded[:, columns] = table[codes[:, j]]
        return encoded, features
