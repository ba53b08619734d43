"""A tiny end-to-end `dvc repro` of the freelance stages on a temporary copy of the project."""

from __future__ import annotations

import json

import pytest

from pipelines.freelance.estimator import load_estimator
from tests.dvc_project import copy_project, run

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
SMALL_PARAMS = {
    "train": {
        "cv_folds": 3,
        "n_jobs": 1,
        "price_models": {"dummy_median": {}, "ridge": {"alpha": [3.0]}, "decision_tree": {"max_depth": [3]}},
        "band_models": {"dummy_majority": {}, "logistic_regression": {"C": [1.0]}},
    },
    "keras": {"seeds": 2, "epochs": 2, "components": 8},
    "protocols": {"seeds": 1},
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    copy = tmp_path_factory.mktemp("project")
    env = copy_project(copy, ["data/external/freelance"], "freelance", SMALL_PARAMS)
    run(["dvc", "repro", "--glob", "freelance_*"], copy, env)
    return copy, env


def test_repro_writes_the_metrics_contract(project):
    copy, _ = project
    metrics = json.loads((copy / "reports/freelance/metrics.json").read_text())
    assert {"data", "test", "best_model"} <= metrics.keys() and metrics["data"]["kind"] == "real-sample"
    assert {"dummy", "chosen", "ridge", "decision_tree", "keras_two_head", "bands_logistic_regression"} <= set(
        metrics["test"]
    )
    for name in ("dummy", "chosen", "keras_two_head", "ridge"):
        assert {"mae", "rmse", "r2", "band_accuracy"} <= metrics["test"][name].keys()
    assert metrics["test"]["keras_two_head"]["seeds"] == 2
    assert metrics["chosen"]["price_model"] in ("ridge", "decision_tree")
    summary = json.loads((copy / "data/interim/freelance/prepare_summary.json").read_text())
    assert summary["groups_shared_by_train_and_test"] == 0
    assert (copy / "reports/freelance/evaluation.html").is_file() and (
        copy / "reports/freelance/exploration.html"
    ).is_file()


def test_repro_registers_an_estimator_that_answers(project):
    copy, env = project
    estimator, card = load_estimator(copy / "models/freelance")
    answer = estimator.estimate("I will do web scraping with python", 5.0, 40, "level_2")
    assert answer["band"] in ("Low", "Medium", "High") and answer["price"] > 0
    assert card["library_versions"]["scikit-learn"] and card["artefact_sha256"]
    assert "didn't change, skipping" in run(["dvc", "repro", "freelance_register"], copy, env).stdout
