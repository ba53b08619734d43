"""The synthetic generator: deterministic, in Kaggle's layout, and not solvable by colour alone."""

import json

import numpy as np

from pipelines.corn.layout import CLASSES, load_images, scan_layout
from pipelines.corn.synthetic import render_image, write_dataset
from stages.corn.prepare import find_manifest


def green_share(image):
    pixels = image.reshape(-1, 3).astype(int)
    return float(np.mean((pixels[:, 1] > pixels[:, 0] + 15) & (pixels[:, 1] > pixels[:, 2] + 15)))


def test_images_are_deterministic_for_a_seed():
    a = render_image("Milho", np.random.default_rng([1, 2]), 48)
    b = render_image("Milho", np.random.default_rng([1, 2]), 48)
    c = render_image("Milho", np.random.default_rng([1, 3]), 48)
    assert a.shape == (48, 48, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_plants_appear_only_where_they_should():
    shares = {
        label: np.mean([green_share(render_image(label, np.random.default_rng([7, i]), 64)) for i in range(6)])
        for label in CLASSES
    }
    assert shares["Chao"] < 0.01
    assert min(shares["Ervas"], shares["Milho"], shares["Milho_ervas"]) > 0.02


def test_dataset_is_written_in_the_kaggle_layout_and_read_back(tmp_path):
    manifest = write_dataset(tmp_path, {"train": 2, "validation": 1, "test": 1}, 32, seed=3, corrupt_files=1)
    (tmp_path / "generation.json").write_text(json.dumps(manifest))
    scan = scan_layout(tmp_path)
    assert scan.root.name == "ImagensTCCRotuladas"
    assert scan.split_folders["validation"].startswith("Valida")
    assert scan.counts()["test"] == {label: 1 for label in CLASSES}
    loaded = load_images([r for r in scan.records if r.split == "train"], 16, scan.root)
    assert len(loaded.labels) == 8 and len(loaded.unreadable) == 1
    assert find_manifest(tmp_path)["kind"] == "synthetic"
    assert sum(manifest["extensions"].values()) == 16
