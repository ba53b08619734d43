"""A tiny end-to-end `dvc repro` of the weather stages on a temporary copy of the project."""

import hashlib
import json
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.dvc_project import copy_project, run, set_params

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
FINAL_STAGES = ["weather_monitor", "weather_eda"]  # every weather stage is one of these or upstream of them

SMALL_PARAMS = {
    "download": {"start": "2024-01-01", "end": "2025-04-04"},
    "evaluation": {"test_days": 20, "validation_days": 20},
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
        "tuning": {"ridge": {"alpha": [1.0, 100.0]}, "xgboost": {"max_depth": [2, 3]}},
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
    assert {"data", "validation", "test", "best_model", "reference_model", "best_ratio_to_reference"} <= metrics.keys()
    assert metrics["validation"].keys() == metrics["test"].keys() and "reference" in metrics["test"]
    best = metrics["best_model"]
    assert metrics["best_model"] == min(
        (m for m, info in metrics["models"].items() if info["deployable"] and info["family"] in ("ml", "statistical")),
        key=lambda m: metrics["validation"][m]["rmse"],
    )
    assert 0 <= metrics["test"][best]["coverage_80"] <= metrics["test"][best]["coverage_95"] <= 1
    assert len(metrics["intervals"]["coverage_test"]["80"]["by_step"]) == 8
    assert metrics["best_ratio_to_reference"] == pytest.approx(
        metrics["test"][best]["rmse"] / metrics["test"]["reference"]["rmse"], abs=1e-3
    )
    assert metrics["data"]["kind"] == "real-sample" and metrics["data"]["rows"] > 10_000
    expected = {"persistence_24h", "climatology", "reference_ridge", "reference_xgboost", "arima", "sarima"}
    assert expected | {"sarimax_exog_lag24h"} <= metrics["test"].keys()
    assert all({"mae", "rmse"} <= scores.keys() for scores in metrics["test"].values())
    assert metrics["models"][metrics["best_model"]]["deployable"]
    assert metrics["test_period"]["days"] == 20
    horizon = metrics["horizon_3h"]  # 3-hour-ahead, beside day-ahead, on the same test days
    assert {"persistence_3h", "reference", "arima", "ridge_lead1"} <= horizon["test"].keys()
    assert horizon["test"].keys() == horizon["validation"].keys() and horizon["selected_on"] == "validation"
    assert horizon["test"][horizon["best_model"]]["rmse"] < metrics["test"][best]["rmse"]


def test_repro_fills_the_database_and_reports(project):
    copy, _ = project
    with sqlite3.connect(copy / "data/db/weather.sqlite") as connection:
        predictions = connection.execute("select count(*) from predictions").fetchone()[0]
        models = connection.execute("select name, artefact_path from models").fetchall()
        observations = connection.execute("select count(*) from weather_observations").fetchone()[0]
    assert predictions == 3 * 8
    with sqlite3.connect(copy / "data/db/weather.sqlite") as connection:
        bounds = connection.execute(
            "select lower_95, lower_80, predicted_temperature, upper_80, upper_95 from predictions"
        )
        assert all(low95 < low80 < value < up80 < up95 for low95, low80, value, up80, up95 in bounds)
    assert len(models) == 1 and models[0][1] == "models/weather/model.joblib"
    assert observations > 10_000
    for report in ("evaluation.html", "eda.html", "monitoring.png"):
        assert (copy / "reports/weather" / report).stat().st_size > 1000
    card = json.loads((copy / "models/weather/model_card.json").read_text())
    assert card["library_versions"]["scikit-learn"] and card["data_sha256"]


def test_second_repro_is_a_no_op_and_one_param_reruns_only_its_stages(project):
    copy, env = project
    assert "up to date" in run(["dvc", "status", "--with-deps", *FINAL_STAGES], copy, env).stdout.lower()
    set_params(copy, "weather", {"ml": {"seed": 7}})  # read by the ML training and by the batch refit
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


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _db_counts(copy: Path) -> tuple[int, int]:
    with sqlite3.connect(copy / "data/db/weather.sqlite") as connection:
        return tuple(connection.execute(f"select count(*) from {t}").fetchone()[0] for t in ("models", "predictions"))


def test_forcing_the_download_to_rerun_on_the_same_data_leaves_every_downstream_stage_skipped(project):
    copy, env = project
    run(["dvc", "repro", "--glob", "weather_*"], copy, env)  # back in step after the params test above
    run(["dvc", "repro", "-f", "-s", "weather_download"], copy, env)
    changed = json.loads(run(["dvc", "status", "--json", "--with-deps", *FINAL_STAGES], copy, env).stdout)
    assert changed == {}, f"outputs of a forced download differ: {changed}"


def test_a_batch_killed_before_its_predictions_are_stored_changes_nothing(project):
    """SIGKILL-equivalent (os._exit, no clean-up code runs) inside the batch, just before the predictions are
    written: the database keeps its model and prediction rows, the deployed model file and card are unchanged."""
    copy, env = project
    files = [copy / "models/weather/model.joblib", copy / "models/weather/model_card.json"]
    before = ([_digest(f) for f in files], _db_counts(copy))
    killer = (
        "import os, sys\n"
        "from pipelines.weather import database\n"
        "database.store_predictions = lambda *args, **kwargs: os._exit(9)\n"
        "from stages.weather import batch\n"
        "batch.main(['--start', '2025-03-25', '--days', '2'])\n"
    )
    result = run([sys.executable, "-c", killer], copy, env, check=False)
    assert result.returncode == 9
    assert ([_digest(f) for f in files], _db_counts(copy)) == before


def test_a_typo_in_the_database_url_fails_naming_the_parameter_before_anything_is_written(project):
    copy, env = project
    files = [copy / "models/weather/model.joblib", copy / "models/weather/model_card.json"]
    before = [_digest(f) for f in files]
    params = (copy / "params.yaml").read_text()
    try:
        set_params(copy, "weather", {"batch": {"database_url": "sqlit:///data/db/weather.sqlite"}})
        result = run([sys.executable, "-m", "stages.weather.batch"], copy, env, check=False)
    finally:
        (copy / "params.yaml").write_text(params)
    assert result.returncode != 0
    assert "weather.batch.database_url" in result.stderr and "Traceback" not in result.stderr
    assert [_digest(f) for f in files] == before


def desert_csv(path: Path, days: int = 460, seed: int = 5) -> None:
    """A hot-desert-like hourly series in the Open-Meteo CSV layout (synthetic, for tests only): a 14 °C
    day-night swing, dry air, surface pressure instead of sea-level pressure, no dew point."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=days * 24, freq="h")
    hour, doy = index.hour.to_numpy(), index.dayofyear.to_numpy()
    anomaly = np.repeat(np.cumsum(rng.normal(0, 0.6, days)) * 0.3, 24)
    temperature = 27 + 8 * np.sin(2 * np.pi * (doy - 110) / 365.25) + 7 * np.sin(2 * np.pi * (hour - 9) / 24)
    frame = pd.DataFrame(
        {
            "time": index.strftime("%Y-%m-%dT%H:%M"),
            "temperature_2m": (temperature + anomaly + rng.normal(0, 0.5, len(index))).round(2),
            "relative_humidity_2m": np.clip(
                20 - 8 * np.sin(2 * np.pi * (hour - 9) / 24) + rng.normal(0, 3, len(index)), 2, 100
            ).round(1),
            "surface_pressure": (960 - 3 * anomaly + rng.normal(0, 0.8, len(index))).round(1),
            "wind_speed_10m": np.abs(12 + rng.normal(0, 4, len(index))).round(1),
            "wind_direction_10m": rng.uniform(0, 360, len(index)).round(0),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, compression="gzip")


def test_any_city_by_params_alone_a_desert_with_another_exogenous_set(tmp_path):
    changes = SMALL_PARAMS | {
        "location": {"name": "Desertville", "latitude": 24.5, "longitude": 54.4},
        "download": {
            "source": "csv",
            "csv_path": "data/external/weather/desert_hourly.csv.gz",
            "start": "2024-01-01",
            "end": "2025-04-04",
            "exogenous": ["relative_humidity_2m", "surface_pressure", "wind_speed_10m", "wind_direction_10m"],
        },
        "stats": SMALL_PARAMS["stats"] | {"sarimax_exogenous": ["surface_pressure", "relative_humidity_2m"]},
    }
    env = make_copy(tmp_path, changes)
    desert_csv(tmp_path / "data/external/weather/desert_hourly.csv.gz")
    run(["dvc", "repro", "--glob", "weather_*"], tmp_path, env)
    metrics = json.loads((tmp_path / "reports/weather/metrics.json").read_text())
    assert metrics["data"]["location"] == "Desertville"
    assert {"arima", "sarimax_exog_lag24h", "xgboost_lags_rolling_exog", "reference_xgboost"} <= metrics["test"].keys()
    # No statistical model is silently worse than a naive baseline: each one that is appears in the report.
    report = (tmp_path / "reports/weather/evaluation.html").read_text()
    for model, check in metrics["statistical_checks"].items():
        if check["not_better_than"]:
            assert f"{model} is not better than" in report
    assert metrics["validation"][metrics["best_model"]]["rmse"] < metrics["validation"]["climatology"]["rmse"]
    with sqlite3.connect(tmp_path / "data/db/weather.sqlite") as connection:
        assert connection.execute("select count(*) from predictions").fetchone()[0] == 3 * 8
