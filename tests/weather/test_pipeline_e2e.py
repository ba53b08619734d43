"""A tiny end-to-end `dvc repro` of the weather stages on a temporary copy of the project."""

import json
import sqlite3
from pathlib import Path

import pytest

from tests.dvc_project import copy_project, run, set_params

pytestmark = pytest.mark.slow
FINAL_STAGES = ["weather_monitor", "weather_eda"]  # every weather stage is one of these or upstream of them

SMALL_PARAMS = {
    "download": {"start": "2024-01-01", "end": "2025-04-04"},
    "evaluation": {"test_days": 20},
    "eda": {"stl_period_days": 120},  # STL needs 3 periods: 15 months of data hold 3 of 120 days
    "stats": {"fit_window_days": 30, "sarima_grid": [[1, 0, 1, 0]], "arima_max_p": 1, "arima_max_q": 1},
    "ml": {
        "models": ["ridge", "xgboost"],
        "feature_sets": ["lags", "lags_rolling_exog"],
        "xgboost": {
            "n_estimators": 20,
            "max_depth": 3,
            "learning_rate": 0.3,
            "subsample": 1.0,
            "colsample_bytree": 1.0,
        },
    },
    "batch": {"start": "2025-03-28", "days": 3},
}


def make_copy(copy: Path, changes: dict) -> dict:
    return copy_project(copy, ["alembic.ini", "data/external/weather"], "weather", changes)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    copy = tmp_path_factory.mktemp("project")
    env = make_copy(copy, SMALL_PARAMS)
    run(["dvc", "repro", "--glob", "weather_*"], copy, env)
    return copy, env


def test_repro_writes_the_metrics_contract(project):
    copy, _ = project
    metrics = json.loads((copy / "reports/weather/metrics.json").read_text())
    assert {"data", "test", "best_model"} <= metrics.keys()
    assert metrics["data"]["kind"] == "real-sample" and metrics["data"]["rows"] > 10_000
    assert {"persistence_24h", "climatology", "arima", "sarima", "sarimax_exog_lag24h"} <= metrics["test"].keys()
    assert all({"mae", "rmse"} <= scores.keys() for scores in metrics["test"].values())
    assert metrics["models"][metrics["best_model"]]["deployable"]
    assert metrics["test_period"]["days"] == 20


def test_repro_fills_the_database_and_reports(project):
    copy, _ = project
    with sqlite3.connect(copy / "data/db/weather.sqlite") as connection:
        predictions = connection.execute("select count(*) from predictions").fetchone()[0]
        models = connection.execute("select name, artefact_path from models").fetchall()
        observations = connection.execute("select count(*) from weather_observations").fetchone()[0]
    assert predictions == 3 * 8
    assert len(models) == 1 and models[0][1] == "models/weather/model.joblib"
    assert observations > 10_000
    for report in ("evaluation.html", "eda.html", "monitoring.png"):
        assert (copy / "reports/weather" / report).stat().st_size > 1000
    card = json.loads((copy / "models/weather/model_card.json").read_text())
    assert card["library_versions"]["scikit-learn"] and card["data_sha256"]


def test_second_repro_is_a_no_op_and_one_param_reruns_only_its_stages(project):
    copy, env = project
    assert "up to date" in run(["dvc", "status", "--with-deps", *FINAL_STAGES], copy, env).stdout.lower()
    set_params(copy, "weather", {"ml": {"ridge": {"alpha": 3.0}}})
    changed = json.loads(run(["dvc", "status", "--json", "--with-deps", *FINAL_STAGES], copy, env).stdout)
    assert "weather_train_ml" in changed and "weather_batch" in changed
    assert not {"weather_download", "weather_clean", "weather_aggregate", "weather_train_stats"} & changed.keys()


def test_a_bad_parameter_fails_the_stage_with_its_name_and_writes_nothing(tmp_path):
    env = make_copy(tmp_path, {"download": {"exogenous": ["dew_point_2m", "sunshine_duration"]}})
    result = run(["dvc", "repro", "weather_download"], tmp_path, env, check=False)
    assert result.returncode != 0
    assert "weather.download.exogenous" in result.stderr and "sunshine_duration" in result.stderr
    assert not (tmp_path / "data/raw/weather/hourly.csv.gz").exists()
    assert not list((tmp_path / "data").rglob("*.tmp"))
