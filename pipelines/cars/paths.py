"""Every file the cars stages exchange, in one place (dvc.yaml lists the same paths)."""

from pipelines.common.paths import pipeline_dirs

DIRS = pipeline_dirs("cars")

# cars_prepare
TRAIN = DIRS["interim"] / "train.csv.gz"
VALIDATION = DIRS["interim"] / "validation.csv.gz"
TEST = DIRS["interim"] / "test.csv.gz"
DATA_SUMMARY = DIRS["interim"] / "data_summary.json"
# cars_train
CANDIDATES = DIRS["models"] / "candidates"
TRAIN_SUMMARY = DIRS["models"] / "train_summary.json"
# cars_evaluate
METRICS = DIRS["reports"] / "metrics.json"
EVALUATION_REPORT = DIRS["reports"] / "evaluation.html"
EVALUATION_FIGURES = DIRS["reports"] / "evaluation"
ERRORS_BY_GROUP = DIRS["reports"] / "errors_by_group.csv"
DEPRECIATION_CURVE = DIRS["reports"] / "depreciation_curve.csv"
TEST_PREDICTIONS = DIRS["processed"] / "test_predictions.csv.gz"
# cars_register (the registry: models/cars/model.joblib is the artifact in dvc.yaml)
MODEL = DIRS["models"] / "model.joblib"
MODEL_CARD = DIRS["models"] / "model_card.json"
