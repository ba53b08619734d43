"""Preprocessing (tf.data), the own CNN, optimizers, transfer-model construction and a one-epoch smoke run."""

import numpy as np
import pytest

from pipelines.common.errors import DataError, ParamError
from pipelines.corn import models
from pipelines.corn.data import Split, class_subset, class_weights, make_dataset
from pipelines.corn.training import FitSettings, make_problem, train_and_score
from stages.corn import train_transfer


def tiny_splits(rng, per_class=6, size=16):
    def split(n):
        labels = np.repeat(np.arange(4), n)
        images = rng.integers(0, 60, size=(len(labels), size, size, 3)).astype(np.uint8)
        images[..., 1] += (labels * 60)[:, None, None].astype(np.uint8)  # the class is in the green channel
        return Split(images, labels, np.asarray([f"img_{i}.jpg" for i in range(len(labels))]))

    return {"train": split(per_class), "validation": split(2), "test": split(2)}


def test_class_subset_renumbers_labels(rng):
    split = tiny_splits(rng)["train"]
    three = class_subset(split, ["Chao", "Ervas", "Milho"])
    assert len(three) == 18 and sorted(set(three.labels.tolist())) == [0, 1, 2]
    swapped = class_subset(split, ["Milho", "Chao"])
    assert np.array_equal(swapped.images[swapped.labels == 0], split.images[split.labels == 2])
    with pytest.raises(DataError, match="unknown classes"):
        class_subset(split, ["Soja"])


def test_dataset_batches_resizes_and_one_hot_encodes(rng):
    split = tiny_splits(rng)["train"]
    batches = list(make_dataset(split, 4, 10, training=False, seed=0, size=24))
    images, labels = batches[0]
    assert images.shape == (10, 24, 24, 3) and str(images.dtype) == "<dtype: 'float32'>"
    assert labels.shape == (10, 4) and np.allclose(labels.numpy().sum(axis=1), 1)
    assert sum(len(b[0]) for b in batches) == len(split)
    unshuffled = np.concatenate([b[1].numpy().argmax(axis=1) for b in batches])
    assert np.array_equal(unshuffled, split.labels)  # evaluation keeps the stored order


def test_class_weights_only_when_unbalanced():
    assert class_weights(np.array([0, 0, 1, 1, 2, 2]), 3, 1.2) is None
    weights = class_weights(np.array([0, 0, 0, 0, 1, 2]), 3, 1.2)
    assert weights[1] == weights[2] > weights[0]
    with pytest.raises(DataError, match="no training image"):
        class_weights(np.array([0, 1]), 3, 1.2)


@pytest.mark.parametrize("name", models.OPTIMIZERS)
def test_every_optimizer_is_built(name):
    optimizer = models.make_optimizer(name, 0.01)
    assert optimizer.learning_rate.numpy() == pytest.approx(0.01)


def test_unknown_optimizer_is_a_param_error():
    with pytest.raises(ParamError, match="optimizer"):
        models.make_optimizer("lion", 0.01)


@pytest.mark.parametrize("batchnorm,dropout", [(True, 0.3), (False, 0.0)])
def test_cnn_layers_follow_the_regularisation_settings(batchnorm, dropout):
    model = models.build_cnn(
        16, 4, models.CnnConfig(filters=(4, 8), dense_units=8, dropout=dropout, batchnorm=batchnorm)
    )
    kinds = [type(layer).__name__ for layer in model.layers]
    assert ("BatchNormalization" in kinds) == batchnorm
    assert ("Dropout" in kinds) == (dropout > 0)
    assert model.output_shape == (None, 4)


def test_one_epoch_training_smoke_run(rng, tmp_path):
    problem = make_problem(tiny_splits(rng), ["Chao", "Ervas", "Milho", "Milho_ervas"])
    model = models.build_cnn(16, 4, models.CnnConfig(filters=(4, 8), dense_units=8))
    augment = models.make_augmentation(True, 0.1, 0.1, 0.1, seed=0)
    settings = FitSettings(batch_size=8, epochs=1, patience=1, class_weight_max_ratio=1.2, seed=0)
    outcome = train_and_score(model, models.make_optimizer("adam", 0.01), problem, settings, augment)
    assert outcome.epochs_run == 1 and set(outcome.history) >= {"loss", "val_loss", "accuracy", "val_accuracy"}
    assert outcome.probabilities.shape == (8, 4)
    assert np.allclose(outcome.probabilities.sum(axis=1), 1, atol=1e-5)
    assert 0 <= outcome.test_accuracy <= 1 and outcome.test_loss > 0


def test_keras_application_is_asked_for_imagenet_weights(monkeypatch):
    """The online path: keras.applications.<Backbone>(weights="imagenet"), checked without downloading."""
    import keras

    calls = []

    def fake_backbone(**kwargs):
        calls.append(kwargs)
        inputs = keras.Input(kwargs["input_shape"])
        return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs))

    monkeypatch.setattr(keras.applications, "MobileNetV2", fake_backbone)
    model, _ = models.build_transfer_model("MobileNetV2", "imagenet", 32, 96, 4, 0.2)
    assert calls == [{"include_top": False, "weights": "imagenet", "input_shape": (96, 96, 3), "pooling": "avg"}]
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 4)
    assert train_transfer.is_pretrained("MobileNetV2", "imagenet") is True


