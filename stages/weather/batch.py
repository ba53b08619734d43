"""Stage: the batch job. As of a date, retrain the chosen model on everything known before it,
forecast each day of the batch period day-ahead, and store data, model and predictions in the database.

Run by DVC with params `weather.batch`; in production the same module runs from cron with
`--start YYYY-MM-DD --days N` after the download stage has fetched the recent data.

All or nothing: the database URL is checked (one connection) before any work; the model file and card are
written to temporary files, the observations, model row and predictions are written in ONE transaction,
and the files are renamed into place only after it commits. A failure (or a kill) before the commit leaves
the database and the deployed files as they were.
"""

from __future__ import annotations

import hashlib
import json

import joblib
import pandas as pd
import sqlalchemy as sa

from pipelines.common.errors import DataError, ParamError
from pipelines.common.io import atomic_path, read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.paths import ROOT
from pipelines.common.provenance import file_sha256, library_versions
from pipelines.common.stage import run_stage, stage_parser
from pipelines.weather import database
from pipelines.weather.data import Problem, load_problem, read_series
from pipelines.weather.ensemble import ENSEMBLE_REGRESSOR
from pipelines.weather.forecasting import STEP_HOURS, STEPS_PER_DAY, errors_between, long_forecasts
from pipelines.weather.intervals import add_intervals
from pipelines.weather.paths import (
    BATCH_SUMMARY,
    CLEAN_HOURLY,
    CLEAN_SUMMARY,
    METRICS,
    ML_SUMMARY,
    MODEL_CARD,
    MODEL_FILE,
    SERIES_3H,
    STATS_SUMMARY,
)
from pipelines.weather.regressors import fit_regressor
from pipelines.weather.statistical import StatSpec, fit, regressor_builder, rolling_day_ahead_forecasts

log = get_logger("weather.batch")


def batch_days(problem: Problem, start: str, days: int) -> pd.DatetimeIndex:
    """The days to forecast; each needs the whole previous day observed (day-ahead protocol)."""
    try:
        first = pd.Timestamp(start).normalize()
    except ValueError as error:
        raise ParamError("weather.batch.start", f"not a date: {start!r}") from error
    period = pd.date_range(first, periods=days, freq="D")
    known = problem.target.index
    if first - pd.Timedelta(days=1) not in known:
        raise ParamError(
            "weather.batch.start",
            f"{first.date()}: the day before must be fully observed; data covers "
            f"{known[0].date()} → {known[-1].date()}",
        )
    unforecastable = [day for day in period if day - pd.Timedelta(days=1) not in known]
    if unforecastable:
        raise ParamError(
            "weather.batch.days",
            f"{len(unforecastable)} day(s) from {unforecastable[0].date()} have no "
            f"observed previous day (data ends {known[-1].date()})",
        )
    return period


def forecast_ml(problem: Problem, spec: dict, seed: int, days: pd.DatetimeIndex, catalogue: dict | None = None):
    """Fit the regressor with its validation-tuned settings on every complete day before the batch;
    return model, predictions, explanatory values. An ensemble fits each member and averages them."""
    if spec["regressor"] == ENSEMBLE_REGRESSOR:
        runs = {name: forecast_ml(problem, catalogue[name], seed, days) for name in spec["members"]}
        predicted = sum(run[1] for run in runs.values()) / len(runs)
        explanatory = {day: {name: run[2][day] for name, run in runs.items()} for day in days}
        trained = (min(run[3][0] for run in runs.values()), max(run[3][1] for run in runs.values()))
        return {name: run[0] for name, run in runs.items()}, predicted, explanatory, trained
    model, features, trained = fit_regressor(
        problem, spec["regressor"], spec["feature_set"], spec["settings"], seed, days[0]
    )
    rows = features.reindex(days)
    if rows.isna().any().any():
        raise DataError("features of the batch days are incomplete (missing history)")
    predicted = pd.DataFrame(model.predict(rows.to_numpy()), index=days)
    explanatory = {day: rows.loc[day].round(4).to_dict() for day in days}
    return model, predicted, explanatory, (trained[0], trained[-1] + pd.Timedelta(hours=24 - STEP_HOURS))


def forecast_statistical(problem: Problem, spec: dict, days: pd.DatetimeIndex, window_days: int):
    """Fit the chosen (S)ARIMA(X) order on the window before the batch, then extend it day by day."""
    series = problem.series.asfreq(f"{STEP_HOURS}h")
    target = series[problem.target_name]
    endog = target[target.index < days[0]].iloc[-window_days * STEPS_PER_DAY :]
    regressors = regressor_builder(
        series, spec["fourier_pairs"], spec["exogenous"], spec["exog_mode"], spec.get("daily_fourier_pairs", 0)
    )
    stat_spec = StatSpec(spec["name"], tuple(spec["order"]), tuple(spec["seasonal_order"]), regressors, True, {})
    results = fit(stat_spec, endog)
    predicted = rolling_day_ahead_forecasts(results, stat_spec, target, days)
    explanatory = {}
    for day in days:
        values = regressors(pd.date_range(day, periods=STEPS_PER_DAY, freq=f"{STEP_HOURS}h")).round(4)
        explanatory[day] = {
            "regressors_by_step": values.to_dict("list"),
            "order": spec["order"],
            "seasonal_order": spec["seasonal_order"],
        }
    return results, predicted, explanatory, (endog.index[0], endog.index[-1])


def run_batch(start: str, days: int, database_url: str) -> dict:
    engine = database.checked_engine(database_url, "weather.batch.database_url")  # before anything is written
    try:
        return _run_batch(start, days, engine)
    finally:
        engine.dispose()


