"""Every file the corn stages exchange, in one place (dvc.yaml lists the same paths)."""

from pipelines.common.paths import pipeline_dirs

DIRS = pipeline_dirs("corn")
SYNTHETIC_DIR = DIRS["raw"] / "synthetic"
SYNTHETIC_MANIFEST = SYNTHETIC_DIR / "generation.json"
PROCESSED = DIRS["processed"]
SPLIT_FILES = {split: PROCESSED / f"{split}.npz" for split in ("train", "validation", "test")}
DATASET_SUMMARY = PROCESSED / "dataset.json"
PREDICTIONS_DIR = PROCESSED / "predictions"
MODELS = DIRS["models"]
REPORTS = DIRS["reports"]
BACKBONE_WEIGHTS = MODELS / "efficientnet_lite0_imagenet.weights.h5"
CLASS_NAMES = DIRS["external"] / "imagenet_class_names.json"
PROOF = REPORTS / "backbone_proof.json"
PROOF_FIGURE = REPORTS / "backbone" / "imagenet_top5.png"
PREPARE_REPORT = REPORTS / "prepare.html"
PREPARE_FIGURES = REPORTS / "prepare"
CNN_MODELS = MODELS / "cnn"
CNN_RESULTS = MODELS / "cnn_results.json"
CNN_PREDICTIONS = PREDICTIONS_DIR / "cnn.npz"
TRANSFER_MODELS = MODELS / "transfer"
TRANSFER_RESULTS = MODELS / "transfer_results.json"
TRANSFER_PREDICTIONS = PREDICTIONS_DIR / "transfer.npz"
METRICS = REPORTS / "metrics.json"
COMPARISON = REPORTS / "comparison.csv"
CURVES = REPORTS / "training_curves"  # one CSV per experiment: one line each in `dvc plots`
CONFUSION = REPORTS / "confusion_test.csv"  # actual/predicted class per test image (DVC's confusion template)
BEST_MODEL = MODELS / "best_model.keras"
MODEL_CARD = MODELS / "model_card.json"
EVALUATION_REPORT = REPORTS / "evaluation.html"
EVALUATION_FIGURES = REPORTS / "evaluation"
