"""Withholding a field never buys a grant: what the service decides when optional fields are missing.

The model learnt what a missing value means from the training split, but a missing value in a
request may be *withheld*: a client refused with a low EXT_SOURCE_2 who leaves it out gets the score
of the typical client without it (the issue's example went from refused 0.555 to granted 0.379). The
service cannot tell a withheld value from an unknown one, so a grant has to hold whatever the missing
values are:

- the score is computed with the missing fields missing, as the model learnt (`probability`);
- for each missing optional field, the same application with that field set to each value of a grid
  covering what the training split saw (the 0 %, 5 %, …, 100 % quantiles of a number, every level of
  a category); for the external scores EXT_SOURCE_1/2/3, which carry most of the signal and are often
  missing together, every combination of the missing ones on a coarser joint grid;
- the decision is `refuse` when the probability reaches the threshold; otherwise `grant` only if no
  value on those grids reaches it either, and `review` when one does: the application goes to an
  officer, and the answer names the fields (`missing_fields_that_matter`) whose value could turn the
  grant into a refusal. Sending them settles the decision.

Why not impute conservatively: a pessimistic value refuses clients who simply lack a field (56 % of
the training applications lack EXT_SOURCE_1); `review` costs an officer's look instead, and only for
the clients whose decision actually depends on the missing value. Why not refuse to score: most
applications lack some field, and the fields that matter differ from client to client.

The grid is built on the training split by the register stage (models/credit/missing_value_grid.json)
and read by the scoring service. Its resolution is a parameter (`credit.missing`); the behavioural test
(tests/credit/test_withholding.py) checks, over every refused client of the test split, that blanking
any optional field or any combination of the external scores never gives a grant.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipelines.credit.schema import CATEGORICAL, FEATURES, ID

EXT_SOURCES = ("EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3")


def build_grid(
    train: pd.DataFrame, fields: list[str], points: int, joint_points: int, ext_points: int | None = None
) -> dict[str, Any]:
    """Candidate values of every optional field, from the training rows (JSON-ready). The external scores,
    which move the probability most, are tried alone at `ext_points` quantiles (default `points`): a tree
    model's probability is a step function of them, and a coarse grid can step over the step that grants."""
    single: dict[str, list] = {}
    joint: dict[str, list] = {}
    for name in fields:
        values = train[name].dropna()
        if values.empty:
            continue
        if name in CATEGORICAL:
            single[name] = sorted(str(level) for level in values.unique())
            continue
        numbers = values.to_numpy(dtype=float)
        single[name] = _quantiles(numbers, ext_points if name in EXT_SOURCES and ext_points else points)
        if name in EXT_SOURCES:
            joint[name] = _quantiles(numbers, joint_points)
    return {
        "points": points,
        "joint_points": joint_points,
        "ext_points": ext_points or points,
        "single": single,
        "joint": joint,
    }


def _quantiles(numbers: np.ndarray, points: int) -> list[float]:
    """Every value seen when there are at most `points` (flags, small counts), else `points` quantiles."""
    levels = np.unique(numbers)
    if len(levels) > points:
        levels = np.unique(np.quantile(numbers, np.linspace(0, 1, points)))
    return [float(v) for v in levels]


@dataclass
class Verdict:
    probability: float
    decision: str  # grant, refuse or review
    worst_probability: float  # the highest probability any grid value of a missing field gives
    fields_that_matter: list[str]  # missing fields one of whose values reaches the threshold


class WithholdingGuard:
    """Decisions that no missing value could turn from a grant into a refusal (module docstring)."""

    def __init__(self, grid: dict[str, Any], optional: list[str]):
        self.single = {name: values for name, values in grid["single"].items() if name in optional}
        self.joint = {name: values for name, values in grid["joint"].items() if name in optional}

    def blocks(self, is_missing) -> list[tuple[tuple[str, ...], list[tuple]]]:
        """The variants to try, in blocks: the fields a block fills and their values, one tuple per variant
        (each missing field alone over its grid, then the missing external scores together over theirs)."""
        missing = [name for name in self.single if is_missing(name)]
        blocks: list[tuple[tuple[str, ...], list[tuple]]] = [
            ((name,), [(value,) for value in self.single[name]]) for name in missing
        ]
        joint_missing = tuple(name for name in self.joint if name in missing)
        if len(joint_missing) > 1:
            blocks.append((joint_missing, list(itertools.product(*(self.joint[name] for name in joint_missing)))))
        return blocks

    def _variants(self, row: pd.Series) -> tuple[pd.DataFrame, list[tuple[str, ...]]]:
        """The application with each missing field set to each grid value; which fields each variant fills."""
        blocks = self.blocks(lambda name: pd.isna(row[name]))
        count = sum(len(values) for _, values in blocks)
        if not count:
            return pd.DataFrame(columns=row.index), []
        frame = pd.DataFrame(np.repeat(row.to_frame().T.to_numpy(dtype=object), count, axis=0), columns=row.index)
        filled: list[tuple[str, ...]] = []
        start = 0
        for names, values in blocks:
            stop = start + len(values)
            for position, name in enumerate(names):
                frame.iloc[start:stop, frame.columns.get_loc(name)] = [combo[position] for combo in values]
            filled.extend([names] * len(values))
            start = stop
        return _typed(frame), filled

    def verdicts(self, predict, frame: pd.DataFrame, threshold: float) -> list[Verdict]:
        """One verdict per application row; `predict(frame) -> probabilities` is the served model."""
        probabilities = np.asarray(predict(frame), dtype=float)
        out = []
        for (_, row), probability in zip(frame.iterrows(), probabilities):
            if probability >= threshold:
                out.append(Verdict(float(probability), "refuse", float(probability), []))
                continue
            variants, filled = self._variants(row)
            if not filled:
                out.append(Verdict(float(probability), "grant", float(probability), []))
                continue
            out.append(
                self.below_threshold(float(probability), np.asarray(predict(variants), dtype=float), filled, threshold)
            )
        return out

    @staticmethod
    def below_threshold(
        probability: float, worst: np.ndarray, filled: list[tuple[str, ...]], threshold: float
    ) -> Verdict:
        """The verdict of an application scored below the threshold, from its variants' probabilities."""
        matter = list(dict.fromkeys(name for fields, p in zip(filled, worst) if p >= threshold for name in fields))
        decision = "review" if matter else "grant"
        return Verdict(probability, decision, float(max(worst.max(), probability)), matter)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as floats, categories as text or missing: the layout the model was trained on."""
    numeric = [c.name for c in FEATURES if c.name in frame and c.name not in CATEGORICAL]
    categories = [name for name in CATEGORICAL if name in frame]
    typed = frame[numeric].astype(float)
    text = frame[categories].astype(object).where(frame[categories].notna(), np.nan)
    out = pd.concat([typed, text], axis=1)
    if ID in frame:
        out[ID] = pd.to_numeric(frame[ID], errors="coerce")
    return out[[name for name in frame.columns if name in out]]