def test_random_initialisation_is_never_called_pretrained():
    assert train_transfer.is_pretrained("MobileNetV2", None) is False
    assert train_transfer.is_pretrained(models.PORTED_BACKBONE, None) is False
    with pytest.raises(ParamError):
        train_transfer.is_pretrained("MobileNetV2", "my_weights.h5")


def test_ported_backbone_needs_a_passed_proof(monkeypatch, tmp_path):
    monkeypatch.setattr(train_transfer, "PROOF", tmp_path / "missing.json")
    with pytest.raises(DataError, match="proof"):
        train_transfer.is_pretrained(models.PORTED_BACKBONE, "imagenet")
    (tmp_path / "proof.json").write_text('{"passed": true}')
    monkeypatch.setattr(train_transfer, "PROOF", tmp_path / "proof.json")
    assert train_transfer.is_pretrained(models.PORTED_BACKBONE, "imagenet") is True


def test_unfreeze_top_keeps_batch_norm_frozen():
    from pipelines.corn.efficientnet_lite import build_efficientnet_lite0

    backbone = build_efficientnet_lite0((32, 32, 3), include_top=False)
    count = models.unfreeze_top(backbone, 0.2)
    trainable = [layer for layer in backbone.layers if layer.trainable and layer.weights]
    assert count == len(trainable) > 0
    assert not any(type(layer).__name__ == "BatchNormalization" for layer in trainable)
    assert not backbone.layers[1].trainable  # the stem stays frozen


def test_transfer_stage_uses_keras_imagenet_weights_when_params_say_so(monkeypatch, tmp_path, rng):
    """The whole corn_train_transfer main() on the online path, with keras.applications faked (no download)."""
    import json

    import keras
    import yaml

    from pipelines.common.params import parse_section
    from pipelines.common.paths import PARAMS_FILE
    from pipelines.corn.data import save_split
    from pipelines.corn.settings import CornParams

    calls = []

    def fake_mobilenet(**kwargs):
        calls.append(kwargs)
        inputs = keras.Input(kwargs["input_shape"])
        x = keras.layers.Conv2D(4, 3, strides=2, name="conv")(inputs)
        return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x), name="fake_mobilenet")

    monkeypatch.setattr(keras.applications, "MobileNetV2", fake_mobilenet)
    files = {}
    for split, data in tiny_splits(rng).items():
        files[split] = tmp_path / f"{split}.npz"
        save_split(files[split], data)
    corn = yaml.safe_load(PARAMS_FILE.read_text())["corn"]
    small = {
        "seed": 0,
        "threads": 2,
        "train": corn["train"]
        | {
            "seeds": 2,
            "batch_size": 8,
            "epochs": 1,
            "patience": 1,
            "momentum": 0.9,
            "class_weight_max_ratio": 1.2,
            "augmentation": {"flip": True, "rotation": 0.0, "zoom": 0.0, "contrast": 0.0},
            "three_classes": ["Chao", "Ervas", "Milho"],
        },
        "transfer": {
            "backbone": "MobileNetV2",
            "weights": "imagenet",
            "input_size": 32,
            "classes": [3],
            "dropout": 0.2,
            "frozen": {"epochs": 1, "learning_rate": 0.01},
            "finetune": {"epochs": 1, "learning_rate": 0.001, "fraction": 0.5, "optimizer": "adam"},
        },
    }
    monkeypatch.setattr(train_transfer, "corn_params", lambda: parse_section(CornParams, corn | small, "corn"))
    monkeypatch.setattr(train_transfer, "SPLIT_FILES", files)
    monkeypatch.setattr(train_transfer, "TRANSFER_MODELS", tmp_path / "models")
    monkeypatch.setattr(train_transfer, "TRANSFER_RESULTS", tmp_path / "results.json")
    monkeypatch.setattr(train_transfer, "TRANSFER_PREDICTIONS", tmp_path / "predictions.npz")
    logged = []
    monkeypatch.setattr(train_transfer, "write_run_log", lambda stage, facts: logged.append(stage))
    train_transfer.main()
    assert [call["weights"] for call in calls] == ["imagenet", "imagenet"]  # one backbone per seed
    assert logged == ["corn_train_transfer"]
    results = json.loads((tmp_path / "results.json").read_text())["experiments"]
    assert set(results) == {"mobilenetv2_3c_frozen", "mobilenetv2_3c_finetuned"}
    assert all(entry["pretrained"] is True and entry["n_classes"] == 3 for entry in results.values())
    assert all(entry["seeds"] == [0, 1] and entry["test"]["seeds"] == 2 for entry in results.values())
    assert (tmp_path / "models" / "mobilenetv2_3c_finetuned.keras").exists()
