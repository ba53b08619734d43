"""What the cars report measures: test scores with bootstrap intervals, errors by price range, age and make,
the depreciation curve the model learnt, partial dependence; and the sentences drawn from those numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipelines.cars.models import ages, depreciation_factor, regression_metrics
from pipelines.cars.schema import FEATURES, TARGET


def bootstrap_intervals(
    y: np.ndarray, predicted: np.ndarray, n_boot: int, seed: int, names: tuple[str, ...] = ("mape", "r2")
) -> dict[str, float]:
    """95 % percentile intervals of the test metrics `names` over `n_boot` resamples of the test rows."""
    rng = np.random.default_rng(seed)
    y, predicted = np.asarray(y, dtype=float), np.asarray(predicted, dtype=float)
    draws: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(n_boot):
        rows = rng.integers(0, len(y), len(y))
        scores = regression_metrics(y[rows], predicted[rows])
        for name in names:
            draws[name].append(scores[name])
    out = {}
    for name in names:
        low, high = np.quantile(draws[name], [0.025, 0.975])
        out |= {f"{name}_ci_low": float(low), f"{name}_ci_high": float(high)}
    return out


def price_bands(prices: pd.Series, edges: list[float]) -> pd.Series:
    """The asking-price band of each listing: [a, b) EUR, the last band open-ended."""
    edges = sorted(float(edge) for edge in edges)
    labels = [f"{low:,.0f}–{high:,.0f} EUR" for low, high in zip(edges, edges[1:], strict=False)]
    labels.append(f"{edges[-1]:,.0f}+ EUR")
    return pd.cut(prices, [*edges, np.inf], right=False, labels=labels)


def age_bands(age: np.ndarray, edges: list[int]) -> pd.Series:
    """[a, b) year bins of the car's age; the last bin also holds every older car."""
    edges = sorted(int(edge) for edge in edges)
    labels = []
    for index, (low, high) in enumerate(zip(edges, edges[1:], strict=False)):
        if index == len(edges) - 2:
            labels.append(f"{low}+ years")
        elif high - low == 1:
            labels.append(f"{low} year{'' if low == 1 else 's'}")
        else:
            labels.append(f"{low}–{high - 1} years")
    return pd.Series(pd.cut(np.asarray(age, dtype=float), [*edges[:-1], np.inf], right=False, labels=labels))


def make_groups(makes: pd.Series, training_makes: pd.Series, top: int) -> pd.Series:
    """The make, for the `top` makes most frequent in training; "other" for the rest."""
    kept = training_makes.value_counts().head(top).index
    return makes.where(makes.isin(kept), "other")


def errors_by_group(actual: np.ndarray, predictions: dict[str, np.ndarray], groups: pd.Series) -> pd.DataFrame:
    """Per group: listings, median price, and each model's MAE (EUR) and MAPE (%)."""
    frame = pd.DataFrame({"group": np.asarray(groups), "actual": np.asarray(actual, dtype=float)})
    rows = []
    for group, part in frame.groupby("group", sort=False, observed=True):
        row: dict[str, Any] = {"group": group, "listings": len(part), "median_price": float(part["actual"].median())}
        for model, predicted in predictions.items():
            values = np.asarray(predicted, dtype=float)[part.index]
            row[f"{model}_mae"] = float(np.abs(values - part["actual"]).mean())
            row[f"{model}_mape"] = float(100 * (np.abs(values - part["actual"]) / part["actual"]).mean())
        rows.append(row)
    table = pd.DataFrame(rows).set_index("group")
    if isinstance(groups.dtype, pd.CategoricalDtype):
        order = [label for label in groups.cat.categories if label in table.index]
        return table.loc[order]
    return table.sort_values("listings", ascending=False)


def partial_dependence(model: Any, frame: pd.DataFrame, feature: str, values: np.ndarray) -> np.ndarray:
    """The geometric-mean predicted price over `frame` with `feature` set to each of `values` in turn."""
    rows = frame[list(FEATURES)]
    curve = []
    for value in values:
        changed = rows.copy()
        changed[feature] = value
        curve.append(float(np.exp(np.log(model.predict(changed)).mean())))
    return np.array(curve)


def depreciation_curves(
    model: Any,
    sample: pd.DataFrame,
    train: pd.DataFrame,
    listing_year: int,
    rates: list[float],
    tail_rate: float,
) -> pd.DataFrame:
    """Share of the age-0 price kept at each age: the expert rule; the model with mileage held at each
    sampled car's own value (age alone); the model with every car's mileage set to the training median at
    that age (the typical car: it ages and is driven)."""
    train_age = ages(train["year"], listing_year)
    age_grid = np.arange(0, int(train_age.max()) + 1)
    years = listing_year - age_grid
    age_alone = partial_dependence(model, sample, "year", years)
    typical_mileage = pd.Series(train["mileage"].to_numpy(), index=train_age).groupby(level=0).median()
    typical = []
    for age, year in zip(age_grid, years, strict=True):
        changed = sample[list(FEATURES)].copy()
        changed["year"] = year
        changed["mileage"] = float(typical_mileage.get(age, typical_mileage.iloc[-1]))
        typical.append(float(np.exp(np.log(model.predict(changed)).mean())))
    typical = np.array(typical)
    return pd.DataFrame(
        {
            "age": age_grid,
            "expert_rule": depreciation_factor(age_grid, rates, tail_rate),
            "model_age_only": age_alone / age_alone[0],
            "model_typical_mileage": typical / typical[0],
            "typical_mileage_km": [float(typical_mileage.get(age, np.nan)) for age in age_grid],
        }
    )


