"""Behavioural tests of a small estimator fitted on the shipped gigs: a longer, more specific description
neither crashes nor dominates, and the served bands are ordered like the served prices."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.freelance.estimator import EstimateInputError
from pipelines.freelance.split import BANDS

SHORT = "I will do web scraping with python"
LONG = (
    "I will do web scraping with python: scrapy and selenium spiders for dynamic javascript pages, login and "
    "pagination handled, proxies and captcha, clean csv excel or json delivery, scheduled runs, documented code, "
    "and a short video walk-through of the scraper so you can run it yourself on any website you choose"
)


def test_a_long_specific_description_gives_a_finite_price_within_the_training_range(estimator, gigs):
    answer = estimator.estimate(LONG * 5, 4.9, 120, "level_2")
    assert estimator.price_floor <= answer["price"] <= gigs["price"].max()
    assert answer["price_interval"][0] <= answer["price"] <= answer["price_interval"][1]
    assert sum(answer["band_probabilities"].values()) == pytest.approx(1, abs=1e-3)


def test_repeating_the_description_does_not_change_the_price_much(estimator):
    once = estimator.estimate(LONG, 4.9, 120, "level_2")["price"]
    many = estimator.estimate(" ".join([LONG] * 10), 4.9, 120, "level_2")["price"]
    assert many == pytest.approx(once, rel=0.25)  # TF-IDF is length-normalised: volume alone is no signal


def test_with_a_long_description_the_seller_still_matters(estimator):
    unknown = estimator.estimate(LONG, None, 0, "none")["price"]
    trusted = estimator.estimate(LONG, 5.0, 1000, "top_rated")["price"]
    assert trusted != pytest.approx(unknown, rel=0.02)


def test_served_bands_are_ordered_like_the_served_prices(estimator, gigs):
    sample = gigs.sample(300, random_state=0)
    answers = estimator.estimate_many(
        [
            {"text": t, "rating": None if np.isnan(r) else r, "reviews": int(n), "level": lv}
            for t, r, n, lv in zip(sample["title"], sample["rating"], sample["reviews"], sample["level"])
        ]
    )
    prices = np.array([a["price"] for a in answers])
    bands = np.array([BANDS.index(a["band"]) for a in answers])
    means = [prices[bands == band].mean() for band in range(3) if (bands == band).any()]
    assert len(means) >= 2 and all(a < b for a, b in zip(means, means[1:]))
    of_price = np.array([BANDS.index(a["band_of_price"]) for a in answers])
    assert np.all(np.diff(of_price[np.argsort(prices)]) >= 0)  # the band of the price is monotone in it


@pytest.mark.parametrize(
    ("gig", "field"),
    [
        ({"text": "  ", "rating": 5.0, "reviews": 3, "level": "none"}, "text"),
        ({"text": "I will", "rating": 6.0, "reviews": 3, "level": "none"}, "rating"),
        ({"text": "I will", "rating": 5.0, "reviews": -1, "level": "none"}, "reviews"),
        ({"text": "I will", "rating": 5.0, "reviews": 3, "level": "Level 9"}, "level"),
    ],
)
def test_bad_input_names_the_field(estimator, gig, field):
    with pytest.raises(EstimateInputError, match=f"^{field}:"):
        estimator.estimate_many([gig])


def test_the_page_s_level_text_is_accepted(estimator):
    assert estimator.estimate(SHORT, 5.0, 10, "Level 2 Seller") == estimator.estimate(SHORT, 5.0, 10, "level_2")
