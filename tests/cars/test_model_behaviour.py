"""Behaviour of the boosted model (small, fitted on real listings; and the registered one when present):
an older or more driven car is never priced higher, all else equal; unknown makes and models still get a
finite price."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.cars.paths import MODEL
from pipelines.cars.schema import FEATURES


def _sample(split) -> pd.DataFrame:
    return split[2][list(FEATURES)].head(200).reset_index(drop=True)


def _models(small_boosting):
    models = [small_boosting]
    if MODEL.is_file():
        import joblib

        models.append(joblib.load(MODEL))
    return models


@pytest.mark.parametrize("field", ["year", "mileage"])
def test_an_older_or_more_driven_car_is_never_priced_higher(small_boosting, small_split, field):
    cars = _sample(small_split)
    values = np.arange(2011, 2022) if field == "year" else np.linspace(0, 300_000, 13)
    for model in _models(small_boosting):
        prices = np.column_stack([model.predict(cars.assign(**{field: value})) for value in values])
        steps = np.diff(prices, axis=1)
        if field == "year":  # a later first registration (a younger car) never lowers the price
            assert (steps >= -1e-6 * prices[:, 1:]).all()
        else:  # more kilometres never raise it
            assert (steps <= 1e-6 * prices[:, 1:]).all()
        assert (prices[:, 0] != prices[:, -1]).mean() > 0.5  # and the field does matter


def test_the_constraint_is_needed_a_model_without_it_breaks_monotonicity(small_split):
    """The check above can fail: the same small model without monotone constraints violates it somewhere."""
    from pipelines.cars.models import make_boosting
    from tests.cars.conftest import LISTING_YEAR, SMALL_BOOSTING, SMALL_FEATURES

    train = small_split[0]
    free = make_boosting(SMALL_BOOSTING, LISTING_YEAR, seed=0, threads=1, features=SMALL_FEATURES)
    free.regressor.set_params(model__monotone_constraints=None)
    free.fit(train[list(FEATURES)], train["price"])
    cars = _sample(small_split)
    prices = np.column_stack([free.predict(cars.assign(mileage=value)) for value in np.linspace(0, 300_000, 13)])
    assert (np.diff(prices, axis=1) > 1e-6 * prices[:, 1:]).any()


def test_unknown_make_model_and_fuel_still_get_a_finite_price(small_boosting, small_split):
    cars = _sample(small_split).head(5).assign(make="Nomake", model="Nomodel", fuel="Steam")
    prices = small_boosting.predict(cars)
    assert np.isfinite(prices).all() and (prices > 0).all()


def test_more_power_prices_a_car_higher_on_average(small_boosting, small_split):
    cars = _sample(small_split)
    weak, strong = small_boosting.predict(cars.assign(hp=75.0)), small_boosting.predict(cars.assign(hp=250.0))
    assert np.median(strong / weak) > 1.2
