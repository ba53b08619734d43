"""The day-ahead protocol, baselines, features and model choice on small synthetic series."""

import numpy as np
import pandas as pd
import pytest

from pipelines.common.errors import DataError, ParamError
from pipelines.weather.features import FEATURE_SETS, build_features, is_deployable
from pipelines.weather.forecasting import (
    climatology,
    day_matrix,
    error_metrics,
    long_forecasts,
    persistence_24h,
    split_days,
)
from stages.weather.evaluate import choose_best, score


def synthetic_series(days=120, seed=0):
    """A 3-hour series with a daily cycle and noise (synthetic, for tests only)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2023-01-01", periods=days * 8, freq="3h", name="time")
    values = 10 + 4 * np.sin(2 * np.pi * (index.hour - 9) / 24) + rng.normal(0, 0.5, len(index))
    return pd.Series(values, index=index)


def test_day_matrix_has_one_row_per_complete_day():
    series = synthetic_series(5).drop(index=pd.Timestamp("2023-01-03 06:00"))
    matrix = day_matrix(series)
    assert list(matrix.columns) == list(range(8))
    assert pd.Timestamp("2023-01-03") not in matrix.index and len(matrix) == 4


def test_split_keeps_the_last_days_for_test_the_ones_before_for_validation_and_refuses_too_little_data():
    days = day_matrix(synthetic_series(150)).index
    split = split_days(days, 30, 20)
    assert len(split.test_days) == 30 and len(split.validation_days) == 20
    assert split.train_days[-1] < split.validation_start and split.validation_days[-1] < split.test_start
    assert split.known_before("validation").equals(split.train_days)
    assert split.known_before("test").equals(split.train_days.append(split.validation_days))
    with pytest.raises(DataError, match="validation_days"):
        split_days(days, 30, 90)


def test_persistence_repeats_yesterday_and_long_format_is_consistent():
    matrix = day_matrix(synthetic_series(10))
    days = matrix.index[-3:]
    forecast = long_forecasts("persistence_24h", persistence_24h(matrix, days), matrix, "test")
    first = forecast.iloc[0]
    assert first["predicted"] == matrix.loc[days[0] - pd.Timedelta(days=1), 0]
    assert first["observed"] == matrix.loc[days[0], 0]
    assert first["issue_time"] == days[0] - pd.Timedelta(hours=3)
    assert (forecast["target_time"] - forecast["issue_time"]).max() == pd.Timedelta(hours=24)


def test_climatology_averages_the_same_step_around_the_day_of_year():
    matrix = day_matrix(synthetic_series(80))
    split = split_days(matrix.index, 10, 5)
    forecast = climatology(matrix, split.known_before("test"), split.test_days[:1], window_days=3)
    day = split.test_days[0]
    window = matrix.loc[day - pd.Timedelta(days=3) : day - pd.Timedelta(days=1), 2]
    assert forecast.iloc[0, 2] == pytest.approx(window.mean())


def test_error_metrics():
    frame = pd.DataFrame({"predicted": [1.0, 3.0], "observed": [2.0, 2.0]})
    assert error_metrics(frame) == {"mae": 1.0, "rmse": 1.0, "bias": 0.0}


@pytest.mark.parametrize("feature_set", [name for name in FEATURE_SETS if is_deployable(name)])
def test_deployable_features_of_day_d_do_not_see_day_d(feature_set):
    """Changing day D's observations must not change the features used to forecast day D."""
    series = synthetic_series(60)
    target = day_matrix(series)
    exog = {"pressure_msl": day_matrix(series * 0.1 + 1000)}
    day = target.index[-1]
    before = build_features(target, exog, feature_set, climatology_until=day).loc[day]
    target.loc[day] += 100
    exog["pressure_msl"].loc[day] += 100
    after = build_features(target, exog, feature_set, climatology_until=day).loc[day]
    pd.testing.assert_series_equal(before, after)


def test_observed_exogenous_features_are_flagged_as_an_upper_bound():
    assert not is_deployable("lags_rolling_exog_observed")
    series = synthetic_series(40)
    target, exog = day_matrix(series), {"dew_point_2m": day_matrix(series - 3)}
    features = build_features(target, exog, "lags_rolling_exog_observed")
    assert features.loc[target.index[-1], "dew_point_2m_d0_s0"] == exog["dew_point_2m"].iloc[-1, 0]


def test_exogenous_feature_sets_need_exogenous_data():
    target = day_matrix(synthetic_series(20))
    with pytest.raises(ParamError, match="weather.ml.feature_sets"):
        build_features(target, {}, "lags_rolling_exog")
    with pytest.raises(ParamError, match="unknown feature set"):
        build_features(target, {}, "lagz")


def test_best_model_is_never_an_upper_bound():
    forecasts = pd.DataFrame(
        {
            "model": ["cheat"] * 2 + ["good"] * 2 + ["persistence_24h"] * 2,
            "predicted": [2.0, 2.0, 2.5, 1.5, 4.0, 0.0],
            "observed": [2.0, 2.0] * 3,
        }
    )
    catalogue = {
        "cheat": {"deployable": False, "family": "ml"},
        "good": {"deployable": True, "family": "ml"},
        "persistence_24h": {"deployable": True, "family": "baseline"},
    }
    scores = score(forecasts)
    assert scores.index[0] == "cheat"
    assert choose_best(scores, catalogue) == "good"


@pytest.mark.parametrize("regressor", ["ridge", "xgboost"])
def test_a_warmer_yesterday_gives_a_warmer_forecast(regressor):
    """Behaviour: the same day after a 5 °C warmer day-before is forecast warmer, at every step."""
    from pipelines.weather.regressors import make_regressor

    rng = np.random.default_rng(1)
    daily = np.cumsum(rng.normal(0, 1.0, 400))  # persistent day-to-day anomalies, as in real weather
    index = pd.date_range("2022-01-01", periods=400 * 8, freq="3h", name="time")
    series = pd.Series(np.repeat(daily, 8) + 3 * np.sin(2 * np.pi * (index.hour - 9) / 24), index=index)
    target = day_matrix(series)
    features = build_features(target, {}, "lags").dropna()
    settings = {"ridge": {"alpha": 1.0}, "xgboost": {"n_estimators": 50, "max_depth": 3}, "mlp": {}}[regressor]
    model = make_regressor(regressor, settings, seed=0)
    model.fit(features.to_numpy(), target.loc[features.index].to_numpy())
    row = features.iloc[[-1]].copy()
    warmer = row.copy()
    yesterday = [f"y_d1_s{step}" for step in range(8)]
    warmer[yesterday] += 5.0
    difference = model.predict(warmer.to_numpy()) - model.predict(row.to_numpy())
    assert (difference > 0.5).all()


def test_errors_between_skips_unknown_pairs_and_is_none_without_any() -> None:
    from pipelines.weather.forecasting import errors_between

    predicted = [1.0, 2.0, np.nan, 5.0]
    observed = [0.0, 4.0, 3.0, np.nan]
    assert errors_between(predicted, observed) == {"mae": 1.5, "rmse": round(np.sqrt(2.5), 4), "bias": -0.5}
    assert errors_between([np.nan], [1.0]) == {"mae": None, "rmse": None, "bias": None}
    assert errors_between([1.0], [0.123456], decimals=None)["mae"] == pytest.approx(0.876544)
