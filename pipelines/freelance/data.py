"""Reading the scraped Fiverr gigs: every field parsed, or refused with the column and the row named.

The source holds text as the page showed it: `PKR 8,701` (a no-break space after `PKR`), `5.0(56)` (an
average rating over 56 reviews), `5.0(1k+)` (over a thousand reviews), empty ratings (unrated gigs) and
empty seller levels (no badge). A value that is none of these is an error, never a silent NaN: a scraper
that changed its layout must stop the pipeline, not shrink the data set.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from pipelines.common.errors import DataError

COLUMNS = {"title": "Title", "rating": "gigrating", "level": "seller_level", "price": "Price"}
LEVELS = {"Level 1 Seller": "level_1", "Level 2 Seller": "level_2", "Top Rated Seller": "top_rated"}
NO_LEVEL = "none"  # no badge on the page (empty field), or a known scraper artefact in its place
LEVEL_ORDER = (NO_LEVEL, "level_1", "level_2", "top_rated")
PRICE_UNIT = 1000.0  # prices are modelled in thousands of PKR, the client's unit

_PRICE = re.compile(r"^\s*PKR\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*$")
_RATING = re.compile(r"^\s*(\d(?:\.\d+)?)\s*\(\s*(\d+(?:\.\d+)?)\s*(k\+?)?\s*\)\s*$", re.IGNORECASE)


class FieldError(ValueError):
    """One value that cannot be parsed; the reader adds the column and the row."""


def parse_price(text: object) -> float:
    """`PKR 8,701` → 8701.0 (rupees). Refuses an empty field, another currency or a malformed number."""
    if not isinstance(text, str) or not text.strip():
        raise FieldError("empty price")
    match = _PRICE.match(text.replace("\xa0", " "))
    if match is None:
        raise FieldError(f"{text!r} is not a price like 'PKR 8,701'")
    value = float(match.group(1).replace(",", "") + (match.group(2) or ""))
    if value <= 0:
        raise FieldError(f"{text!r}: a price must be positive")
    return value


def parse_rating(text: object) -> tuple[float, int]:
    """`5.0(56)` → (5.0, 56); `5.0(1k+)` → (5.0, 1000); empty (unrated) → (nan, 0)."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or (isinstance(text, str) and not text.strip()):
        return math.nan, 0
    if not isinstance(text, str):
        raise FieldError(f"{text!r} is not a rating like '5.0(56)'")
    match = _RATING.match(text)
    if match is None:
        raise FieldError(f"{text!r} is not a rating like '5.0(56)' or '5.0(1k+)'")
    rating, count, thousand = float(match.group(1)), float(match.group(2)), match.group(3)
    if not 0 <= rating <= 5:
        raise FieldError(f"{text!r}: the rating must be between 0 and 5")
    reviews = count * 1000 if thousand else count
    if reviews != int(reviews) or reviews < 1:
        raise FieldError(f"{text!r}: the number of reviews must be a whole number ≥ 1")
    return rating, int(reviews)


def parse_level(text: object, artefacts: tuple[str, ...] = ()) -> str:
    """`Level 2 Seller` → `level_2`; empty or a known scraper artefact (`artefacts`) → `none`."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return NO_LEVEL
    if not isinstance(text, str):
        raise FieldError(f"{text!r} is not a seller level")
    value = text.strip()
    if not value or value in artefacts:
        return NO_LEVEL
    if value not in LEVELS:
        raise FieldError(f"{text!r} is not a seller level (expected one of {', '.join(LEVELS)}, or empty)")
    return LEVELS[value]


def parse_gigs(raw: pd.DataFrame, artefacts: tuple[str, ...] = (), source: str = "gigs") -> pd.DataFrame:
    """The raw columns parsed: row (1-based data row of the file), title, rating, reviews, level, price (thousands
    of PKR). DataError naming the column and the row of the first value that cannot be parsed."""
    missing = [name for name in COLUMNS.values() if name not in raw.columns]
    if missing:
        raise DataError(f"{source}: column(s) {missing} missing; found {list(raw.columns)}")
    if raw.empty:
        raise DataError(f"{source}: no rows")
    rows = []
    for number, record in enumerate(raw[list(COLUMNS.values())].itertuples(index=False), start=1):
        title, rating_text, level_text, price_text = record
        column = COLUMNS["title"]
        try:
            if not isinstance(title, str) or not title.strip():
                raise FieldError("empty title")
            column = COLUMNS["rating"]
            rating, reviews = parse_rating(rating_text)
            column = COLUMNS["level"]
            level = parse_level(level_text, artefacts)
            column = COLUMNS["price"]
            price = parse_price(price_text) / PRICE_UNIT
        except FieldError as error:
            raise DataError(f"{source}: column `{column}`, row {number}: {error}") from None
        rows.append((number, title.strip(), rating, reviews, level, price))
    return pd.DataFrame(rows, columns=["row", "title", "rating", "reviews", "level", "price"])


def read_gigs(path: str | Path, artefacts: tuple[str, ...] = ()) -> pd.DataFrame:
    """The gigs file (CSV, gzip or not) parsed by `parse_gigs`."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataError(f"{path.name}: cannot read it as CSV: {error}") from None
    return parse_gigs(raw, artefacts, path.name)


def level_counts(raw_levels: pd.Series, artefacts: tuple[str, ...]) -> dict[str, int]:
    """How many rows had no level and how many a scraper artefact in its place (reported, not hidden)."""
    values = raw_levels.fillna("").astype(str).str.strip()
    return {"empty": int((values == "").sum()), "artefact": int(values.isin(artefacts).sum())}
