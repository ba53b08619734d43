"""Model choice, tuning, statistical checks and intervals read the validation period only."""

import numpy as np
import pandas as pd
import pytest

from pipelines.common.params import Params
from pipelines.weather.data import load_problem, write_series
from pipelines.weather.forecasting import climatology, long_forecasts, persistence_24h
from pipelines.weather.intervals import add_intervals, conformal_half_widths, coverage_by_step
from pipelines.weather.regressors import fit_regressor, predict_days, tune_on_validation
from pipelines.weather.statistical import (
    StatSpec,
    fit,
    regressor_builder,
    rolling_day_ahead_forecasts,
    select_arima_order,
    validation_check,
)
from stages.weather.evaluate import (
    choose_best,
    choose_reference,
    gain_sentence,
    lead_time_sentence,
    ratio_sentence,
    score,
    stats_check_sentences,
    tails_sentence,
)

SMALL_XGBOOST = {"n_estimators": 30, "max_depth": 3, "learning_rate": 0.2}


def weather_like(days: int, seed: int = 0, diurnal: float = 3.0) -> pd.DataFrame:
    """A synthetic 3-hour series: yearly and daily cycles, persistent weather anomalies, a pressure-like
    exogenous variable that leads the temperature by a day (synthetic, for tests only)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2021-01-01", periods=days * 8, freq="3h", name="time")
    anomaly = np.zeros(days)
    for day in range(1, days):
        anomaly[day] = 0.7 * anomaly[day - 1] + rng.normal(0, 1.5)
    yearly = 8 * np.sin(2 * np.pi * (index.dayofyear.to_numpy() - 110) / 365.25)
    daily = diurnal * np.sin(2 * np.pi * (index.hour.to_numpy() - 9) / 24)
    temperature = 10 + yearly + daily + np.repeat(anomaly, 8) + rng.normal(0, 0.4, len(index))
    pressure = 1013 + 5 * np.repeat(np.roll(anomaly, -1), 8) + rng.normal(0, 1, len(index))
    return pd.DataFrame({"temperature_2m": temperature, "pressure_msl": pressure}, index=index)


def make_problem(tmp_path, frame: pd.DataFrame, test_days=60, validation_days=60):
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


def run_choices(problem) -> dict:
    """Everything the pipeline chooses: tuned settings, the ARIMA order, the best model, the interval widths."""
    catalogue, frames, chosen = {}, [], {}
    for regressor, base, grid in (
        ("ridge", {"alpha": 1.0}, {"alpha": [0.01, 10.0, 1000.0]}),
        ("xgboost", SMALL_XGBOOST, {"max_depth": [2, 4]}),
    ):
        settings, validation, _, _ = tune_on_validation(problem, regressor, "full", base, grid, seed=0)
        name = f"{regressor}_full"
        chosen[name] = settings
        catalogue[name] = {"family": "ml", "deployable": True}
        frames.append(long_forecasts(name, validation, problem.target, "validation"))
    days = problem.split.validation_days
    frames.append(
        long_forecasts("persistence_24h", persistence_24h(problem.target, days), problem.target, "validation")
    )
    catalogue["persistence_24h"] = {"family": "baseline", "deployable": True}
    series = problem.series.asfreq("3h")
    endog = series["temperature_2m"][series.index < problem.split.validation_start].iloc[-40 * 8 :]
    regressors = regressor_builder(series, 1, daily_pairs=2)
    _, order = select_arima_order(endog, regressors(endog.index), 1, 1)
    forecasts = pd.concat(frames, ignore_index=True)
    best = choose_best(score(forecasts), catalogue)
    widths = conformal_half_widths(forecasts[forecasts["model"] == best])
    return {"settings": chosen, "arima_order": order, "best": best, "widths": widths}


@pytest.mark.slow
def test_noise_in_the_test_year_changes_no_choice(tmp_path):
    frame = weather_like(420)
    problem = make_problem(tmp_path / "a", frame)
    noisy = frame.copy()
    test = noisy.index >= problem.split.test_start
    noisy.loc[test] = np.random.default_rng(9).normal(0, 30, (int(test.sum()), noisy.shape[1]))
    noisy_problem = make_problem(tmp_path / "b", noisy)
    assert noisy_problem.split.test_start == problem.split.test_start
    # The noise is real: the test year's observations differ completely …
    assert not np.allclose(
        problem.target.loc[problem.split.test_days], noisy_problem.target.loc[problem.split.test_days]
    )
    # … and no choice moved.
    assert run_choices(problem) == run_choices(noisy_problem)


def test_tuning_keeps_the_candidate_with_the_lowest_validation_rmse(tmp_path):
    problem = make_problem(tmp_path, weather_like(300))
    settings, predicted, tried, features = tune_on_validation(
        problem, "ridge", "lags", {"alpha": 1.0}, {"alpha": [0.1, 1e6]}, seed=0
    )
    assert [t["settings"]["alpha"] for t in tried] == [0.1, 1e6]
    assert settings == min(tried, key=lambda t: t["validation_rmse"])["settings"]
    assert predicted.index.equals(problem.split.validation_days)
    model, _, trained = fit_regressor(problem, "ridge", "lags", settings, 0, problem.split.validation_start, features)
    assert trained.max() < problem.split.validation_start
    pd.testing.assert_frame_equal(predict_days(model, features, problem.split.validation_days), predicted)


def test_best_model_is_the_validation_optimum_not_the_test_one():
    rows = []
    for period, errors in (("validation", {"a": 1.0, "b": 2.0}), ("test", {"a": 3.0, "b": 0.5})):
        for model, error in errors.items():
            rows += [{"model": model, "period": period, "predicted": error, "observed": 0.0}] * 2
    forecasts = pd.DataFrame(rows)
    catalogue = {name: {"family": "ml", "deployable": True} for name in ("a", "b")}
    assert choose_best(score(forecasts[forecasts["period"] == "validation"]), catalogue) == "a"
    assert choose_best(score(forecasts[forecasts["period"] == "test"]), catalogue) == "b"


def test_a_statistical_model_that_fails_its_validation_check_is_never_chosen():
    forecasts = pd.DataFrame({"model": ["arima", "ridge"], "predicted": [0.1, 1.0], "observed": [0.0, 0.0]})
    check = {"validation_rmse": 0.1, "baselines_rmse": {"climatology": 0.05}, "not_better_than": ["climatology"]}
    catalogue = {
        "arima": {"family": "statistical", "deployable": True, "validation_check": check},
        "ridge": {"family": "ml", "deployable": True},
    }
    assert choose_best(score(forecasts), catalogue) == "ridge"
    [sentence] = stats_check_sentences(catalogue)
    assert "arima is not better than climatology 0.05 °C" in sentence and "never deployed" in sentence
    catalogue["arima"]["validation_check"] = check | {"not_better_than": []}
    assert choose_best(score(forecasts), catalogue) == "arima" and not stats_check_sentences(catalogue)


def test_the_reference_is_the_better_of_its_two_models_on_validation():
    forecasts = pd.DataFrame(
        {"model": ["reference_ridge", "reference_xgboost"], "predicted": [2.0, 1.0], "observed": [0.0, 0.0]}
    )
    catalogue = {name: {"family": "reference", "deployable": True} for name in forecasts["model"]}
    assert choose_reference(score(forecasts), catalogue) == "reference_xgboost"


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [(0.85, "a clear edge"), (0.95, "above the 0.90 goal"), (1.02, "no better than the reference")],
)
def test_ratio_sentence_follows_the_ratio(ratio, expected):
    assert expected in ratio_sentence("m", ratio, "reference_xgboost")


def test_gain_sentence_follows_the_sign():
    assert gain_sentence(0.34) == "34 % lower"
    assert "no better than persistence" in gain_sentence(-0.1)


@pytest.mark.slow
def test_daily_terms_rescue_arima_on_a_series_built_to_defeat_it(tmp_path):
    """A desert-like series: a 12 °C day-night swing. A non-seasonal ARIMA forecasting 8 steps ahead forgets the
    daily cycle within a few steps and does worse than climatology; with the daily Fourier terms it beats both
    naive baselines on validation, and the check says so either way."""
    problem = make_problem(tmp_path, weather_like(420, seed=3, diurnal=6.0), test_days=20, validation_days=30)
    split = problem.split
    series = problem.series.asfreq("3h")
    target = series["temperature_2m"]
    endog = target[target.index < split.validation_start].iloc[-60 * 8 :]
    naive = {
        "persistence_24h": persistence_24h(problem.target, split.validation_days),
        "climatology": climatology(problem.target, split.train_days, split.validation_days, 7),
    }
    checks = {}
    for daily_pairs in (0, 2):
        regressors = regressor_builder(series, 1, daily_pairs=daily_pairs)
        _, order = select_arima_order(endog, regressors(endog.index), 2, 2)
        spec = StatSpec("arima", order, (0, 0, 0, 0), regressors, True, {})
        predicted = rolling_day_ahead_forecasts(fit(spec, endog), spec, target, split.validation_days)
        checks[daily_pairs] = validation_check(predicted, problem.target, naive)
    assert "climatology" in checks[0]["not_better_than"]  # the check reports the defeated model …
    assert "climatology" not in checks[2]["not_better_than"]  # … and the daily terms rescue it
    assert checks[2]["validation_rmse"] < checks[0]["validation_rmse"]


def test_conformal_intervals_cover_their_nominal_share_on_exchangeable_errors():
    rng = np.random.default_rng(0)

    def frame(n):
        steps = np.tile(np.arange(8), n)
        scale = 0.5 + 0.25 * steps  # later steps are less certain
        return pd.DataFrame({"step": steps, "predicted": rng.normal(0, scale), "observed": np.zeros(8 * n)})

    widths = conformal_half_widths(frame(400))
    assert all(np.diff(widths["80"]) > 0) and all(w95 > w80 for w80, w95 in zip(widths["80"], widths["95"]))
    coverage = coverage_by_step(frame(2000), widths)
    assert abs(coverage["80"]["overall"] - 0.80) < 0.02 and abs(coverage["95"]["overall"] - 0.95) < 0.01
    assert all(abs(c - 0.80) < 0.05 for c in coverage["80"]["by_step"])
    bounds = add_intervals(frame(1), widths)
    assert (bounds["upper_95"] - bounds["lower_95"]).round(4).tolist() == [2 * w for w in widths["95"]]


def test_lead_time_sentence_follows_the_first_and_last_steps():
    growing = pd.Series([1.0, 1.5, 2.0], index=[0, 1, 7])
    assert "the error grows with lead time" in lead_time_sentence(growing, "m")
    assert "00h" in lead_time_sentence(growing, "m") and "21h" in lead_time_sentence(growing, "m")
    shrinking = pd.Series([2.0, 1.5, 1.0], index=[0, 1, 7])
    assert "does not grow with lead time" in lead_time_sentence(shrinking, "m")


def test_tails_sentence_tells_heavy_from_normal_tails():
    rng = np.random.default_rng(0)
    bounded = pd.Series(rng.uniform(-1, 1, 10_000))  # no value beyond 1.8 standard deviations
    assert "no heavier tails" in tails_sentence(bounded, "m")
    heavy = pd.Series(rng.standard_t(2, 10_000))
    assert "heavier tails than a normal" in tails_sentence(heavy, "m")
