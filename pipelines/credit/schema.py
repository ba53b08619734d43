"""The Home Credit `application_{train,test}` layout: every column, its type and what values are possible.

One declaration serves three readers: the loader (missing column or wrong type → a clear error),
the scoring request model (types, impossible values, required fields) and the tests. Bounds are
*impossible* values (a negative amount, a probability-like score above 1, a birth date less than
18 years ago), never merely unusual ones: the full Kaggle file has incomes of 117 M and
`AMT_REQ_CREDIT_BUREAU_QRT` of 261, and they must pass. The loader (pipelines/credit/data.py) and the
API (pipelines/credit/scoring.py) apply the same bounds, levels and cross-field rule, so training never
learns from a value the service would refuse to score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ID = "SK_ID_CURR"
TARGET = "TARGET"
# Kaggle's sentinel for "not employed" (pensioners, unemployed): 1,000 years in the future.
DAYS_EMPLOYED_SENTINEL = 365243
MAX_AGE_DAYS = 43830  # 120 years
MIN_AGE_DAYS = 6570  # 18 years
# XGBoost reads float32: a larger value would be infinite to the model, so no column may exceed it.
LARGEST_SCORABLE = float(np.finfo(np.float32).max)
# Amounts (AMT_*, in the data's currency) above 10^10 are refused: Kaggle's full file tops out at 117 M
# (income), 4.05 M (credit, goods price) and 258 k (annuity), 85 times below the bound, so no real value is
# refused; above it a value is a unit error or an attack, which the trees would read as their largest
# training value (a 1e38 credit was scored as the largest credit ever granted).
MAX_AMOUNT = 1e10


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "category", "integer" or "number"
    description: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    levels: tuple[str, ...] = ()
    required: bool = False

    @property
    def upper(self) -> float:
        """The largest accepted value: the declared maximum, else the largest value the model can read."""
        return self.maximum if self.maximum is not None else LARGEST_SCORABLE


def _flag(name: str, description: str) -> Column:
    return Column(name, "integer", description, 0, 1)


def _days(name: str, description: str, kind: str = "number") -> Column:
    return Column(name, kind, f"{description}, in days relative to the application (≤ 0)", -MAX_AGE_DAYS, 0)


YES_NO = ("N", "Y")
ORGANIZATION_TYPES = (
    *("Advertising", "Agriculture", "Bank"),
    *(f"Business Entity Type {i}" for i in (1, 2, 3)),
    *("Cleaning", "Construction", "Culture", "Electricity", "Emergency", "Government", "Hotel", "Housing"),
    *(f"Industry: type {i}" for i in range(1, 14)),
    *("Insurance", "Kindergarten", "Legal Services", "Medicine", "Military", "Mobile", "Other", "Police"),
    *("Postal", "Realtor", "Religion", "Restaurant", "School", "Security", "Security Ministries"),
    *("Self-employed", "Services", "Telecom"),
    *(f"Trade: type {i}" for i in range(1, 8)),
    *(f"Transport: type {i}" for i in range(1, 5)),
    *("University", "XNA"),
)
OCCUPATION_TYPES = (
    *("Accountants", "Cleaning staff", "Cooking staff", "Core staff", "Drivers", "HR staff"),
    *("High skill tech staff", "IT staff", "Laborers", "Low-skill Laborers", "Managers", "Medicine staff"),
    *("Private service staff", "Realty agents", "Sales staff", "Secretaries", "Security staff"),
    "Waiters/barmen staff",
)
HOUSING_STATISTICS = (
    *("APARTMENTS", "BASEMENTAREA", "YEARS_BEGINEXPLUATATION", "YEARS_BUILD", "COMMONAREA", "ELEVATORS"),
    *("ENTRANCES", "FLOORSMAX", "FLOORSMIN", "LANDAREA", "LIVINGAPARTMENTS", "LIVINGAREA"),
    *("NONLIVINGAPARTMENTS", "NONLIVINGAREA"),
)


def _housing(suffix: str) -> list[Column]:
    statistic = {"AVG": "average", "MODE": "mode", "MEDI": "median"}[suffix]
    return [
        Column(
            f"{name}_{suffix}",
            "number",
            f"Building where the client lives: {name.lower()}, normalised {statistic}",
            0,
            1,
        )
        for name in HOUSING_STATISTICS
    ]


FEATURES: tuple[Column, ...] = (
    Column(
        "NAME_CONTRACT_TYPE",
        "category",
        "Cash or revolving loan",
        levels=("Cash loans", "Revolving loans"),
        required=True,
    ),
    Column(
        "CODE_GENDER",
        "category",
        "Gender of the client (not used by default: protected attribute)",
        levels=("F", "M", "XNA"),
    ),
    Column("FLAG_OWN_CAR", "category", "Owns a car", levels=YES_NO),
    Column("FLAG_OWN_REALTY", "category", "Owns a house or flat", levels=YES_NO),
    Column("CNT_CHILDREN", "integer", "Number of children", 0),
    Column(
        "AMT_INCOME_TOTAL",
        "number",
        "Yearly income of the client",
        0,
        MAX_AMOUNT,
        exclusive_minimum=True,
        required=True,
    ),
    Column("AMT_CREDIT", "number", "Credit amount of the loan", 0, MAX_AMOUNT, exclusive_minimum=True, required=True),
    Column("AMT_ANNUITY", "number", "Loan annuity", 0, MAX_AMOUNT, exclusive_minimum=True),
    Column("AMT_GOODS_PRICE", "number", "Price of the goods the loan is for (consumer loans)", 0, MAX_AMOUNT),
    Column(
        "NAME_TYPE_SUITE",
        "category",
        "Who accompanied the client when applying",
        levels=("Children", "Family", "Group of people", "Other_A", "Other_B", "Spouse, partner", "Unaccompanied"),
    ),
    Column(
        "NAME_INCOME_TYPE",
        "category",
        "Income type",
        levels=(
            *("Businessman", "Commercial associate", "Maternity leave", "Pensioner"),
            *("State servant", "Student", "Unemployed", "Working"),
        ),
    ),
    Column(
        "NAME_EDUCATION_TYPE",
        "category",
        "Highest education",
        levels=(
            *("Academic degree", "Higher education", "Incomplete higher", "Lower secondary"),
            "Secondary / secondary special",
        ),
    ),
    Column(
        "NAME_FAMILY_STATUS",
        "category",
        "Family status",
        levels=("Civil marriage", "Married", "Separated", "Single / not married", "Unknown", "Widow"),
    ),
    Column(
        "NAME_HOUSING_TYPE",
        "category",
        "Housing situation",
        levels=(
            *("Co-op apartment", "House / apartment", "Municipal apartment", "Office apartment"),
            *("Rented apartment", "With parents"),
        ),
    ),
    Column("REGION_POPULATION_RELATIVE", "number", "Normalised population of the client's region", 0, 1),
    Column(
        "DAYS_BIRTH",
        "integer",
        "Client's age in days relative to the application (negative: −12,000 ≈ 33 years)",
        -MAX_AGE_DAYS,
        -MIN_AGE_DAYS,
        required=True,
    ),
    Column(
        "DAYS_EMPLOYED",
        "integer",
        f"Days since the current employment started (≤ 0), or {DAYS_EMPLOYED_SENTINEL} for 'not employed'",
        -MAX_AGE_DAYS,
        DAYS_EMPLOYED_SENTINEL,
    ),
    _days("DAYS_REGISTRATION", "Last change of the client's registration"),
    _days("DAYS_ID_PUBLISH", "Last change of the identity document", kind="integer"),
    Column("OWN_CAR_AGE", "number", "Age of the client's car, years", 0, 150),
    _flag("FLAG_MOBIL", "Gave a mobile phone (1/0)"),
    _flag("FLAG_EMP_PHONE", "Gave a work phone (1/0)"),
    _flag("FLAG_WORK_PHONE", "Gave a home phone (1/0)"),
    _flag("FLAG_CONT_MOBILE", "Mobile phone reachable (1/0)"),
    _flag("FLAG_PHONE", "Gave a phone (1/0)"),
    _flag("FLAG_EMAIL", "Gave an e-mail address (1/0)"),
    Column("OCCUPATION_TYPE", "category", "Occupation", levels=OCCUPATION_TYPES),
    Column("CNT_FAM_MEMBERS", "number", "Number of family members", 1),
    Column("REGION_RATING_CLIENT", "integer", "Home Credit's rating of the client's region (1–3)", 1, 3),
    Column("REGION_RATING_CLIENT_W_CITY", "integer", "Rating of the region, city taken into account (1–3)", 1, 3),
    Column(
        "WEEKDAY_APPR_PROCESS_START",
        "category",
        "Weekday of the application",
        levels=("FRIDAY", "MONDAY", "SATURDAY", "SUNDAY", "THURSDAY", "TUESDAY", "WEDNESDAY"),
    ),
    Column("HOUR_APPR_PROCESS_START", "integer", "Hour of the application (0–23)", 0, 23),
    _flag("REG_REGION_NOT_LIVE_REGION", "Permanent address region ≠ contact address region (1/0)"),
    _flag("REG_REGION_NOT_WORK_REGION", "Permanent address region ≠ work address region (1/0)"),
    _flag("LIVE_REGION_NOT_WORK_REGION", "Contact address region ≠ work address region (1/0)"),
    _flag("REG_CITY_NOT_LIVE_CITY", "Permanent address city ≠ contact address city (1/0)"),
    _flag("REG_CITY_NOT_WORK_CITY", "Permanent address city ≠ work address city (1/0)"),
    _flag("LIVE_CITY_NOT_WORK_CITY", "Contact address city ≠ work address city (1/0)"),
    Column("ORGANIZATION_TYPE", "category", "Type of the employer", levels=ORGANIZATION_TYPES),
    *(Column(f"EXT_SOURCE_{i}", "number", f"Normalised score from external data source {i}", 0, 1) for i in (1, 2, 3)),
    *_housing("AVG"),
    *_housing("MODE"),
    *_housing("MEDI"),
    Column(
        "FONDKAPREMONT_MODE",
        "category",
        "Building: capital repair fund",
        levels=("not specified", "org spec account", "reg oper account", "reg oper spec account"),
    ),
    Column(
        "HOUSETYPE_MODE", "category", "Building type", levels=("block of flats", "specific housing", "terraced house")
    ),
    Column("TOTALAREA_MODE", "number", "Building: total area, normalised", 0, 1),
    Column(
        "WALLSMATERIAL_MODE",
        "category",
        "Building: wall material",
        levels=("Block", "Mixed", "Monolithic", "Others", "Panel", "Stone, brick", "Wooden"),
    ),
    Column("EMERGENCYSTATE_MODE", "category", "Building: emergency state", levels=("No", "Yes")),
    Column("OBS_30_CNT_SOCIAL_CIRCLE", "number", "Social circle: observations 30 days past due", 0),
    Column("DEF_30_CNT_SOCIAL_CIRCLE", "number", "Social circle: defaults 30 days past due", 0),
    Column("OBS_60_CNT_SOCIAL_CIRCLE", "number", "Social circle: observations 60 days past due", 0),
    Column("DEF_60_CNT_SOCIAL_CIRCLE", "number", "Social circle: defaults 60 days past due", 0),
    _days("DAYS_LAST_PHONE_CHANGE", "Last change of phone"),
    *(_flag(f"FLAG_DOCUMENT_{i}", f"Provided document {i} (1/0)") for i in range(2, 22)),
    *(
        Column(f"AMT_REQ_CREDIT_BUREAU_{period}", "number", f"Credit bureau enquiries in the last {label}", 0)
        for period, label in (
            ("HOUR", "hour"),
            ("DAY", "day (excluding the last hour)"),
            ("WEEK", "week (excluding the last day)"),
            ("MON", "month (excluding the last week)"),
            ("QRT", "3 months (excluding the last month)"),
            ("YEAR", "year (excluding the last 3 months)"),
        )
    ),
)

FEATURE_NAMES: tuple[str, ...] = tuple(column.name for column in FEATURES)
BY_NAME: dict[str, Column] = {column.name: column for column in FEATURES}
CATEGORICAL: tuple[str, ...] = tuple(c.name for c in FEATURES if c.kind == "category")
NUMERIC: tuple[str, ...] = tuple(c.name for c in FEATURES if c.kind != "category")
INTEGER: tuple[str, ...] = tuple(c.name for c in FEATURES if c.kind == "integer")
REQUIRED: tuple[str, ...] = tuple(c.name for c in FEATURES if c.required)


def employment_problem(employed: float | None, birth: float | None) -> str | None:
    """Why DAYS_EMPLOYED cannot go with DAYS_BIRTH (a field missing: nothing to check), or None."""
    if employed is None or np.isnan(employed):
        return None
    if employed > 0 and employed != DAYS_EMPLOYED_SENTINEL:
        return (
            f"DAYS_EMPLOYED: must be ≤ 0 (days before the application) or {DAYS_EMPLOYED_SENTINEL} "
            f"(not employed), got {employed:g}"
        )
    if birth is not None and not np.isnan(birth) and employed <= 0 and employed < birth:
        return f"DAYS_EMPLOYED: employed for {-employed:g} days but born {-birth:g} days ago"
    return None


def expected_columns(labelled: bool) -> list[str]:
    """Kaggle's column order: the id, the target (labelled file only), the 120 application fields."""
    return [ID, *([TARGET] if labelled else []), *FEATURE_NAMES]
