"""Saving Keras models so that the same weights give the same bytes.

A `.keras` file is a zip of config.json, metadata.json and model.weights.h5. Keras writes the save time
into metadata.json (`date_saved`), Python object ids into config.json (`shared_object_id`) and the current
time into every zip entry: two saves of identical weights differ, so DVC would see a changed output and
rerun every stage downstream. `save_model` writes the weights file as Keras does and normalises the rest.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from pipelines.common.io import atomic_path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
SHARED_ID = re.compile(r'"shared_object_id": (\d+)')


def normalise_config(text: str) -> str:
    """Renumber Keras' shared_object_id values 1, 2, … in order of first appearance."""
    numbers: dict[str, int] = {}

    def renumber(match: re.Match) -> str:
        return f'"shared_object_id": {numbers.setdefault(match.group(1), len(numbers) + 1)}'

    return SHARED_ID.sub(renumber, text)


def normalise_archive(source: Path, target: Path) -> None:
    """Copy a .keras archive with the save time removed, object ids renumbered and fixed entry times."""
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name in sorted(archive.namelist()):
            data = archive.read(name)
            if name == "metadata.json":
                metadata = json.loads(data)
                metadata.pop("date_saved", None)
                data = json.dumps(metadata, sort_keys=True).encode()
            elif name == "config.json":
                data = normalise_config(data.decode()).encode()
            out.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME), data, compress_type=zipfile.ZIP_DEFLATED)


def save_model(model, path: Path) -> None:
    """Save a Keras model to `path` (a .keras file) atomically, byte for byte the same for the same model."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.with_name(f".{path.stem}.raw.keras")
    try:
        model.save(raw)
        with atomic_path(path) as tmp:
            normalise_archive(raw, tmp)
    finally:
        raw.unlink(missing_ok=True)
