"""Every file the credit stages exchange, in one place (dvc.yaml lists the same paths)."""

from pipelines.common.paths import pipeline_dirs

DIRS = pipeline_dirs("credit")

# credit_data
TRAIN = DIRS["interim"] / "train.csv.gz"
TEST = DIRS["interim"] / "test.csv.gz"
CURRENT = DIRS["interim"] / "current.csv.gz"
DATA_SUMMARY = DIRS["interim"] / "data_summary.json"
# credit_train
CANDIDATES = DIRS["models"] / "candidates"
OOF_PREDICTIONS = DIRS["processed"] / "oof_predictions.csv.gz"
TRAIN_SUMMARY = DIRS["models"] / "train_summary.json"
# credit_evaluate
METRICS = DIRS["reports"] / "metrics.json"
EVALUATION_REPORT = DIRS["reports"] / "evaluation.html"
EVALUATION_FIGURES = DIRS["reports"] / "evaluation"
COST_CURVE = DIRS["reports"] / "cost_curve.csv"
ROC_CURVE = DIRS["reports"] / "roc_test.csv"
TEST_PREDICTIONS = DIRS["processed"] / "test_predictions.csv.gz"
# credit_register (the registry: models/credit/model.joblib is the artifact in dvc.yaml)
MODEL = DIRS["models"] / "model.joblib"
MODEL_CARD = DIRS["models"] / "model_card.json"
BACKGROUND = DIRS["models"] / "shap_background.csv.gz"
MISSING_GRID = DIRS["models"] / "missing_value_grid.json"  # pipelines/credit/withholding.py
# credit_explain
EXPLANATIONS_REPORT = DIRS["reports"] / "explanations.html"
EXPLANATIONS_FIGURES = DIRS["reports"] / "explanations"
IMPORTANCE = DIRS["reports"] / "shap_importance.csv"
EXPLANATIONS_SUMMARY = DIRS["reports"] / "explanations.json"
# credit_drift
DRIFT_HTML = DIRS["reports"] / "drift.html"
DRIFT_SUMMARY_HTML = DIRS["reports"] / "drift_summary.html"
DRIFT_FIGURES = DIRS["reports"] / "drift"
DRIFT_COLUMNS = DIRS["reports"] / "drift_columns.csv"
DRIFT_METRICS = DIRS["reports"] / "drift.json"
# credit_monitor (over recorded traffic; in production `--out-dir` puts the same files elsewhere)
RECORDED_TRAFFIC = DIRS["external"] / "recorded_traffic.jsonl.gz"
MONITORING_DIR = DIRS["reports"]
MONITORING_SUMMARY = MONITORING_DIR / "monitoring.json"
