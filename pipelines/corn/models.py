"""Keras models of the corn pipeline: our own small CNN, and transfer models on ImageNet backbones.

Every model takes float RGB images on the 0–255 scale and does its own rescaling, so the saved
`.keras` files, LIME and the evaluation all feed them the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.common.errors import ParamError

OPTIMIZERS = ("adam", "rmsprop", "adagrad", "sgd_momentum")

# keras.applications backbones the online path accepts, with how each expects its input scaled:
# "tf" = [-1, 1], "raw" = 0–255 (the model rescales itself), "torch" = ImageNet mean/std.
KERAS_BACKBONES = {
    "MobileNetV2": "tf",
    "MobileNetV3Small": "raw",
    "MobileNetV3Large": "raw",
    "EfficientNetB0": "raw",
    "EfficientNetV2B0": "raw",
    "DenseNet121": "torch",
}
PORTED_BACKBONE = "EfficientNetLite0_ported"
# Few steps per epoch on small data: a faster moving average than Keras' 0.99 keeps validation-time
# batch-norm statistics close to the training ones (with 0.99, early epochs validate on stale statistics).
BN_MOMENTUM = 0.9


def make_optimizer(name: str, learning_rate: float, momentum: float = 0.9):
    import keras

    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    if name == "adagrad":
        return keras.optimizers.Adagrad(learning_rate)
    if name == "sgd_momentum":
        return keras.optimizers.SGD(learning_rate, momentum=momentum, nesterov=True)
    raise ParamError("optimizer", f"must be one of {', '.join(OPTIMIZERS)}; got {name!r}")


def make_augmentation(flip: bool, rotation: float, zoom: float, contrast: float, seed: int):
    """Random flips (a field seen from above has no up or left), rotation, zoom and contrast."""
    import keras
    from keras import layers

    steps = []
    if flip:
        steps.append(layers.RandomFlip("horizontal_and_vertical", seed=seed))
    if rotation:
        steps.append(layers.RandomRotation(rotation, fill_mode="reflect", seed=seed + 1))
    if zoom:
        steps.append(layers.RandomZoom(zoom, fill_mode="reflect", seed=seed + 2))
    if contrast:
        steps.append(layers.RandomContrast(contrast, seed=seed + 3))
    if not steps:
        return None
    return keras.Sequential(steps, name="augmentation")


@dataclass(frozen=True)
class CnnConfig:
    filters: tuple[int, ...] = (16, 32, 64)
    dense_units: int = 64
    dropout: float = 0.3
    batchnorm: bool = True


def build_cnn(image_size: int, n_classes: int, config: CnnConfig, name: str = "own_cnn"):
    """Conv blocks (conv → [batch norm] → ReLU → max-pool), global pooling, [dropout], dense, softmax."""
    import keras
    from keras import layers

    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = layers.Rescaling(1 / 255.0, name="rescale")(inputs)
    for i, filters in enumerate(config.filters):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=not config.batchnorm, name=f"conv{i + 1}")(x)
        if config.batchnorm:
            x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"bn{i + 1}")(x)
        x = layers.ReLU(name=f"relu{i + 1}")(x)
        x = layers.MaxPooling2D(name=f"pool{i + 1}")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    if config.dropout > 0:
        x = layers.Dropout(config.dropout, name="dropout_features")(x)
    x = layers.Dense(config.dense_units, name="dense")(x)
    if config.batchnorm:
        x = layers.BatchNormalization(momentum=BN_MOMENTUM, name="bn_dense")(x)
    x = layers.ReLU(name="relu_dense")(x)
    if config.dropout > 0:
        x = layers.Dropout(config.dropout, name="dropout_dense")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)


def keras_application_backbone(name: str, weights: str | None, input_size: int):
    """A keras.applications backbone without its top (the online path: weights="imagenet" downloads).

    Returns (backbone, rescaling layers to put in front of it).
    """
    import keras
    from keras import layers

    if name not in KERAS_BACKBONES:
        raise ParamError("corn.transfer.backbone", f"must be {PORTED_BACKBONE} or one of {', '.join(KERAS_BACKBONES)}")
    constructor = getattr(keras.applications, name)
    backbone = constructor(include_top=False, weights=weights, input_shape=(input_size, input_size, 3), pooling="avg")
    scaling = KERAS_BACKBONES[name]
    if scaling == "tf":
        prep = [layers.Rescaling(1 / 127.5, offset=-1.0, name="to_minus1_1")]
    elif scaling == "torch":
        prep = [
            layers.Rescaling(1 / 255.0, name="to_0_1"),
            layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229**2, 0.224**2, 0.225**2], name="imagenet"),
        ]
    else:
        prep = []
    return backbone, prep


def ported_lite0_backbone(weights_path: Path | None, input_size: int):
    """EfficientNet-Lite0 with the ImageNet weights ported by corn_convert_backbone (offline path)."""
    from keras import layers

    from pipelines.corn.efficientnet_lite import build_efficientnet_lite0

    backbone = build_efficientnet_lite0((input_size, input_size, 3), include_top=False, name="efficientnet_lite0")
    if weights_path is not None:
        backbone.load_weights(weights_path)
    return backbone, [layers.Rescaling(1 / 128.0, offset=-127.0 / 128.0, name="lite0_scale")]


def build_transfer_model(
    backbone_name: str,
    weights: str | None,
    image_size: int,
    input_size: int,
    n_classes: int,
    dropout: float,
    ported_weights: Path | None = None,
):
    """images (image_size, 0–255) → resize → backbone's scaling → backbone → dropout → softmax head.

    Returns (model, backbone). `weights` None means random initialisation: never report that as pretrained.
    """
    import keras
    from keras import layers

    if backbone_name == PORTED_BACKBONE:
        backbone, prep = ported_lite0_backbone(ported_weights if weights == "imagenet" else None, input_size)
    else:
        backbone, prep = keras_application_backbone(backbone_name, weights, input_size)
    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = inputs
    if input_size != image_size:
        x = layers.Resizing(input_size, input_size, interpolation="bilinear", name="upsample")(x)
    for layer in prep:
        x = layer(x)
    x = backbone(x, training=False)  # batch-norm statistics stay ImageNet's, even when fine-tuning
    x = layers.Dropout(dropout, name="head_dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=f"transfer_{backbone_name.lower()}"), backbone


def unfreeze_top(backbone, fraction: float) -> int:
    """Make the last `fraction` of the backbone's layers trainable (batch norm stays frozen); return how many."""
    layers_ = backbone.layers
    start = int(len(layers_) * (1 - fraction))
    count = 0
    backbone.trainable = True
    for index, layer in enumerate(layers_):
        trainable = index >= start and type(layer).__name__ != "BatchNormalization"
        layer.trainable = trainable
        count += int(trainable and bool(layer.weights))
    return count
