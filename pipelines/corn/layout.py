"""The folder layout of Kaggle's "labeledcorndataset", read exactly as Kaggle delivers it.

`ImagensTCCRotuladas/{Treino|Train, Validação|Validation, Teste|Test}/{Chao, Ervas, Milho, Milho_ervas}/*.jpg`

Folder names are matched after Unicode decomposition, accent stripping and case folding, so
`Validação` in NFC (macOS zip → Linux) or NFD (macOS file systems), `VALIDATION` and `validacao`
are the same split. Files are images when their extension (any case) is an image extension;
a file that does not decode is skipped and counted, never fatal.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from pipelines.common.errors import DataError

DATASET_FOLDER = "ImagensTCCRotuladas"
SPLITS = ("train", "validation", "test")
SPLIT_ALIASES = {
    "train": {"treino", "train", "training"},
    "validation": {"validacao", "validation", "val", "valid"},
    "test": {"teste", "test"},
}
# Canonical class names (Kaggle's folder names) in label order; what they show in English.
CLASSES = ("Chao", "Ervas", "Milho", "Milho_ervas")
CLASS_LABELS = {"Chao": "ground", "Ervas": "weeds", "Milho": "corn", "Milho_ervas": "corn + weeds"}
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def folder_key(name: str) -> str:
    """`Validação` (NFC or NFD), `VALIDACAO`, `validação ` → `validacao`; `Milho-ervas` → `milho_ervas`."""
    decomposed = unicodedata.normalize("NFD", name.strip())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.casefold().replace("-", "_").replace(" ", "_")


_SPLIT_BY_KEY = {alias: split for split, aliases in SPLIT_ALIASES.items() for alias in aliases}
_CLASS_BY_KEY = {folder_key(name): name for name in CLASSES}


@dataclass
class ImageRecord:
    path: Path
    split: str
    label: str


@dataclass
class Scan:
    """Every image file found, by split and class, plus what was ignored."""

    root: Path
    records: list[ImageRecord]
    split_folders: dict[str, str]
    ignored_files: int = 0
    unknown_folders: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        counter = Counter((record.split, record.label) for record in self.records)
        return {split: {label: counter[(split, label)] for label in CLASSES} for split in self.split_folders}


def dataset_root(root: str | Path) -> Path:
    """The folder holding the split folders: `root` itself or its `ImagensTCCRotuladas` child."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist (download the Kaggle data set there, or generate it)")
    for child in root.iterdir():
        if child.is_dir() and folder_key(child.name) == folder_key(DATASET_FOLDER):
            return child
    return root


def scan_layout(root: str | Path) -> Scan:
    """Walk the split and class folders; raise DataError when no split or no class folder is recognised."""
    base = dataset_root(root)
    split_folders: dict[str, str] = {}
    records: list[ImageRecord] = []
    ignored, unknown = 0, []
    for split_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        split = _SPLIT_BY_KEY.get(folder_key(split_dir.name))
        if split is None:
            unknown.append(split_dir.name)
            continue
        if split in split_folders:
            raise DataError(f"two {split} folders in {base}: {split_folders[split]!r} and {split_dir.name!r}")
        split_folders[split] = split_dir.name
        for class_dir in sorted(p for p in split_dir.iterdir() if p.is_dir()):
            label = _CLASS_BY_KEY.get(folder_key(class_dir.name))
            if label is None:
                unknown.append(f"{split_dir.name}/{class_dir.name}")
                continue
            for path in sorted(p for p in class_dir.rglob("*") if p.is_file()):
                if path.suffix.casefold() in IMAGE_EXTENSIONS:
                    records.append(ImageRecord(path, split, label))
                else:
                    ignored += 1
    if not split_folders:
        raise DataError(
            f"no split folder in {base}: expected Treino/Train, Validação/Validation, Teste/Test "
            f"(found {sorted(p.name for p in base.iterdir())[:10]})"
        )
    if not records:
        raise DataError(f"no image in the class folders {', '.join(CLASSES)} under {base}")
    return Scan(base, records, split_folders, ignored, unknown)


def load_image(path: str | Path, size: int) -> np.ndarray:
    """Decode, apply EXIF orientation, centre-crop to a square and resize: uint8 (size, size, 3).

    Raises OSError / ValueError (PIL's errors) for a file that is not a decodable image.
    """
    with Image.open(path) as image:
        image.draft("RGB", (size * 2, size * 2))  # JPEG: decode at reduced scale, much faster for photos
        image = ImageOps.exif_transpose(image).convert("RGB")
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        image = image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.uint8)


@dataclass
class LoadedImages:
    images: np.ndarray
    labels: np.ndarray
    paths: list[str]
    unreadable: list[str]


def load_images(records: list[ImageRecord], size: int, root: Path) -> LoadedImages:
    """Decode `records` in order; unreadable files are skipped and listed (relative to `root`)."""
    images, labels, paths, unreadable = [], [], [], []
    for record in records:
        relative = record.path.relative_to(root).as_posix()
        try:
            images.append(load_image(record.path, size))
        except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError):
            unreadable.append(relative)
            continue
        labels.append(CLASSES.index(record.label))
        paths.append(relative)
    array = np.stack(images) if images else np.zeros((0, size, size, 3), dtype=np.uint8)
    return LoadedImages(array, np.asarray(labels, dtype=np.int64), paths, unreadable)


def subsample(records: list[ImageRecord], max_per_class: int | None, rng: np.random.Generator) -> list[ImageRecord]:
    """At most `max_per_class` records of each class (a seeded random choice), in a stable order."""
    if max_per_class is None:
        return list(records)
    chosen = []
    for label in CLASSES:
        members = [record for record in records if record.label == label]
        if len(members) > max_per_class:
            picks = sorted(rng.choice(len(members), size=max_per_class, replace=False))
            members = [members[i] for i in picks]
        chosen.extend(members)
    return chosen
