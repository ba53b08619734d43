"""Reliability: the rating weighted by the number of reviews, its prior learnt on the fitting rows only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.freelance.features import ReliabilityFeatures, bayesian_rating


def test_the_bayesian_average_shrinks_few_reviews_toward_the_mean():
    reliability = bayesian_rating(np.array([5.0, 5.0, np.nan]), np.array([1, 1000, 0]), 4.0, 10)
    assert reliability[0] == pytest.approx((5 + 40) / 11)  # one review barely moves it
    assert reliability[1] == pytest.approx((5000 + 40) / 1010)  # a thousand reviews almost keep it
    assert reliability[2] == 4.0  # unrated: the prior mean


def test_the_prior_mean_comes_from_the_rows_fitted_on():
    train = pd.DataFrame({"rating": [4.0, 5.0, np.nan], "reviews": [10, 10, 0]})
    other = pd.DataFrame({"rating": [1.0, np.nan], "reviews": [10, 0]})
    features = ReliabilityFeatures(10).fit(train)
    assert features.prior_mean_ == 4.5
    reliability, log_reviews, rated = features.transform(other).T
    assert reliability.tolist() == [pytest.approx(2.75), 4.5]
    assert rated.tolist() == [1.0, 0.0] and log_reviews[1] == 0.0
