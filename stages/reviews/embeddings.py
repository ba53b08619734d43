"""Stage: training vocabulary of each data set + its pretrained-vector embedding matrix.

Writes data/processed/reviews/embeddings/<dataset>.npz (vocabulary, matrix, found mask) and
models/reviews/embeddings.json (source, coverage). The LSTM stage initialises its embedding layer
from the matrix.
"""

from __future__ import annotations

import time

import numpy as np

from pipelines.common.errors import ParamError
from pipelines.common.io import atomic_path, read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.paths import resolve, shown
from pipelines.common.provenance import file_sha256, library_versions
from pipelines.common.runlog import write_run_log
from pipelines.common.stage import run_stage
from pipelines.reviews.data import read_reviews
from pipelines.reviews.paths import EMBEDDINGS_SUMMARY, INTERIM_SOURCE, embeddings_file, processed_split
from pipelines.reviews.settings import VectorsParams, reviews_params
from pipelines.reviews.word_vectors import SpacyVectors, Word2VecVectors, build_vocabulary, embedding_matrix

log = get_logger("reviews.embeddings")


def vector_source(settings: VectorsParams) -> tuple[SpacyVectors | Word2VecVectors, dict]:
    if settings.source == "spacy":
        model = settings.spacy_model
        vectors = SpacyVectors(model)
        versions = library_versions(("spacy", model.replace("_", "-")))
        return vectors, {"source": "spacy", "model": model, "versions": {k: versions[k] for k in list(versions)[-2:]}}
    path = resolve(settings.word2vec_path)
    if not path.is_file():
        raise ParamError(
            "reviews.vectors.word2vec_path",
            f"file not found: {path} (download the frWac binary, or set reviews.vectors.source: spacy)",
        )
    vectors = Word2VecVectors(path, settings.word2vec_binary)
    return vectors, {"source": "word2vec", "file": shown(path), "sha256": file_sha256(path)}


def coverage(tokens: list[list[str]], vocabulary: list[str], found: np.ndarray) -> dict:
    """How much of the training text the vocabulary and the pretrained vectors cover."""
    in_vocabulary = set(vocabulary[2:])
    with_vector = {word for word, has in zip(vocabulary, found, strict=True) if has}
    occurrences = sum(len(t) for t in tokens)
    return {
        "vocabulary_size": len(vocabulary),
        "words_with_pretrained_vector": int(found.sum()),
        "share_of_vocabulary_with_vector": round(float(found[2:].mean()), 4),
        "share_of_train_tokens_in_vocabulary": round(
            sum(w in in_vocabulary for t in tokens for w in t) / occurrences, 4
        ),
        "share_of_train_tokens_with_vector": round(sum(w in with_vector for t in tokens for w in t) / occurrences, 4),
        "frequent_words_without_vector": [w for w, has in zip(vocabulary[2:], found[2:], strict=True) if not has][:15],
    }


def main() -> None:
    reviews = reviews_params()
    settings = reviews.vectors
    seed = reviews.seed
    min_count = settings.min_count
    max_vocab = settings.max_vocab
    started = time.perf_counter()
    vectors, origin = vector_source(settings)
    summary = {**origin, "description": vectors.description, "datasets": {}}
    for dataset in read_json(INTERIM_SOURCE)["datasets"]:
        tokens = read_reviews(processed_split(dataset, "train"))["tokens"].str.split().tolist()
        vocabulary = build_vocabulary(tokens, min_count, max_vocab)
        matrix, found = embedding_matrix(vocabulary, vectors, seed)
        with atomic_path(embeddings_file(dataset)) as tmp:
            with open(tmp, "wb") as handle:
                np.savez_compressed(handle, vocabulary=np.asarray(vocabulary), matrix=matrix, found=found)
        summary["datasets"][dataset] = {"dimensions": int(matrix.shape[1]), **coverage(tokens, vocabulary, found)}
        log.info(
            "%s: %d words, %.0f %% with a pretrained vector",
            dataset,
            len(vocabulary),
            100 * summary["datasets"][dataset]["share_of_vocabulary_with_vector"],
        )
    write_json(EMBEDDINGS_SUMMARY, summary)
    write_run_log("reviews_embeddings", {"seconds": round(time.perf_counter() - started, 1)})


if __name__ == "__main__":
    run_stage(main, "reviews.embeddings")
