"""The anomaly feature set (seasonal cycle removed, fitted before a cutoff) and the validation-chosen ensemble."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from pipelines.common.errors import DataError
from pipelines.weather.ensemble import ENSEMBLE_NAME, choose_members, mean_forecasts
from pipelines.weather.features import build_features, seasonal_climatology, uses_climatology
from pipelines.weather.forecasting import day_matrix, long_forecasts
from pipelines.weather.regressors import AnomalyTarget


def seasonal_target(days: int) -> pd.DataFrame:
    index = pd.date_range("2020-01-01", periods=days * 8, freq="3h", name="time")
    yearly = 10 * np.sin(2 * np.pi * (index.dayofyear - 100) / 365.25)
    daily = 4 * np.sin(2 * np.pi * (index.hour - 9) / 24)
    noise = np.random.default_rng(0).normal(0, 0.5, len(index))
    return day_matrix(pd.Series(10 + yearly + daily + noise, index=index))


def test_climatology_is_fitted_on_the_days_before_the_cutoff_only():
    target = seasonal_target(800)
    until = target.index[600]
    before = seasonal_climatology(target, until)
    changed = target.copy()
    changed.loc[changed.index >= until] += 50
    pd.testing.assert_frame_equal(before, seasonal_climatology(changed, until))
    # Yearly and daily cycle recovered: the anomaly is the noise (std 0.5), not the 10 °C seasons.
    assert float((target - before).abs().mean().mean()) < 1.0
    assert not seasonal_climatology(changed, target.index[-1]).equals(before)


def test_anomaly_features_start_with_day_d_climatology_and_hold_anomalies():
    target = seasonal_target(500)
    until = target.index[400]
    features = build_features(target, {}, "anomaly", climatology_until=until)
    climatology = seasonal_climatology(target, until)
    assert uses_climatology("anomaly") and not uses_climatology("full")
    assert list(features.columns[:8]) == [f"clim_s{step}" for step in range(8)]
    day = target.index[450]
    np.testing.assert_allclose(features.loc[day, "clim_s3"], climatology.loc[day, 3])
    previous = day - pd.Timedelta(days=1)
    np.testing.assert_allclose(features.loc[day, "y_d1_s3"], target.loc[previous, 3] - climatology.loc[previous, 3])
    with pytest.raises(ValueError, match="climatology_until"):
        build_features(target, {}, "anomaly")
    with pytest.raises(DataError, match="too few"):
        seasonal_climatology(target, target.index[3])


def test_anomaly_target_learns_the_anomaly_and_adds_the_climatology_back():
    rng = np.random.default_rng(2)
    climatology, signal = rng.normal(10, 5, (200, 8)), rng.normal(0, 1, (200, 1))
    X = np.hstack([climatology, signal])
    y = climatology + 2 * signal  # anomaly = 2 × signal, whatever the climatology
    model = AnomalyTarget(LinearRegression()).fit(X, y)
    np.testing.assert_allclose(model.predict(X), y, atol=1e-8)
    np.testing.assert_allclose(model.estimator_.coef_[:, -1], 2.0, atol=1e-8)


def summaries(scores: dict[str, tuple[str, float, bool]]) -> dict[str, dict]:
    return {
        name: {
            "regressor": regressor,
            "deployable": deployable,
            "tuning": [{"validation_rmse": rmse + 1}, {"validation_rmse": rmse}],
        }
        for name, (regressor, rmse, deployable) in scores.items()
    }


def test_members_are_each_regressors_best_deployable_model_on_validation():
    scores = {
        "ridge_lags": ("ridge", 1.9, True),
        "ridge_anomaly": ("ridge", 1.7, True),
        "xgboost_full": ("xgboost", 1.6, True),
        "xgboost_lags_rolling_exog_observed": ("xgboost", 0.5, False),
    }
    assert choose_members(summaries(scores)) == ["ridge_anomaly", "xgboost_full"]
    scores["ridge_lags"] = ("ridge", 1.65, True)
    assert choose_members(summaries(scores)) == ["ridge_lags", "xgboost_full"]
    assert choose_members(summaries({"ridge_lags": ("ridge", 1.9, True), "ridge_full": ("ridge", 1.8, True)})) == []


def test_ensemble_forecast_is_the_members_mean_on_the_same_days():
    days = pd.date_range("2024-01-01", periods=3, freq="D")
    observed = pd.DataFrame(np.ones((3, 8)), index=days)
    frames = [
        long_forecasts("a", pd.DataFrame(np.full((3, 8), 2.0), index=days), observed, "validation"),
        long_forecasts("b", pd.DataFrame(np.full((3, 8), 4.0), index=days), observed, "validation"),
    ]
    forecasts = pd.concat(frames, ignore_index=True)
    mean = mean_forecasts(ENSEMBLE_NAME, forecasts, ["a", "b"])
    assert list(mean.columns) == list(forecasts.columns) and len(mean) == 24
    assert (mean["predicted"] == 3.0).all() and (mean["model"] == ENSEMBLE_NAME).all()
    with pytest.raises(DataError, match="same days"):
        mean_forecasts(ENSEMBLE_NAME, forecasts.iloc[:-1], ["a", "b"])


def test_mlp_regressor_fits_the_eight_steps_from_list_settings():
    from pipelines.weather.regressors import check_settings, make_regressor

    rng = np.random.default_rng(3)
    X = rng.normal(0, 1, (300, 4))
    y = 15 + X[:, :1] * np.arange(1, 9) + rng.normal(0, 0.1, (300, 8))  # a mean of 15 °C, far from 0
    check_settings("mlp", {"hidden_layer_sizes": [16], "alpha": 0.1}, "weather.ml.mlp")
    model = make_regressor("mlp", {"hidden_layer_sizes": [16], "alpha": 0.1}, seed=0).fit(X, y)
    predicted = model.predict(X)
    assert predicted.shape == (300, 8)
    assert np.sqrt(np.mean((predicted - y) ** 2)) < 0.5 * y.std()


def test_batch_refits_every_member_and_serves_their_mean():
    from pipelines.weather.data import Problem
    from pipelines.weather.forecasting import split_days
    from stages.weather.batch import forecast_ml

    target = seasonal_target(500)
    problem = Problem(pd.DataFrame(), "temperature_2m", target, {}, split_days(target.index, 30, 30))
    catalogue = {
        "ridge_lags": {"regressor": "ridge", "feature_set": "lags", "settings": {"alpha": 1.0}},
        "ridge_anomaly": {"regressor": "ridge", "feature_set": "anomaly", "settings": {"alpha": 10.0}},
    }
    spec = {"regressor": "ensemble", "members": ["ridge_anomaly", "ridge_lags"]}
    days = target.index[-5:]
    models, predicted, explanatory, trained = forecast_ml(problem, spec, 0, days, catalogue)
    alone = [forecast_ml(problem, catalogue[name], 0, days)[1] for name in spec["members"]]
    pd.testing.assert_frame_equal(predicted, (alone[0] + alone[1]) / 2)
    assert set(models) == set(spec["members"]) and set(explanatory[days[0]]) == set(spec["members"])
    assert trained[1] < days[0]
