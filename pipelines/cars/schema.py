"""The AutoScout24 Germany listing layout: columns, types, the values a closed field may take."""

from __future__ import annotations

TARGET = "price"  # asking price, EUR
# Raw model inputs, as in the file (the model derives the car's age from `year`).
CATEGORICAL = ("make", "model", "fuel", "gear", "offerType")
NUMERIC = ("year", "mileage", "hp")
FEATURES = CATEGORICAL + NUMERIC
COLUMNS = ("mileage", "make", "model", "fuel", "gear", "offerType", TARGET, "hp", "year")
# Columns that must hold whole numbers when present.
INTEGER = ("mileage", TARGET, "year")
# Closed vocabularies: any other value is refused naming the row (a typo or a changed export).
GEARS = ("Manual", "Automatic", "Semi-automatic")
OFFER_TYPES = ("Used", "Demonstration", "Employee's car", "Pre-registered", "New")
CLOSED = {"gear": GEARS, "offerType": OFFER_TYPES}
