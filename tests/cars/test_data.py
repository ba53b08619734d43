"""Loading, checks that name the bad column and line, the outlier rule, duplicates, a split that cannot leak;
and expectations on the shipped data."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from pipelines.cars.data import (
    apply_outlier_rule,
    check_listings,
    listing_groups,
    read_listings,
    remove_exact_duplicates,
    split_listings,
)
from pipelines.cars.schema import COLUMNS, FEATURES
from pipelines.common.errors import DataError
from pipelines.common.provenance import file_sha256
from tests.cars.conftest import LISTINGS_FILE, RULE

GOOD = {
    "mileage": "60000",
    "make": "Volkswagen",
    "model": "Golf",
    "fuel": "Gasoline",
    "gear": "Manual",
    "offerType": "Used",
    "price": "12900",
    "hp": "110.0",
    "year": "2017",
}


def frame(*changes: dict) -> pd.DataFrame:
    return pd.DataFrame([GOOD | change for change in changes], dtype=object)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mileage": "12,000"}, "column mileage, line 3: cannot read '12,000' as a number"),
        ({"price": "n/a"}, "column price, line 3: cannot read 'n/a' as a number"),
        ({"year": "2017.5"}, "column year, line 3: 2017.5 is not a whole number"),
        ({"gear": "Manuel"}, "column gear, line 3: unknown value 'Manuel'"),
        ({"offerType": "Leased"}, "column offerType, line 3: unknown value 'Leased'"),
    ],
)
def test_an_unparseable_value_is_refused_naming_column_and_line(change, message):
    with pytest.raises(DataError, match="listings.csv: " + message.replace("(", r"\(").replace(".", r"\.")):
        check_listings(frame({}, change), "listings.csv")


def test_a_missing_column_is_named():
    with pytest.raises(DataError, match="missing column\\(s\\) hp"):
        check_listings(frame({}).drop(columns="hp"), "listings.csv")


def test_a_file_with_text_in_a_number_column_fails_naming_it(tmp_path):
    path = tmp_path / "listings.csv.gz"
    rows = [",".join(COLUMNS), "60000,Volkswagen,Golf,Gasoline,Manual,Used,12900,110.0,2017"]
    rows.append("70000,Opel,Corsa,Gasoline,Manual,Used,8900,seventy,2015")
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(rows) + "\n")
    with pytest.raises(DataError, match="column hp, line 3: cannot read 'seventy'"):
        read_listings(path)


def test_empty_fields_stay_missing_and_the_rule_counts_every_drop_once():
    listings = check_listings(
        frame({}, {"hp": ""}, {"price": "100"}, {"hp": "5", "price": "100"}, {"mileage": "1111111"}, {"year": "2023"}),
        "listings.csv",
    )
    assert listings["hp"].isna().tolist() == [False, True, False, False, False, False]
    kept, dropped = apply_outlier_rule(listings, RULE)
    assert len(kept) == 1 and sum(dropped.values()) == 5
    assert dropped["missing field"] == 1
    assert dropped["price outside 500–250,000 EUR"] == 2  # the row with both a low price and 5 hp counts once
    assert dropped["power outside 30–800 hp"] == 0
    assert dropped["mileage above 1,000,000 km"] == 1 and dropped["first registration after 2021"] == 1


def test_exact_duplicates_are_removed_and_counted():
    listings = check_listings(frame({}, {}, {"price": "13000"}), "listings.csv")
    unique, removed = remove_exact_duplicates(listings)
    assert removed == 1 and len(unique) == 2


def test_the_split_keeps_identical_listings_on_one_side(listings):
    kept, _ = apply_outlier_rule(listings, RULE)
    unique, _ = remove_exact_duplicates(kept)
    train, validation, test = split_listings(unique, 0.15, 0.15, seed=3)
    assert len(train) + len(validation) + len(test) == len(unique)
    keys = [set(map(tuple, part[list(FEATURES)].astype(str).to_numpy())) for part in (train, validation, test)]
    assert not keys[0] & keys[1] and not keys[0] & keys[2] and not keys[1] & keys[2]
    assert len(test) / len(unique) == pytest.approx(0.15, abs=0.01)
    # the grouping is real: some cars are listed more than once at different prices
    assert len(set(listing_groups(unique))) < len(unique)


# --- expectations on the shipped data -----------------------------------------------------------------


def test_the_shipped_file_is_the_documented_one(listings):
    assert file_sha256(LISTINGS_FILE) == "20ffd1ea2501fd0b7ae7c3c304bd69f4202fb2100da7dde86a991dffa87daf80"
    assert len(listings) == 40_000 and list(listings.columns) == list(COLUMNS)
    assert listings.duplicated().sum() == 1674  # the README's count: the reason for deduplicating


def test_the_shipped_data_meets_the_expectations(listings):
    assert listings["year"].between(2011, 2021).all()
    assert (listings["price"] > 0).all() and (listings["mileage"] >= 0).all()
    assert listings["hp"].isna().sum() == 26 and listings["model"].isna().sum() == 119
    kept, dropped = apply_outlier_rule(listings, RULE)
    assert sum(dropped.values()) / len(listings) < 0.01  # the rule trims, it does not reshape the data
    assert kept["price"].median() == pytest.approx(listings["price"].median(), rel=0.02)
