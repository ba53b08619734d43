"""The loader reads Kaggle's layout as delivered: accents in either normal form, any case, mixed files."""

import unicodedata

import numpy as np
import pytest

from pipelines.common.errors import DataError
from pipelines.corn.layout import CLASSES, dataset_root, folder_key, load_images, scan_layout, subsample


def test_folder_keys_ignore_accents_normal_form_and_case():
    nfc, nfd = unicodedata.normalize("NFC", "Validação"), unicodedata.normalize("NFD", "Validação")
    assert nfc != nfd
    assert folder_key(nfc) == folder_key(nfd) == folder_key("VALIDACAO") == "validacao"
    assert folder_key("Milho-Ervas") == folder_key("milho_ervas")
    assert folder_key("Chão") == "chao"


def test_scan_finds_every_split_class_and_image(kaggle_tree):
    scan = scan_layout(kaggle_tree)
    assert scan.root.name == "ImagensTCCRotuladas"
    assert set(scan.split_folders) == {"train", "validation", "test"}
    counts = scan.counts()
    assert counts["train"] == {"Chao": 5, "Ervas": 2, "Milho": 2, "Milho_ervas": 2}  # the broken JPEG is a file
    assert counts["validation"] == {label: 1 for label in CLASSES}
    assert scan.ignored_files == 1  # notes.txt
    extensions = {record.path.suffix for record in scan.records}
    assert {".jpg", ".JPG", ".jpeg", ".png"} <= extensions


def test_english_split_names_are_accepted(tmp_path):
    for split in ("Train", "Validation", "Test"):
        (tmp_path / split / "Milho").mkdir(parents=True)
        (tmp_path / split / "Milho" / "a.txt").write_text("x")
    (tmp_path / "Train" / "Milho" / "b.png").write_bytes(b"not really")
    scan = scan_layout(tmp_path)
    assert scan.split_folders == {"test": "Test", "train": "Train", "validation": "Validation"}


def test_unreadable_files_are_skipped_and_counted(kaggle_tree):
    scan = scan_layout(kaggle_tree)
    train = [r for r in scan.records if r.split == "train"]
    loaded = load_images(train, 16, scan.root)
    assert loaded.images.shape == (10, 16, 16, 3) and loaded.images.dtype == np.uint8
    assert loaded.unreadable == ["TREINO/Chao/broken.jpg"]
    assert sorted(set(loaded.labels.tolist())) == [0, 1, 2, 3]
    # colours survive decoding: ground is brown, weeds green
    ground = loaded.images[loaded.labels == 0].mean(axis=(0, 1, 2))
    assert ground[0] > ground[1] > ground[2]


def test_images_are_centre_cropped_to_a_square(tmp_path):
    from PIL import Image

    image = np.zeros((20, 60, 3), dtype=np.uint8)
    image[:, 20:40] = 255  # the white centre square of a wide image
    Image.fromarray(image).save(tmp_path / "wide.png")
    from pipelines.corn.layout import load_image

    square = load_image(tmp_path / "wide.png", 10)
    assert square.shape == (10, 10, 3) and square.min() > 200


def test_missing_or_empty_layouts_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        scan_layout(tmp_path / "nowhere")
    (tmp_path / "random_folder").mkdir()
    with pytest.raises(DataError, match="no split folder"):
        scan_layout(tmp_path)
    (tmp_path / "Treino" / "Chao").mkdir(parents=True)
    with pytest.raises(DataError, match="no image"):
        scan_layout(tmp_path)


def test_dataset_root_accepts_the_folder_itself(kaggle_tree):
    inner = kaggle_tree / "ImagensTCCRotuladas"
    assert dataset_root(inner) == inner == dataset_root(kaggle_tree)


def test_subsample_caps_each_class_reproducibly(kaggle_tree):
    records = scan_layout(kaggle_tree).records
    train = [r for r in records if r.split == "train"]
    first = subsample(train, 2, np.random.default_rng(1))
    again = subsample(train, 2, np.random.default_rng(1))
    assert [r.path for r in first] == [r.path for r in again]
    assert {label: sum(r.label == label for r in first) for label in CLASSES} == {label: 2 for label in CLASSES}
    assert subsample(train, None, np.random.default_rng(1)) == train
