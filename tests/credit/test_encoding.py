"""The scoring service's fast path (pipelines/credit/encoding.py) gives the reference path's answers: the same
engineered features, encoded rows, probabilities, SHAP values and whole answers, on real rows."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from pipelines.credit import features as features_module
from pipelines.credit.data import read_frame
from pipelines.credit.encoding import RowEncoder, UnknownLevel
from pipelines.credit.features import ENGINEERED, ENGINEERED_ARRAYS, EXT_SOURCES
from pipelines.credit.paths import MODEL, TEST
from pipelines.credit.schema import CATEGORICAL, DAYS_EMPLOYED_SENTINEL, FEATURE_NAMES, REQUIRED, TARGET
from pipelines.credit.scoring import EXAMPLE, CreditScorer
from tests.credit.conftest import fit_pipeline


def as_request(row: pd.Series) -> dict:
    """A real application row as a JSON body: missing values left out."""
    return {name: (value.item() if hasattr(value, "item") else value) for name, value in row.items() if pd.notna(value)}


def awkward_rows(labelled: pd.DataFrame) -> pd.DataFrame:
    """Real rows made to hit every branch of the engineered features: zero divisors, the DAYS_EMPLOYED sentinel,
    none, one or all external scores missing."""
    rows = labelled.drop(columns=[TARGET]).head(8).copy().reset_index(drop=True)
    rows.loc[0, "CNT_FAM_MEMBERS"] = 0.0
    rows.loc[1, "DAYS_EMPLOYED"] = DAYS_EMPLOYED_SENTINEL
    rows.loc[2, EXT_SOURCES] = np.nan
    rows.loc[3, ["EXT_SOURCE_1", "EXT_SOURCE_3"]] = np.nan
    rows.loc[4, "AMT_ANNUITY"] = np.nan
    rows.loc[5, [f"FLAG_DOCUMENT_{i}" for i in range(2, 12)]] = np.nan
    rows.loc[6, "DAYS_EMPLOYED"] = 0.0
    return rows


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True)


def test_every_engineered_feature_has_its_array_twin():
    assert set(ENGINEERED_ARRAYS) == set(ENGINEERED)


def test_the_array_features_are_the_pandas_ones_bit_for_bit(labelled):
    frame = pd.concat([labelled.drop(columns=[TARGET]), awkward_rows(labelled)], ignore_index=True)
    numbers = {name: frame[name].to_numpy(dtype=float) for name in FEATURE_NAMES if name not in CATEGORICAL}
    differ = [
        name
        for name, (_, _, compute) in ENGINEERED.items()
        if not same(ENGINEERED_ARRAYS[name](numbers.get), compute(frame))
    ]
    assert not differ
    awkward = len(frame) - 8
    assert np.isnan(ENGINEERED_ARRAYS["EXT_SOURCE_MEAN"](numbers.get)[awkward + 2])  # the branches were hit
    assert np.isnan(ENGINEERED_ARRAYS["INCOME_PER_PERSON"](numbers.get)[awkward])


def test_the_encoder_gives_the_pipelines_encoded_rows(fitted_xgboost, small_split, labelled):
    rows = pd.concat([small_split[1].drop(columns=[TARGET]), awkward_rows(labelled)], ignore_index=True)
    encoder = RowEncoder.build(fitted_xgboost)
    encoded, _ = encoder.encode(*encoder.frame_rows(rows))
    assert same(encoded, fitted_xgboost[:-1].transform(rows))
    assert np.array_equal(fitted_xgboost[-1].predict_proba(encoded), fitted_xgboost.predict_proba(rows))


def test_a_level_outside_the_tables_is_named(fitted_xgboost, small_split):
    encoder = RowEncoder.build(fitted_xgboost)
    with pytest.raises(UnknownLevel, match="NAME_CONTRACT_TYPE: 'Leasing'"):
        encoder.rows([{"NAME_CONTRACT_TYPE": "Leasing"}])


def test_no_fast_path_for_an_encoder_that_transforms_numbers(small_split):
    logistic = fit_pipeline(small_split[0], model="logistic")
    assert RowEncoder.build(logistic) is None


@pytest.fixture(scope="module")
def scorer(registered_dir) -> CreditScorer:
    return CreditScorer(registered_dir, top_k=5)


def test_the_fast_path_is_on_for_the_tree_model(scorer):
    assert scorer.encoder is not None


def test_fast_answers_are_the_reference_answers(scorer, small_split, labelled):
    """Whole answers equal (probability, decision, worst case, fields that matter, contributions) on every row
    of a sample of the test split, with grants, reviews and refusals among them."""
    awkward = awkward_rows(labelled).iloc[1:]  # a family of 0 members is refused by the request model
    rows = pd.concat([small_split[1].drop(columns=[TARGET]).sample(25, random_state=0), awkward])
    bodies = [as_request(row) for _, row in rows.iterrows()]
    bodies += [EXAMPLE, {name: EXAMPLE[name] for name in REQUIRED}]
    answers = [(scorer.score(body), scorer.score_reference(body)) for body in bodies]
    assert all(fast == reference for fast, reference in answers)
    assert {fast["decision"] for fast, _ in answers} == {"grant", "review", "refuse"}


def test_concurrent_scores_are_the_sequential_ones(scorer, small_split):
    """No lock around the booster any more: eight threads scoring at once give the answers one thread gives."""
    bodies = [as_request(row) for _, row in small_split[1].drop(columns=[TARGET]).head(16).iterrows()] * 4
    expected = [scorer.score(body) for body in bodies]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(scorer.score, bodies)) == expected


def test_shap_values_from_the_booster_are_shaps(scorer, small_split):
    rows = small_split[1].drop(columns=[TARGET])
    encoded, _ = scorer.encoder.encode(*scorer.encoder.frame_rows(rows))
    np.testing.assert_allclose(scorer.explainer.shap_values(encoded), scorer.explainer.explain(rows).values, atol=1e-6)


def test_a_fast_path_that_disagrees_is_turned_off(registered_dir, monkeypatch, caplog):
    """The load-time check on the background rows: a wrong twin switches the fast path off, answers unchanged."""
    monkeypatch.setitem(features_module.ENGINEERED_ARRAYS, "CREDIT_INCOME_RATIO", lambda get: get("AMT_CREDIT"))
    with caplog.at_level(logging.WARNING, logger="credit.scoring"):
        scorer = CreditScorer(registered_dir)
    assert scorer.encoder is None
    assert "fast path off, it differs from the pipeline" in caplog.text
    assert scorer.score(EXAMPLE) == scorer.score_reference(EXAMPLE)


@pytest.mark.skipif(not (MODEL.is_file() and TEST.is_file()), reason="needs `dvc repro credit_register`")
def test_the_registered_model_answers_the_same_on_the_test_split():
    """The served model: encoded rows and probabilities (to 1e-9) on the whole test split, whole answers on a
    sample of it."""
    scorer = CreditScorer()
    assert scorer.encoder is not None
    test = read_frame(TEST).drop(columns=[TARGET])
    encoded, _ = scorer.encoder.encode(*scorer.encoder.frame_rows(test))
    assert same(encoded, scorer.pipeline[:-1].transform(test))
    np.testing.assert_allclose(scorer.pipeline[-1].predict_proba(encoded)[:, 1], scorer.probabilities(test), atol=1e-9)
    sample = test.sample(30, random_state=1)
    answers = [(scorer.score(as_request(row)), scorer.score_reference(as_request(row))) for _, row in sample.iterrows()]
    assert all(fast == reference for fast, reference in answers)
    assert {fast["decision"] for fast, _ in answers} == {"grant", "review", "refuse"}
