"""A tiny end-to-end `dvc repro` of the cars stages on a temporary copy of the project and 3,000 real listings."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from pipelines.cars.serving import EXAMPLE, CarPricer
from pipelines.common.io import write_csv
from tests.cars.conftest import LISTINGS_FILE
from tests.dvc_project import copy_project, run, set_params

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
STAGES = ["cars_prepare", "cars_train", "cars_evaluate", "cars_register"]
SMALL_FILE = "data/external/cars/small.csv.gz"
SMALL_PARAMS = {
    "data": {"path": SMALL_FILE},
    "train": {
        "threads": 1,
        "linear": {"alpha": [1.0]},
        "xgboost": {
            "fixed": {"n_estimators": 60, "max_bin": 64},
            "grid": {"max_depth": [3, 5], "learning_rate": [0.2]},
        },
    },
    "evaluation": {"bootstrap": 100, "pd_sample": 100, "pd_points": 5},
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    copy = tmp_path_factory.mktemp("project")
    env = copy_project(copy, [], "cars", SMALL_PARAMS)
    listings = pd.read_csv(LISTINGS_FILE, dtype=str, keep_default_na=False).head(3000)
    write_csv(copy / SMALL_FILE, pd.concat([listings, listings.head(50)]), index=False)  # 50 exact duplicates
    run(["dvc", "repro", *STAGES], copy, env)
    return copy, env


def test_repro_writes_the_metrics_contract(project):
    copy, _ = project
    metrics = json.loads((copy / "reports/cars/metrics.json").read_text())
    assert {"data", "test", "validation", "best_model"} <= metrics.keys()
    assert set(metrics["test"]) == {"expert", "linear", "xgboost"}
    for scores in metrics["test"].values():
        assert {"mae", "mape", "r2", "mape_ci_low", "mape_ci_high"} <= scores.keys()
        assert all(isinstance(value, float) for value in scores.values())
    assert metrics["data"]["rows_read"] == 3050 and metrics["data"]["rows_exact_duplicates"] >= 50
    best = metrics["best_model"]
    assert best == min(metrics["validation"], key=lambda name: metrics["validation"][name]["mape"])
    assert metrics["test"][best]["mape"] < metrics["test"]["expert"]["mape"]


def test_repro_writes_the_report_and_registers_the_model(project):
    copy, _ = project
    reports = copy / "reports/cars"
    assert (reports / "evaluation.html").stat().st_size > 5000
    assert len(list((reports / "evaluation").glob("*.png"))) == 5
    html = (reports / "evaluation.html").read_text()
    for heading in ("Errors by price range, age and make", "Depreciation learnt", "Partial dependence"):
        assert heading in html
    card = json.loads((copy / "models/cars/model_card.json").read_text())
    metrics = json.loads((reports / "metrics.json").read_text())
    assert card["model"] == metrics["best_model"] and card["library_versions"]["xgboost"]
    assert yaml.safe_load((copy / "dvc.yaml").read_text())["artifacts"]["cars-price-estimator"]["path"] == (
        "models/cars/model.joblib"
    )
    answer = CarPricer(copy / "models/cars").estimate(EXAMPLE)
    assert answer["model_version"] == card["version"] and answer["lower"] < answer["price"] < answer["upper"]


def test_second_repro_is_a_no_op_and_a_report_param_reruns_only_the_evaluation(project):
    copy, env = project
    assert "up to date" in run(["dvc", "status", *STAGES], copy, env).stdout.lower()
    set_params(copy, "cars", {"evaluation": {"top_makes": 5}})
    changed = json.loads(run(["dvc", "status", "--json", *STAGES], copy, env).stdout)
    assert set(changed) == {"cars_evaluate"}


def test_a_bad_parameter_fails_the_stage_with_its_name(tmp_path):
    env = copy_project(tmp_path, ["data/external/cars"], "cars", {"split": {"test_size": 0.9}})
    result = run(["dvc", "repro", "cars_prepare"], tmp_path, env, check=False)
    assert result.returncode != 0 and "cars.split.test_size" in result.stderr
    assert not (tmp_path / "data/interim/cars/train.csv.gz").exists()
