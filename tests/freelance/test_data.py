"""Parsing the scraped fields, refusing what cannot be parsed with the column and the row named, and the
shipped file's expectations."""

from __future__ import annotations

import math
import re

import pytest

from pipelines.common.errors import DataError
from pipelines.common.provenance import file_sha256
from pipelines.freelance.data import FieldError, parse_gigs, parse_level, parse_price, parse_rating, read_gigs
from tests.freelance.conftest import GIGS_FILE, raw_gigs, write_gigs


@pytest.mark.parametrize(
    ("text", "expected"),
    [("PKR 8,701", 8701.0), ("PKR\xa08,701", 8701.0), ("PKR 2,175,105", 2175105.0), ("PKR 950", 950.0)],
)
def test_prices_parse_with_thousands_separators_and_no_break_spaces(text, expected):
    assert parse_price(text) == expected


@pytest.mark.parametrize("text", ["", "8,701", "USD 50", "PKR 8.701,5", "PKR 87,01", "PKR -5", None])
def test_what_is_not_a_price_is_refused(text):
    with pytest.raises(FieldError):
        parse_price(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5.0(56)", (5.0, 56)), ("4.8(2)", (4.8, 2)), ("5.0(1k+)", (5.0, 1000)), ("4.9(2.5k+)", (4.9, 2500))],
)
def test_ratings_give_the_average_and_the_number_of_reviews_k_meaning_thousand(text, expected):
    assert parse_rating(text) == expected


@pytest.mark.parametrize("text", [None, "", "  ", float("nan")])
def test_an_empty_rating_is_an_unrated_gig(text):
    rating, reviews = parse_rating(text)
    assert math.isnan(rating) and reviews == 0


@pytest.mark.parametrize("text", ["5.0", "(56)", "6.0(3)", "five(3)", "5.0(0)", "5.0(1m+)"])
def test_what_is_not_a_rating_is_refused(text):
    with pytest.raises(FieldError):
        parse_rating(text)


def test_levels_empty_and_artefacts_read_as_none_anything_else_refused():
    assert parse_level("Level 2 Seller") == "level_2" and parse_level("Top Rated Seller") == "top_rated"
    assert parse_level(None) == parse_level("") == parse_level("Clients", ("Clients",)) == "none"
    with pytest.raises(FieldError, match="not a seller level"):
        parse_level("Clients")


@pytest.mark.parametrize(
    ("bad_row", "column"),
    [
        (("I will do excel", "5.0(56)", "Level 1 Seller", "PKR 8;701"), "Price"),
        (("I will do excel", "five stars", "Level 1 Seller", "PKR 8,701"), "gigrating"),
        (("I will do excel", "5.0(56)", "Pro Seller", "PKR 8,701"), "seller_level"),
        (("", "5.0(56)", "Level 1 Seller", "PKR 8,701"), "Title"),
    ],
)
def test_the_error_names_the_column_and_the_row(tmp_path, bad_row, column):
    good = ("I will scrape websites", "4.9(12)", None, "PKR 1,088")
    path = write_gigs(tmp_path / "gigs.csv", [good, good, bad_row])
    with pytest.raises(DataError, match=re.escape(f"column `{column}`, row 3")):
        read_gigs(path)


def test_a_missing_column_is_named():
    with pytest.raises(DataError, match="Price"):
        parse_gigs(raw_gigs([("t", "5.0(1)", None, "PKR 1")]).drop(columns="Price"))


def test_parsed_rows_are_in_thousands_of_pkr():
    frame = parse_gigs(raw_gigs([("I will do it", "5.0(1k+)", "Top Rated Seller", "PKR 3,263")]))
    assert frame.loc[0, ["price", "rating", "reviews", "level"]].tolist() == [3.263, 5.0, 1000, "top_rated"]


def test_the_shipped_file_is_the_documented_one_and_parses_whole():
    readme = (GIGS_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert file_sha256(GIGS_FILE) in readme
    gigs = read_gigs(GIGS_FILE, ("Clients",))
    assert len(gigs) == 1000
    assert gigs["price"].min() > 0 and gigs["rating"].dropna().between(0, 5).all()
    assert int(gigs["rating"].isna().sum()) == 511  # the unrated gigs the README counts
    assert set(gigs["level"]) == {"none", "level_1", "level_2", "top_rated"}
    assert (gigs.loc[gigs["rating"].isna(), "reviews"] == 0).all()