def _run_batch(start: str, days: int, engine) -> dict:
    weather = load_params("weather")
    metrics = read_json(METRICS)
    best = metrics["best_model"]
    catalogue = read_json(STATS_SUMMARY)["models"] | read_json(ML_SUMMARY)["models"]
    if best not in catalogue:
        raise DataError(f"best model {best!r} is a baseline or unknown: nothing to deploy")
    spec = catalogue[best] | {"name": best}
    problem = load_problem(weather)
    period = batch_days(problem, start, days)
    log.info("batch %s → %s with %s (%s)", period[0].date(), period[-1].date(), best, spec["family"])
    if spec["family"] == "ml":
        seed = weather.section("ml").integer("seed")
        model, predicted, explanatory, trained = forecast_ml(problem, spec, seed, period, catalogue)
        if spec["regressor"] == ENSEMBLE_REGRESSOR:
            settings = {
                "members": {
                    name: catalogue[name]["settings"] | {"feature_set": catalogue[name]["feature_set"]}
                    for name in spec["members"]
                }
            }
        else:
            settings = spec["settings"] | {"feature_set": spec["feature_set"]}
    else:
        window = weather.section("stats").integer("fit_window_days", minimum=30)
        model, predicted, explanatory, trained = forecast_statistical(problem, spec, period, window)
        keys = ("order", "seasonal_order", "fourier_pairs", "daily_fourier_pairs", "exogenous", "exog_mode")
        settings = {key: spec.get(key) for key in keys}

    data_hash = file_sha256(SERIES_3H)
    version = (
        f"{trained[1]:%Y%m%d}-"
        + hashlib.sha256(json.dumps([best, settings, data_hash], sort_keys=True, default=str).encode()).hexdigest()[:10]
    )
    card = {
        "name": best,
        "version": version,
        "family": spec["family"],
        "parameters": settings,
        "training_period": [str(trained[0]), str(trained[1])],
        "validation_metrics": metrics["validation"][best],
        "test_metrics": metrics["test"][best],
        "intervals": metrics["intervals"]["half_width"],
        "data": metrics["data"],
        "data_sha256": data_hash,
        "library_versions": library_versions(("xgboost", "statsmodels", "pmdarima", "joblib")),
    }
    forecasts = add_intervals(long_forecasts(best, predicted, problem.target, "batch"), card["intervals"])
    forecasts["explanatory"] = [explanatory[day.normalize()] for day in forecasts["target_time"]]
    location = metrics["data"]["location"] or "unknown"
    hourly = read_series(CLEAN_HOURLY)
    database.migrate(engine)  # schema only, idempotent; the batch's rows follow in one transaction
    # Exit order: the transaction commits first, then the card and the model file are renamed into place.
    with atomic_path(MODEL_FILE) as model_tmp, atomic_path(MODEL_CARD) as card_tmp:
        joblib.dump(model, model_tmp)
        card_tmp.write_text(json.dumps(card, indent=2, default=str) + "\n", encoding="utf-8")
        with database.transaction(engine, "weather batch") as connection:
            database.upsert_observations(connection, hourly, location, "1h")
            database.upsert_observations(connection, problem.series, location, "3h")
            model_id = database.register_model(
                connection,
                name=best,
                version=version,
                location=location,
                training_start=trained[0],
                training_end=trained[1],
                parameters=settings,
                metrics=card["test_metrics"],
                artefact_path=str(MODEL_FILE.relative_to(ROOT)),
                library_versions=card["library_versions"],
                data_source=f"{metrics['data']['source']} ({metrics['data']['kind']})",
            )
            stored = database.store_predictions(
                connection, model_id, forecasts.rename(columns={"predicted": "predicted_temperature"})
            )
    errors = errors_between(forecasts["predicted"], forecasts["observed"])
    observed = forecasts.dropna(subset=["observed"])
    inside_80 = (observed["observed"] >= observed["lower_80"]) & (observed["observed"] <= observed["upper_80"])
    summary = {
        "model": best,
        "version": version,
        "model_id": model_id,
        "period": {"start": str(period[0].date()), "end": str(period[-1].date()), "days": len(period)},
        "predictions_stored": stored,
        "observed_available": int(forecasts["observed"].notna().sum()),
        "mae": errors["mae"],
        "rmse": errors["rmse"],
        "coverage_80": round(float(inside_80.mean()), 4) if len(observed) else None,
        "data": read_json(CLEAN_SUMMARY)["source"].get("kind"),
    }
    write_json(BATCH_SUMMARY, summary)
    return summary


def main(argv: list[str] | None = None) -> None:
    params = load_params("weather").section("batch")
    parser = stage_parser("weather.batch", __doc__)
    parser.add_argument("--start", default=params.get("start", type_=str), help="first day to forecast (YYYY-MM-DD)")
    parser.add_argument("--days", type=int, default=params.integer("days", minimum=1), help="number of days")
    try:
        default_url = database.database_url(params.get("database_url", type_=str))
    except sa.exc.ArgumentError as error:
        raise ParamError("weather.batch.database_url", f"not a database URL: {error}") from error
    parser.add_argument("--database-url", default=default_url)
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error(f"--days must be >= 1, got {args.days}")
    summary = run_batch(args.start, args.days, args.database_url)
    log.info("stored %d predictions of %s %s", summary["predictions_stored"], summary["model"], summary["version"])


if __name__ == "__main__":
    run_stage(main, "weather.batch")