def feature_grid(train: pd.DataFrame, feature: str, points: int) -> np.ndarray:
    """`points` values between the 1st and 99th training percentiles (every year for `year`)."""
    if feature == "year":
        return np.arange(int(train["year"].min()), int(train["year"].max()) + 1)
    low, high = np.quantile(train[feature], [0.01, 0.99])
    return np.linspace(low, high, points)


# --- sentences computed from the numbers -----------------------------------------------------------------


def target_verdict(name: str, value: float, target: float, lower_is_better: bool) -> str:
    """One sentence: the test value against the issue's target, met or missed, said by the numbers."""
    met = value <= target if lower_is_better else value >= target
    shown = (lambda v: f"{100 * v:.2f} %") if name == "mape" else (lambda v: f"{v:.3f}")
    side = "at most" if lower_is_better else "at least"
    label = {"mape": "MAPE", "r2": "R²"}.get(name, name)
    return f"{label}: {shown(value)} on the test split, target {side} " + (
        f"{shown(target)}: met." if met else f"{shown(target)}: **not met**."
    )


def comparison_text(scores: dict[str, dict[str, float]], best: str, baseline: str) -> str:
    """How the chosen model compares with the expert rule on the test MAPE, in words from the numbers."""
    chosen, rule = scores[best]["mape"], scores[baseline]["mape"]
    if chosen < rule:
        verdict = f"{100 * (1 - chosen / rule):.0f} % lower than"
    elif chosen > rule:
        verdict = f"{100 * (chosen / rule - 1):.0f} % higher than"
    else:
        verdict = "equal to"
    return (
        f"The chosen model ({best}) has a test MAPE of {100 * chosen:.2f} %, {verdict} the expert rule's "
        f"{100 * rule:.2f} % (R² {scores[best]['r2']:.3f} against {scores[baseline]['r2']:.3f})."
    )


def depreciation_text(curves: pd.DataFrame, age: int) -> str:
    """What the learnt curve keeps after `age` years against the rule, and which one is steeper."""
    row = curves.set_index("age").loc[age]
    learnt, rule = row["model_typical_mileage"], row["expert_rule"]
    if learnt < rule:
        steeper = "the data lose value faster than the rule says"
    elif learnt > rule:
        steeper = "the data lose value more slowly than the rule says"
    else:
        steeper = "the data and the rule agree"
    below = curves[(curves["age"] > 0) & (curves["model_typical_mileage"] < curves["expert_rule"])]["age"]
    if below.empty:
        crossing = "At no age does the learnt curve fall below the rule."
    else:
        crossing = f"The learnt curve is below the rule from age {int(below.iloc[0])} on ({len(below)} of the ages)."
    return (
        f"After {age} years a typical car (driven the training median for its age, "
        f"{row['typical_mileage_km']:,.0f} km) keeps {100 * learnt:.0f} % of its price at age 0 according to the "
        f"model, against {100 * rule:.0f} % by the expert rule: {steeper}. Age alone (mileage held at each "
        f"car's own value) keeps {100 * row['model_age_only']:.0f} %: the rest of the fall comes with the kilometres. "
        + crossing
    )


def worst_group_text(table: pd.DataFrame, model: str, what: str) -> str:
    """The group where `model`'s MAPE is highest and lowest."""
    column = table[f"{model}_mape"]
    worst, best = column.idxmax(), column.idxmin()
    return (
        f"By {what}: {model}'s MAPE ranges from {column[best]:.1f} % ({best}, {table.loc[best, 'listings']:,} "
        f"listings) to {column[worst]:.1f} % ({worst}, {table.loc[worst, 'listings']:,} listings)."
    )


def error_tail_text(actual: np.ndarray, predicted: np.ndarray, model: str, far: float = 0.25) -> str:
    """How much of the MAPE comes from the few listings priced far off (absolute percentage error > `far`)."""
    relative = np.abs(np.asarray(predicted, dtype=float) - actual) / np.asarray(actual, dtype=float)
    tail = relative > far
    share_of_error = relative[tail].sum() / relative.sum() if relative.sum() else 0.0
    without = relative[~tail].mean() if (~tail).any() else float("nan")
    return (
        f"{model}'s median absolute percentage error is {100 * np.median(relative):.1f} %: half the test listings "
        f"are priced closer than that. The {100 * tail.mean():.1f} % of listings priced more than "
        f"{100 * far:.0f} % off carry {100 * share_of_error:.0f} % of the total percentage error; without them the "
        f"MAPE would be {100 * without:.1f} %."
    )


def interval_text(coverage: float, observed: float) -> str:
    gap = observed - coverage
    verdict = "as calibrated" if abs(gap) <= 0.02 else ("too wide" if gap > 0 else "too narrow")
    return (
        f"The served price interval (quantiles of the validation log residuals, nominal {100 * coverage:.0f} %) "
        f"held {100 * observed:.1f} % of the test prices: {verdict} (within 2 points counts as calibrated)."
    )


def test_scores(
    y: np.ndarray, predictions: dict[str, np.ndarray], n_boot: int, seed: int
) -> dict[str, dict[str, float]]:
    """The `test` block of the metrics contract: one entry per model, numbers only."""
    return {
        name: regression_metrics(y, predicted) | bootstrap_intervals(y, predicted, n_boot, seed)
        for name, predicted in predictions.items()
    }


def actual_prices(frame: pd.DataFrame) -> np.ndarray:
    return frame[TARGET].to_numpy(dtype=float)
