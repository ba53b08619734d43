"""The 3-hour-ahead horizon: a forecast of step t never reads the observation of t or later."""

import numpy as np
import pandas as pd
import pytest

from pipelines.common.errors import DataError, ParamError
from pipelines.common.params import Params
from pipelines.weather.data import load_problem, write_series
from pipelines.weather.features import LEAD1_FEATURE_SETS, build_lead1_features
from pipelines.weather.horizon import (
    long_forecasts_3h,
    one_step_ahead,
    period_times,
    persistence_3h,
    persistence_3h_diurnal,
    tune_lead1,
)
from pipelines.weather.statistical import StatSpec, fit, regressor_builder
from stages.weather.evaluate import choose_best_3h, horizon_3h_metrics, horizon_sentence, score

SMALL_XGBOOST = {"n_estimators": 20, "max_depth": 3, "learning_rate": 0.3}


def series_3h(days: int, seed: int = 0) -> pd.DataFrame:
    """Synthetic 3-hour series (tests only): daily cycle, an AR(1) anomaly, pressure and wind."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2022-01-01", periods=days * 8, freq="3h", name="time")
    anomaly = np.zeros(len(index))
    for t in range(1, len(index)):
        anomaly[t] = 0.9 * anomaly[t - 1] + rng.normal(0, 0.6)
    temperature = 10 + 3 * np.sin(2 * np.pi * (index.hour.to_numpy() - 9) / 24) + anomaly
    return pd.DataFrame(
        {
            "temperature_2m": temperature,
            "pressure_msl": 1013 + 4 * np.roll(anomaly, -1) + rng.normal(0, 0.5, len(index)),
            "wind_speed_10m": 5 + rng.gamma(2, 1, len(index)),
            "wind_direction_10m": rng.uniform(0, 360, len(index)),
        },
        index=index,
    )


def shift_from(frame, start: pd.Timestamp, by: float = 50.0):
    """The same series with every value from `start` on moved by `by` (the future changes)."""
    changed = frame.copy()
    changed.loc[changed.index >= start] += by
    return changed


@pytest.mark.parametrize("feature_set", list(LEAD1_FEATURE_SETS))
def test_lead1_features_of_step_t_do_not_see_step_t_or_later(feature_set):
    frame = series_3h(30)
    t = frame.index[-40]
    before = build_lead1_features(frame, "temperature_2m", feature_set).loc[:t]
    after = build_lead1_features(shift_from(frame, t), "temperature_2m", feature_set).loc[:t]
    pd.testing.assert_frame_equal(before, after)
    # ...and they do read step t-1: the row after t moves.
    moved = build_lead1_features(shift_from(frame, t), "temperature_2m", feature_set)
    assert moved.loc[t + pd.Timedelta(hours=3), "y_lag1"] == frame.loc[t, "temperature_2m"] + 50


def test_lead1_feature_sets_are_checked():
    frame = series_3h(10)
    with pytest.raises(ParamError, match="weather.horizon.feature_set"):
        build_lead1_features(frame, "temperature_2m", "lead2")
    features = build_lead1_features(frame, "temperature_2m", "lead1")
    assert {"wind_east_lag1", "pressure_msl_change_24h", "y_lag56", "hour_sin"} <= set(features.columns)


def test_persistence_baselines_read_the_previous_steps_only():
    frame = series_3h(5)
    target = frame["temperature_2m"]
    times = frame.index[10:20]
    assert persistence_3h(target, times).to_numpy() == pytest.approx(target.iloc[9:19].to_numpy())
    diurnal = persistence_3h_diurnal(target, times)
    t = times[0]
    expected = (
        target[t - pd.Timedelta(hours=3)] + target[t - pd.Timedelta(hours=24)] - target[t - pd.Timedelta(hours=27)]
    )
    assert diurnal[t] == pytest.approx(expected)
    shifted = shift_from(target, t)
    assert persistence_3h(shifted, times[:1]).equals(persistence_3h(target, times[:1]))
    assert persistence_3h_diurnal(shifted, times[:1]).equals(diurnal[:1])


@pytest.mark.slow
def test_statistical_one_step_forecasts_never_read_the_step_they_forecast():
    frame = series_3h(40)
    target = frame["temperature_2m"]
    fit_end = frame.index[20 * 8]
    spec = StatSpec("sarima", (1, 0, 0), (1, 0, 0, 8), regressor_builder(frame, 1), True, {})
    results = fit(spec, target[target.index < fit_end])
    times = frame.index[frame.index >= fit_end]
    predicted = one_step_ahead(results, spec.regressors, target, times)
    t = times[50]
    shifted = one_step_ahead(results, spec.regressors, shift_from(target, t), times)
    pd.testing.assert_series_equal(predicted[:t], shifted[:t])  # t itself included: unchanged
    assert abs(shifted[t + pd.Timedelta(hours=3)] - predicted[t + pd.Timedelta(hours=3)]) > 1  # reads t for t+1
    # better than the last value on an AR(1) with a daily cycle: it is a forecast, not a copy
    errors = (predicted - target.reindex(times)).pow(2).mean()
    assert errors < (persistence_3h(target, times) - target.reindex(times)).pow(2).mean()
    with pytest.raises(DataError, match="right after the fit"):
        one_step_ahead(results, spec.regressors, target, times[8:])


def make_problem(tmp_path, frame, test_days=10, validation_days=10):
    path = tmp_path / "series.csv.gz"
    write_series(path, frame)
    params = Params(
        {
            "download": {"target": "temperature_2m"},
            "evaluation": {"test_days": test_days, "validation_days": validation_days},
        },
        "weather",
    )
    return load_problem(params, path)


@pytest.mark.parametrize(
    "regressor,base,grid", [("ridge", {}, {"alpha": [0.1, 1000.0]}), ("xgboost", SMALL_XGBOOST, {})]
)
def test_lead1_regressors_are_tuned_on_validation_and_never_see_the_step_they_forecast(tmp_path, regressor, base, grid):
    frame = series_3h(90)
    problem = make_problem(tmp_path / "a", frame)
    settings, predicted, tried = tune_lead1(problem, regressor, "lead1", base, grid, seed=0)
    assert settings == min(tried, key=lambda row: row["validation_rmse"])["settings"]
    test_times = period_times(problem.split, "test")
    assert predicted["test"].index.equals(test_times) and len(test_times) == 10 * 8
    t = test_times[30]
    changed = make_problem(tmp_path / "b", shift_from(frame, t))
    _, shifted, tried_again = tune_lead1(changed, regressor, "lead1", base, grid, seed=0)
    assert tried_again == tried  # the validation choice does not read the test period
    pd.testing.assert_series_equal(predicted["test"][:t], shifted["test"][:t], atol=1e-3)
    assert not np.isclose(predicted["test"][t + pd.Timedelta(hours=3)], shifted["test"][t + pd.Timedelta(hours=3)])


def forecasts(model: str, errors: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for period, start in (("validation", "2024-01-01"), ("test", "2024-02-01")):
        times = pd.date_range(start, periods=80, freq="3h")
        observed = pd.Series(rng.normal(10, 3, len(times)), index=times)
        frames.append(long_forecasts_3h(model, observed + rng.normal(0, errors, len(times)), observed, period))
    return pd.concat(frames, ignore_index=True)


def catalogue(**families):
    return {m: {"family": f.removesuffix("!"), "deployable": not f.endswith("!")} for m, f in families.items()}


def test_best_3h_model_is_chosen_on_validation_and_must_beat_persistence_3h():
    table = pd.DataFrame({"rmse": [1.0, 0.2, 0.8, 0.9, 0.5]}, index=["persistence_3h", "up", "a", "b", "reference_x"])
    models = catalogue(persistence_3h="baseline", up="statistical!", a="ml", b="statistical", reference_x="reference")
    assert choose_best_3h(table, models) == "a"
    table.loc["persistence_3h", "rmse"] = 0.7
    with pytest.raises(DataError, match="persistence_3h"):
        choose_best_3h(table, models)


def test_horizon_sentence_follows_the_numbers():
    assert "30 % lower than persistence_3h" in horizon_sentence("a", 0.7, 1.0, "b", 1.7)
    assert "no better than persistence" in horizon_sentence("a", 1.1, 1.0, "b", 1.7)
    assert "2.4 × the 3-hour-ahead error" in horizon_sentence("a", 0.7, 1.0, "b", 1.7)


def test_horizon_3h_metrics_pair_each_model_with_its_day_ahead_counterpart():
    frames = pd.concat(
        [
            forecasts("persistence_3h", 1.5, 0),
            forecasts("persistence_3h_diurnal", 1.2, 1),
            forecasts("reference_ridge", 1.0, 2),
            forecasts("ridge_lead1", 0.8, 3),
            forecasts("sarima", 1.1, 4),
        ],
        ignore_index=True,
    )
    models = catalogue(
        persistence_3h="baseline",
        persistence_3h_diurnal="baseline",
        reference_ridge="reference",
        ridge_lead1="ml",
        sarima="statistical",
    )
    day_ahead = pd.DataFrame(
        {"mae": [1.5, 1.3, 2.0, 1.6, 2.4], "rmse": [1.9, 1.7, 2.5, 2.1, 3.0], "bias": 0.0},
        index=["xgboost_full", "reference_xgboost", "persistence_24h", "sarima", "climatology"],
    )
    section, scores_3h, by_step, table = horizon_3h_metrics(
        frames, models, day_ahead, "xgboost_full", "reference_xgboost"
    )
    assert section["best_model"] == "ridge_lead1" and section["reference_model"] == "reference_ridge"
    assert section["test"]["reference"] == section["test"]["reference_ridge"]
    assert section["test"].keys() == section["validation"].keys()
    assert len(section["test_rmse_by_step"]["sarima"]) == 8
    test_scores = score(frames[frames["period"] == "test"])
    assert section["test"]["ridge_lead1"]["rmse"] == test_scores.loc["ridge_lead1", "rmse"]
    best_row = table.loc["best deployable (chosen on validation)"]
    assert (best_row["day-ahead model"], best_row["3-hour-ahead model"]) == ("xgboost_full", "ridge_lead1")
    assert best_row["day-ahead RMSE"] == 1.9 and best_row["3-hour-ahead RMSE"] == test_scores.loc["ridge_lead1", "rmse"]
    assert table.loc["statistical: sarima", "day-ahead RMSE"] == 2.1
    models["sarima"]["deployable"] = False
    table = horizon_3h_metrics(frames, models, day_ahead, "xgboost_full", "reference_xgboost")[3]
    assert "statistical: sarima (upper bound)" in table.index
    assert table.loc["persistence", "3-hour-ahead model"] == "persistence_3h"
    assert section["best_ratio_to_reference"] == pytest.approx(
        test_scores.loc["ridge_lead1", "rmse"] / test_scores.loc["reference_ridge", "rmse"], abs=1e-4
    )
