"""A tiny end-to-end `dvc repro` of the credit stages on a temporary copy of the project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipelines.credit.scoring import EXAMPLE, CreditScorer
from tests.dvc_project import copy_project, run, set_params

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
DATA_FILES = ["data/external/credit"]
STAGES = ["credit_data", "credit_train", "credit_evaluate", "credit_register", "credit_explain", "credit_drift"]
SMALL_PARAMS = {
    "data": {"max_labelled_rows": 3000},
    "train": {
        "cv_folds": 3,
        "n_jobs": 1,
        "imbalance": {"compare": ["class_weight", "undersample"], "compare_models": ["xgboost"]},
        "search": {
            "logistic": {"n_iter": 1},
            "xgboost": {
                "n_iter": 2,
                "fixed": {"max_bin": 64},
                "space": {"n_estimators": {"randint": [20, 40]}, "max_depth": [2, 3], "learning_rate": [0.1]},
            },
            "random_forest": {"n_iter": 1, "fixed": {"n_estimators": 20, "max_samples": 0.5}},
        },
    },
    "evaluation": {"bootstrap": 200},
    "explain": {"sample": 200},
    "drift": {"report_columns": 4, "top_drifts": 3},
}


def make_copy(copy: Path, changes: dict) -> dict:
    return copy_project(copy, DATA_FILES, "credit", changes)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    copy = tmp_path_factory.mktemp("project")
    env = make_copy(copy, SMALL_PARAMS)
    run(["dvc", "repro", "--glob", "credit_*"], copy, env)
    return copy, env


def test_repro_writes_the_metrics_contract(project):
    copy, _ = project
    metrics = json.loads((copy / "reports/credit/metrics.json").read_text())
    assert {"data", "test", "best_model"} <= metrics.keys()
    assert metrics["data"]["kind"] == "real-sample" and metrics["data"]["rows"] == 3000
    assert set(metrics["test"]) == {"dummy", "logistic", "xgboost", "random_forest"}
    for scores in metrics["test"].values():
        assert {
            "auc",
            "business_cost",
            "threshold",
            "auc_train",
            "auc_cv",
            "auc_ci_low",
            "auc_ci_high",
        } <= scores.keys()
        assert all(isinstance(value, (int, float)) for value in scores.values())
    best = metrics["test"][metrics["best_model"]]
    assert metrics["best_model"] != "dummy"
    assert best["business_cost"] < metrics["test"]["dummy"]["business_cost"]
    assert best["auc_ci_low"] <= best["auc"] <= best["auc_ci_high"]


def test_repro_registers_the_model_with_its_card(project):
    copy, _ = project
    card = json.loads((copy / "models/credit/model_card.json").read_text())
    metrics = json.loads((copy / "reports/credit/metrics.json").read_text())
    assert card["model"] == metrics["best_model"]
    assert card["decision"]["threshold"] == metrics["test"][card["model"]]["threshold"]
    assert card["library_versions"]["scikit-learn"] and card["library_versions"]["xgboost"]
    assert card["data"]["train_split_sha256"] and card["version"].startswith(card["model"])
    artifacts = yaml.safe_load((copy / "dvc.yaml").read_text())["artifacts"]
    assert artifacts["credit-default-scorer"]["path"] == "models/credit/model.joblib"
    answer = CreditScorer(copy / "models/credit").score(EXAMPLE)
    assert answer["model_version"] == card["version"] and answer["threshold"] == card["decision"]["threshold"]


def test_repro_writes_the_reports(project):
    copy, _ = project
    reports = copy / "reports/credit"
    for name in ("evaluation.html", "explanations.html", "drift_summary.html", "cost_curve.csv", "shap_importance.csv"):
        assert (reports / name).stat().st_size > 1000, name
    assert (reports / "drift.html").stat().st_size > 1_000_000  # Evidently's page
    assert len(list((reports / "evaluation").glob("*.png"))) >= 5
    explained = json.loads((reports / "explanations.json").read_text())
    assert explained["clients"] and len(list((reports / "explanations").glob("waterfall_*.png"))) == len(
        explained["clients"]
    )
    drift = json.loads((reports / "drift.json").read_text())
    assert drift["columns_tested"] > 100 and 0 <= drift["share_drifted"] <= 1
    monitoring = json.loads((reports / "monitoring.json").read_text())  # over the shipped recorded traffic
    assert monitoring["operations"]["requests"] == 8080 and monitoring["data"]["kind"] == "real-sample"
    assert monitoring["status"] == ("alert" if monitoring["alerts"] else "ok")
    assert (reports / "monitoring.html").stat().st_size > 1000 and (reports / "monitoring_drift.html").is_file()


def test_second_repro_is_a_no_op_and_one_param_reruns_only_its_stages(project):
    copy, env = project
    assert "up to date" in run(["dvc", "status", *STAGES], copy, env).stdout.lower()
    set_params(copy, "credit", {"drift": {"top_drifts": 4}})
    changed = json.loads(run(["dvc", "status", "--json", *STAGES], copy, env).stdout)
    assert set(changed) == {"credit_drift"}
    set_params(copy, "credit", {"drift": {"top_drifts": 3}, "cost": {"fn": 5}})
    changed = json.loads(run(["dvc", "status", "--json", *STAGES], copy, env).stdout)
    assert {"credit_train", "credit_evaluate"} <= set(changed) and "credit_data" not in changed


def test_a_bad_parameter_fails_the_stage_with_its_name(tmp_path):
    env = make_copy(tmp_path, SMALL_PARAMS | {"data": {"test_size": 0.9}})
    result = run(["dvc", "repro", "credit_data"], tmp_path, env, check=False)
    assert result.returncode != 0
    assert "credit.data.test_size" in result.stderr and "0.9" in result.stderr
    assert not (tmp_path / "data/interim/credit/train.csv.gz").exists()
    assert not list((tmp_path / "data").rglob("*.tmp"))
