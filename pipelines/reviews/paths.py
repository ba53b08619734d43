"""Every file the reviews stages exchange, in one place (dvc.yaml lists the same paths)."""

from pathlib import Path

from pipelines.common.paths import pipeline_dirs

DIRS = pipeline_dirs("reviews")
INTERIM_SOURCE = DIRS["interim"] / "source.json"
TOKENS_DIR = DIRS["processed"] / "tokens"
EMBEDDINGS_DIR = DIRS["processed"] / "embeddings"
PREDICTIONS_DIR = DIRS["processed"] / "predictions"
EMBEDDINGS_SUMMARY = DIRS["models"] / "embeddings.json"
BASELINE_PREDICTIONS = PREDICTIONS_DIR / "baselines.csv.gz"
BASELINE_SUMMARY = DIRS["models"] / "baselines.json"
BASELINE_MODEL = DIRS["models"] / "baseline_best.joblib"
LSTM_PREDICTIONS = PREDICTIONS_DIR / "lstm.csv.gz"
LSTM_SUMMARY = DIRS["models"] / "lstm.json"
LSTM_MODEL = DIRS["models"] / "lstm_best.keras"
LSTM_VOCABULARY = DIRS["models"] / "lstm_best_vocabulary.json"
PREPROCESSING_SUMMARY = DIRS["reports"] / "preprocessing.json"


def interim_split(dataset: str, split: str) -> Path:
    return DIRS["interim"] / dataset / f"{split}.csv.gz"


def processed_split(dataset: str, split: str) -> Path:
    return TOKENS_DIR / dataset / f"{split}.csv.gz"


def embeddings_file(dataset: str) -> Path:
    return EMBEDDINGS_DIR / f"{dataset}.npz"


PREPROCESSING_REPORT = DIRS["reports"] / "preprocessing.html"
PREPROCESSING_FIGURES = DIRS["reports"] / "preprocessing"
REPORTS = DIRS["reports"]
METRICS = REPORTS / "metrics.json"
COMPARISON = REPORTS / "comparison.csv"
CURVES = REPORTS / "lstm_curves"  # one CSV per variant: `dvc plots` draws each file as a series
CONFUSION = REPORTS / "confusion_best.csv"
SENTIMENT_MODEL = DIRS["models"] / "sentiment_model"
MODEL_CARD = DIRS["models"] / "model_card.json"
EVALUATION_REPORT = REPORTS / "evaluation.html"
EVALUATION_FIGURES = REPORTS / "evaluation"
ERROR_ANALYSIS_REPORT = DIRS["reports"] / "error_analysis.html"
ERROR_ANALYSIS_FIGURES = DIRS["reports"] / "error_analysis"
ERROR_ANALYSIS_SUMMARY = DIRS["reports"] / "error_analysis.json"
ERROR_ANALYSIS_MISCLASSIFIED = DIRS["reports"] / "misclassified.csv"
