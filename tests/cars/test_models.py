"""The expert rule, the metrics, tuning on validation and the interval: unit tests on small frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.cars.models import (
    ExpertRule,
    depreciation_factor,
    grid,
    make_linear,
    regression_metrics,
    residual_quantiles,
    tune_on_validation,
)
from pipelines.cars.schema import FEATURES, TARGET
from pipelines.common.errors import ParamError

RATES = [0.20, 0.15, 0.10, 0.10, 0.07, 0.05]


def test_the_expert_curve_is_the_clients_yearly_rates_then_the_tail():
    kept = depreciation_factor(np.arange(9), RATES, tail_rate=0.05)
    assert kept[0] == 1.0 and kept[1] == pytest.approx(0.8) and kept[2] == pytest.approx(0.8 * 0.85)
    assert kept[6] == pytest.approx(0.8 * 0.85 * 0.9 * 0.9 * 0.93 * 0.95)
    assert kept[8] == pytest.approx(kept[6] * 0.95**2)
    assert np.all(np.diff(kept) < 0)


def cars(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["make", "model", "year", TARGET])
    return frame.assign(fuel="Gasoline", gear="Manual", offerType="Used", mileage=10_000, hp=100.0)


def test_the_expert_new_price_comes_from_the_youngest_training_cars_only():
    # Golf: two cars at age 0 (20,000 and 22,000) and one at age 1 (16,000 → implied 20,000): median 20,000;
    # the 5-year-old car at a bargain price is not among the youngest and does not move the reference.
    train = cars(
        [
            ("VW", "Golf", 2021, 20_000),
            ("VW", "Golf", 2021, 22_000),
            ("VW", "Golf", 2020, 16_000),
            ("VW", "Golf", 2016, 1_000),
            ("VW", "Polo", 2021, 15_000),
        ]
    )
    rule = ExpertRule(rates=tuple(RATES), youngest_span=1, min_cars=3, listing_year=2021).fit(train, train[TARGET])
    golf = cars([("VW", "Golf", 2019, 0)])
    assert rule.new_price(golf)[0] == pytest.approx(20_000)
    assert rule.predict(golf)[0] == pytest.approx(20_000 * 0.8 * 0.85)
    # Polo has one young car (< min_cars): the make's reference; an unknown make: every car's median
    polo, other = cars([("VW", "Polo", 2021, 0)]), cars([("Lada", "Niva", 2021, 0)])
    assert rule.new_price(polo)[0] == rule.make_reference_["VW"]
    assert rule.new_price(other)[0] == rule.overall_reference_


def test_metrics_are_on_prices_and_mape_is_a_share():
    scores = regression_metrics(np.array([100.0, 200.0]), np.array([110.0, 180.0]))
    assert scores["mae"] == pytest.approx(15) and scores["mape"] == pytest.approx(0.1)
    assert scores["r2"] == pytest.approx(1 - (100 + 400) / (2 * 50**2))


def test_tuning_keeps_the_lowest_validation_score(small_split):
    train, validation, _ = small_split
    candidates = {f"alpha={alpha}": make_linear(alpha, 5, 2021) for alpha in (0.1, 1e6)}
    xy = lambda frame: (frame[list(FEATURES)], frame[TARGET].to_numpy())  # noqa: E731
    name, fitted, history = tune_on_validation(candidates, xy(train), xy(validation))
    assert name == "alpha=0.1"  # a huge penalty flattens the model to the mean
    assert [row["candidate"] for row in history] == list(candidates)
    assert history[0]["mape"] < history[1]["mape"]
    assert regression_metrics(validation[TARGET], fitted.predict(validation[list(FEATURES)]))["mape"] == pytest.approx(
        history[0]["mape"]
    )


def test_the_interval_quantiles_hold_their_coverage():
    rng = np.random.default_rng(0)
    predicted = rng.uniform(5_000, 30_000, 5_000)
    actual = predicted * np.exp(rng.normal(0, 0.15, 5_000))
    low, high = residual_quantiles(actual, predicted, 0.9)
    inside = (actual >= predicted * np.exp(low)) & (actual <= predicted * np.exp(high))
    assert inside.mean() == pytest.approx(0.9, abs=0.002)
    assert low == pytest.approx(-1.645 * 0.15, abs=0.02)


def test_a_grid_is_every_combination_and_refuses_a_non_list():
    assert grid({"max_depth": [4, 6], "learning_rate": [0.1]}) == [
        {"max_depth": 4, "learning_rate": 0.1},
        {"max_depth": 6, "learning_rate": 0.1},
    ]
    with pytest.raises(ParamError, match="max_depth"):
        grid({"max_depth": 4})
