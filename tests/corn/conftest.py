"""Fixtures shared by the corn tests: quiet, 2-thread TensorFlow and a tiny Kaggle-layout tree."""

import io
import unicodedata

import numpy as np
import pytest
from PIL import Image

from pipelines.corn.data import configure_tensorflow


@pytest.fixture(scope="session", autouse=True)
def tensorflow_settings():
    configure_tensorflow(threads=2, seed=0)


def image_bytes(colour, fmt="JPEG", size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def kaggle_tree(tmp_path):
    """ImagensTCCRotuladas with Portuguese and English, NFC and NFD, upper- and lower-case folder names,
    mixed extensions, one corrupt JPEG and one text file."""
    base = tmp_path / "download" / "ImagensTCCRotuladas"
    folders = {
        "TREINO": {"Chao": 4, "ervas": 2, "Milho": 2, "Milho_ervas": 2},
        unicodedata.normalize("NFD", "Validação"): {"Chao": 1, "Ervas": 1, "Milho": 1, "Milho_Ervas": 1},
        "test": {"Chao": 1, "Ervas": 1, "Milho": 1, "Milho_ervas": 1},
    }
    colours = {"chao": (120, 90, 60), "ervas": (60, 160, 50), "milho": (40, 120, 30), "milho_ervas": (70, 140, 40)}
    extensions = [(".jpg", "JPEG"), (".JPG", "JPEG"), (".jpeg", "JPEG"), (".png", "PNG")]
    for split, classes in folders.items():
        for label, count in classes.items():
            folder = base / split / label
            folder.mkdir(parents=True)
            for i in range(count):
                ext, fmt = extensions[i % len(extensions)]
                (folder / f"img_{i}{ext}").write_bytes(image_bytes(colours[label.lower()], fmt))
    (base / "TREINO" / "Chao" / "broken.jpg").write_bytes(image_bytes((1, 2, 3))[:60])
    (base / "TREINO" / "Chao" / "notes.txt").write_text("not an image")
    return tmp_path / "download"


@pytest.fixture
def rng():
    return np.random.default_rng(0)
