"""The reference baseline of issue 16, fixed in code so that every run is compared with the same yardstick.

Ridge regression and one XGBoost per step on the `reference` feature set (the last 1, 2 and 7 days' eight
3-hour temperatures, the previous day's eight 3-hour values of each exogenous variable, day of year as
sin/cos). Its settings are never tuned; the reference of a run is whichever of the two scores the lower
validation RMSE.
"""

REFERENCE_FEATURE_SET = "reference"
REFERENCE_SEED = 42
REFERENCE_MODELS: dict[str, tuple[str, dict]] = {
    "reference_ridge": ("ridge", {"alpha": 1.0}),
    "reference_xgboost": (
        "xgboost",
        {"n_estimators": 400, "max_depth": 5, "learning_rate": 0.05, "subsample": 0.8, "colsample_bytree": 0.8},
    ),
}
