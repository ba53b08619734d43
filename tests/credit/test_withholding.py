"""Withholding never buys a grant (pipelines/credit/withholding.py).

The behavioural test takes every client of the test split the served model refuses and blanks, one
at a time, each optional field the client gave, and every combination of the external scores
EXT_SOURCE_1/2/3 the client gave: no blanked application may be granted. It runs on the registered
model when `dvc repro credit_register` has built it, else on the same configuration (the tuned
parameters committed in models/credit/train_summary.json) fitted and calibrated here on the same
training split.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from pipelines.common.params import load_params
from pipelines.credit.calibration import CalibratedClassifier, ScoreCalibrator
from pipelines.credit.data import read_application, split_labelled
from pipelines.credit.features import make_feature_pipeline
from pipelines.credit.models import PREPROCESSING, make_classifier
from pipelines.credit.paths import METRICS, MISSING_GRID, MODEL, TEST, TRAIN_SUMMARY
from pipelines.credit.schema import FEATURES, ID, TARGET
from pipelines.credit.scoring import EXAMPLE, CreditScorer
from pipelines.credit.tuning import stratified_splits
from pipelines.credit.withholding import EXT_SOURCES, WithholdingGuard, build_grid
from tests.credit.conftest import FEATURE_SETTINGS, LABELLED_FILE, write_registered_model


def test_grid_covers_the_training_values():
    train = pd.DataFrame(
        {"EXT_SOURCE_2": [*np.linspace(0, 1, 101), np.nan], "FLAG_PHONE": [0, 1] * 51, "NAME_TYPE_SUITE": "X"}
    )
    grid = build_grid(train, ["EXT_SOURCE_2", "FLAG_PHONE", "NAME_TYPE_SUITE"], points=5, joint_points=3)
    assert grid["single"]["EXT_SOURCE_2"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert grid["single"]["FLAG_PHONE"] == [0.0, 1.0]  # every value seen
    assert grid["single"]["NAME_TYPE_SUITE"] == ["X"]
    assert grid["joint"] == {"EXT_SOURCE_2": [0.0, 0.5, 1.0]}


def test_a_missing_field_that_could_refuse_sends_the_grant_to_review():
    """A toy model: risk 0.9 when EXT_SOURCE_2 < 0.3, else 0.05; the threshold 0.5."""
    grid = {"single": {"EXT_SOURCE_2": [0.1, 0.5, 0.9], "FLAG_PHONE": [0.0, 1.0]}, "joint": {}}
    guard = WithholdingGuard(grid, ["EXT_SOURCE_2", "FLAG_PHONE"])

    def predict(frame):
        return np.where(frame["EXT_SOURCE_2"].fillna(0.5) < 0.3, 0.9, 0.05)

    rows = pd.DataFrame({"EXT_SOURCE_2": [0.1, 0.8, np.nan], "FLAG_PHONE": [1.0, np.nan, 1.0]})
    refused, granted, withheld = guard.verdicts(predict, rows, 0.5)
    assert refused.decision == "refuse" and granted.decision == "grant"  # FLAG_PHONE cannot change the risk
    assert withheld.decision == "review" and withheld.fields_that_matter == ["EXT_SOURCE_2"]
    assert withheld.probability == 0.05 and withheld.worst_probability == 0.9


def _fit_served(directory, train: pd.DataFrame) -> None:
    """The committed configuration fitted on the training split, calibrated on 5-fold out-of-fold scores."""
    summary = json.loads(TRAIN_SUMMARY.read_text())
    best = json.loads(METRICS.read_text())["best_model"]
    spec = summary["models"][best]
    X, y = train.drop(columns=[TARGET]), train[TARGET].to_numpy()

    def fitted(rows):
        encoder = make_feature_pipeline(PREPROCESSING[best], ("CODE_GENDER",), FEATURE_SETTINGS, seed=42)
        classifier = make_classifier(best, spec["params"], spec["imbalance"], 1.0, seed=42)
        return Pipeline([*encoder.steps, ("model", classifier)]).fit(X.iloc[rows], y[rows])

    oof = np.empty(len(y))
    for fit_rows, valid_rows in stratified_splits(y, 5, 42):
        oof[valid_rows] = fitted(fit_rows).predict_proba(X.iloc[valid_rows])[:, 1]
    final = fitted(np.arange(len(y)))
    calibrator = ScoreCalibrator(spec["calibration"]["method"]).fit(oof, y)
    pipeline = Pipeline([*final.steps[:-1], ("model", CalibratedClassifier(final[-1], calibrator))])
    missing = load_params("credit").section("missing").as_dict()
    grid = (missing["points"], missing["joint_points"], missing["ext_points"])
    write_registered_model(directory, pipeline, train, spec["threshold"], grid=grid)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> tuple[CreditScorer, pd.DataFrame]:
    """The served model and the test split it never saw."""
    if MODEL.is_file() and MISSING_GRID.is_file() and TEST.is_file():
        return CreditScorer(MODEL.parent), read_application(TEST, labelled=True)
    data = load_params("credit").section("data").as_dict()
    train, test = split_labelled(
        read_application(LABELLED_FILE, labelled=True), test_size=data["test_size"], seed=data["seed"], max_rows=0
    )
    directory = tmp_path_factory.mktemp("served")
    _fit_served(directory, train)
    return CreditScorer(directory), test


def _blanked(refused: pd.DataFrame, optional: list[str]) -> tuple[pd.DataFrame, list[tuple[int, tuple[str, ...]]]]:
    """Every refused client with one of its given optional fields blanked, and with every combination of
    two or more of its given external scores blanked."""
    rows, what = [], []
    for position, (_, client) in enumerate(refused.iterrows()):
        given = [name for name in optional if pd.notna(client[name])]
        blanks = [(name,) for name in given]
        ext = [name for name in EXT_SOURCES if name in given]
        blanks += [combo for size in range(2, len(ext) + 1) for combo in itertools.combinations(ext, size)]
        for fields in blanks:
            row = client.copy()
            row[list(fields)] = np.nan
            rows.append(row)
            what.append((position, fields))
    return pd.DataFrame(rows).reset_index(drop=True), what


@pytest.mark.slow
def test_blanking_fields_never_turns_a_refusal_into_a_grant(served):
    scorer, test = served
    X = test.drop(columns=[TARGET])
    refused = X[scorer.probabilities(X) >= scorer.threshold].reset_index(drop=True)
    assert len(refused) > 100
    optional = [c.name for c in FEATURES if not c.required and c.name in scorer.guard.single]
    blanked, what = _blanked(refused, optional)
    probabilities = scorer.probabilities(blanked)
    # blanking moved these below the threshold: only the guard stands between them and a grant
    tempted = np.flatnonzero(probabilities < scorer.threshold)
    verdicts = scorer.guard.verdicts(scorer.probabilities, blanked.iloc[tempted], scorer.threshold)
    granted = [what[i] for i, verdict in zip(tempted, verdicts) if verdict.decision == "grant"]
    assert not granted, f"{len(granted)} blanked applications granted, e.g. {granted[:5]}"
    for i, verdict in zip(tempted, verdicts):
        assert verdict.decision == "review" and verdict.fields_that_matter
        assert all(pd.isna(blanked.at[i, name]) for name in verdict.fields_that_matter)
    print(
        f"{len(refused)} refused clients, {len(blanked):,} blanked applications, {len(tempted):,} fell below the "
        f"threshold, all sent to review"
    )


def test_the_documented_example_without_its_external_scores_is_not_granted(served):
    scorer, _ = served
    full = scorer.score(EXAMPLE | {"EXT_SOURCE_2": 0.2, "EXT_SOURCE_3": 0.2})
    assert full["decision"] == "refuse"
    withheld = scorer.score({k: v for k, v in EXAMPLE.items() if k not in ("EXT_SOURCE_2", "EXT_SOURCE_3")})
    assert withheld["decision"] != "grant"
    if withheld["decision"] == "review":
        assert {"EXT_SOURCE_2", "EXT_SOURCE_3"} & set(withheld["missing_fields_that_matter"])
        assert withheld["worst_case_probability"] >= scorer.threshold > withheld["probability"]
    assert ID not in withheld["missing_fields_that_matter"]
