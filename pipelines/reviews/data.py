"""Reading review data sets: the Hugging Face `allocine` layouts and plain CSV, validated the same way.

A data set is a folder with one train, one validation and one test split. Recognised files, looked for
anywhere under the folder:
- parquet shards, as the Hugging Face hub stores them: `train-00000-of-00001.parquet`,
  `data/train-*.parquet`, `allocine/train-*.parquet`, `train/0000.parquet`;
- a `datasets.save_to_disk` folder: `train/data-00000-of-00001.arrow` (read with pyarrow alone);
- CSV: `train.csv`, `train.csv.gz`.
The `datasets` library is never imported: pyarrow and pandas read all of these, so the loader works
the same with or without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.common.errors import DataError
from pipelines.common.io import write_csv
from pipelines.common.paths import shown
from pipelines.common.provenance import file_sha256

SPLITS = ("train", "validation", "test")
SPLIT_ALIASES = {"train": ("train",), "validation": ("validation", "valid", "val", "dev"), "test": ("test",)}
TEXT, LABEL = "review", "polarity"
LABELS = (0, 1)
LABEL_NAMES = {0: "negative", 1: "positive"}
# When a folder holds the same split in several formats, the first one found in this order is read.
FORMATS = ("parquet", "arrow", "csv")


def _format(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".arrow"):
        return "arrow"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    return None


def _split_of(path: Path, folder: Path) -> str | None:
    """The split a file belongs to, from its name (`train-0000…`, `train.csv`) or a parent folder (`train/`)."""
    relative = path.relative_to(folder)
    stem = relative.name.split(".")[0].split("-")[0].lower()
    parents = [part.lower() for part in relative.parts[:-1]]
    for split, aliases in SPLIT_ALIASES.items():
        if stem in aliases or any(part in aliases for part in parents):
            return split
    return None


def find_split_files(folder: Path) -> dict[str, tuple[str, list[Path]]]:
    """For each split, the format read and its files (shards in name order)."""
    if not folder.is_dir():
        raise DataError(f"review data folder not found: {folder}")
    found: dict[str, dict[str, list[Path]]] = {}
    for path in sorted(folder.rglob("*")):
        file_format = _format(path) if path.is_file() else None
        split = _split_of(path, folder) if file_format else None
        if split:
            found.setdefault(split, {}).setdefault(file_format, []).append(path)
    missing = [split for split in SPLITS if split not in found]
    if missing:
        raise DataError(
            f"{folder}: no file for split(s) {', '.join(missing)}; expected e.g. train.csv.gz, "
            "train-00000-of-00001.parquet or data/train-*.parquet (validation may be named valid or dev)"
        )
    return {split: next((fmt, found[split][fmt]) for fmt in FORMATS if fmt in found[split]) for split in SPLITS}


def _read_file(path: Path, file_format: str) -> pd.DataFrame:
    try:
        if file_format == "parquet":
            return pd.read_parquet(path)
        if file_format == "arrow":
            import pyarrow as pa

            with pa.memory_map(str(path)) as source:
                try:
                    table = pa.ipc.open_stream(source).read_all()
                except pa.ArrowInvalid:
                    table = pa.ipc.open_file(source).read_all()
            return table.to_pandas()
        return pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise DataError(f"cannot read {path}: {error}") from error


def validate(frame: pd.DataFrame, where: str) -> tuple[pd.DataFrame, int]:
    """Keep `review` and `polarity`; fail on a missing column or a label outside {0, 1}.

    Returns the frame and the number of empty reviews dropped.
    """
    missing = [column for column in (TEXT, LABEL) if column not in frame.columns]
    if missing:
        raise DataError(f"{where}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}")
    labels = pd.to_numeric(frame[LABEL], errors="coerce")
    bad = frame.loc[~labels.isin(LABELS), LABEL]
    if len(bad):
        examples = ", ".join(repr(value) for value in bad.drop_duplicates().head(5))
        raise DataError(f"{where}: {len(bad)} row(s) with a polarity outside {{0, 1}} (e.g. {examples})")
    text = frame[TEXT].astype("string").str.strip()
    empty = text.isna() | (text == "")
    clean = pd.DataFrame({TEXT: text[~empty].astype(str), LABEL: labels[~empty].astype("int8")})
    return clean.reset_index(drop=True), int(empty.sum())


def load_reviews(folder: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read and validate the three splits of a review data set; return them and what was read."""
    splits, files = {}, {}
    for split, (file_format, paths) in find_split_files(folder).items():
        parts = []
        for path in paths:
            frame, empty = validate(_read_file(path, file_format), shown(path))
            parts.append(frame)
            files[shown(path)] = {"split": split, "format": file_format, "rows": len(frame), "empty_dropped": empty}
            files[shown(path)]["sha256"] = file_sha256(path)
        splits[split] = pd.concat(parts, ignore_index=True)
        if splits[split].empty:
            raise DataError(f"{folder}: split {split} has no review")
    return splits, {"files": files}


def drop_cross_split_duplicates(splits: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Remove from validation and test any review text already seen in an earlier split.

    The full Allociné set has a few reviews in two splits; a test row seen in training flatters the score.
    """
    seen: set[str] = set()
    cleaned, dropped = {}, {}
    for split in SPLITS:
        frame = splits[split]
        repeated = frame[TEXT].isin(seen) if seen else pd.Series(False, index=frame.index)
        cleaned[split] = frame[~repeated].reset_index(drop=True)
        dropped[split] = int(repeated.sum())
        seen.update(frame[TEXT])
    return cleaned, dropped


def stratified_sample(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """At most `rows` rows with the label shares of `frame` (for quick runs on a big data set)."""
    if rows >= len(frame):
        return frame
    share = rows / len(frame)
    sampled = frame.groupby(LABEL, group_keys=False).sample(frac=share, random_state=seed)
    return sampled.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def write_reviews(path: Path, frame: pd.DataFrame) -> None:
    write_csv(path, frame, index=False)


def read_reviews(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, keep_default_na=False, dtype={TEXT: str})
    except (FileNotFoundError, ValueError) as error:
        raise DataError(f"cannot read {path}: {error}") from error
    if frame.empty:
        raise DataError(f"{path} is empty")
    return frame
