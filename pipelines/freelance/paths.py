"""Every file the freelance stages exchange, in one place (dvc.yaml lists the same paths)."""

from pipelines.common.paths import pipeline_dirs

DIRS = pipeline_dirs("freelance")

# freelance_prepare
TRAIN = DIRS["interim"] / "train.csv.gz"
TEST = DIRS["interim"] / "test.csv.gz"
PREPARE_SUMMARY = DIRS["interim"] / "prepare_summary.json"
EXPLORATION_REPORT = DIRS["reports"] / "exploration.html"
EXPLORATION_FIGURES = DIRS["reports"] / "exploration"
# freelance_train
CANDIDATES = DIRS["models"] / "candidates"
TRAIN_SUMMARY = DIRS["models"] / "train_summary.json"
# freelance_train_keras
KERAS_DIR = DIRS["models"] / "keras"
KERAS_SUMMARY = DIRS["models"] / "keras_summary.json"
# freelance_protocols
PROTOCOLS = DIRS["reports"] / "protocols.json"
# freelance_evaluate
METRICS = DIRS["reports"] / "metrics.json"
EVALUATION_REPORT = DIRS["reports"] / "evaluation.html"
EVALUATION_FIGURES = DIRS["reports"] / "evaluation"
TEST_PREDICTIONS = DIRS["processed"] / "test_predictions.csv.gz"
# freelance_register (the registry: models/freelance/model.joblib is the artifact in dvc.yaml)
MODEL = DIRS["models"] / "model.joblib"
MODEL_CARD = DIRS["models"] / "model_card.json"
