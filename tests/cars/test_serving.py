"""Pricing one listing with a registered model: the answer, its interval, warnings, and refusals naming the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipelines.cars.serving import EXAMPLE, CarInputError, CarListing, CarPricer
from pipelines.common.errors import DataError


@pytest.fixture(scope="module")
def pricer(registered_dir):
    return CarPricer(registered_dir)


def test_the_example_gets_a_price_inside_its_interval(pricer):
    answer = pricer.estimate(EXAMPLE)
    assert answer["lower"] < answer["price"] < answer["upper"]
    assert answer["price"] % 10 == 0 and answer["currency"] == "EUR"
    assert answer["age_years"] == 4 and answer["warnings"] == []
    assert answer["model_version"] == pricer.card["version"] and answer["interval_coverage"] == 0.9


def test_a_listing_unknown_to_training_is_priced_with_warnings(pricer):
    answer = pricer.estimate(EXAMPLE | {"make": "Nomake", "fuel": "Steam", "mileage": 999_999})
    assert answer["price"] > 0
    text = " ".join(answer["warnings"])
    assert "make: 'Nomake'" in text and "fuel: 'Steam'" in text and "mileage: 999999 is outside" in text
    other = pricer.estimate(EXAMPLE | {"model": "Nomodel"})
    assert other["warnings"] == ["model: 'Nomodel' was not among the training Volkswagen models"]


def test_a_year_after_the_listings_is_refused_naming_the_field(pricer):
    with pytest.raises(CarInputError, match="^year: 2024 is after 2021"):
        pricer.estimate(EXAMPLE | {"year": 2024})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mileage": -1}, "mileage"),
        ({"gear": "Manuel"}, "gear"),
        ({"hp": 5}, "hp"),
        ({"colour": "red"}, "colour"),
        ({"mileage": True}, "mileage"),  # no silent true → 1 km
        ({"year": "2017"}, "year"),  # no text read as a number
    ],
)
def test_a_bad_field_is_refused_by_the_schema_naming_it(change, field):
    with pytest.raises(ValidationError) as caught:
        CarListing.model_validate(EXAMPLE | change)
    assert [error["loc"][0] for error in caught.value.errors()] == [field]


def test_missing_files_are_named(tmp_path):
    with pytest.raises(DataError, match="model.joblib, model_card.json missing"):
        CarPricer(tmp_path)
