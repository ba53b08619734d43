"""Atomic writes: every output is written to a temporary file beside it, then renamed.

A crash or a bad input mid-stage therefore never leaves a half-written output that a
later stage (or `dvc repro`) could mistake for a finished one. A process killed mid-write
(SIGKILL: no `finally` runs) leaves its `.<name>.*.tmp` beside the target; the next write of
the same target removes such leftovers once they are `STALE_AFTER_S` old (a younger one may
belong to a writer still running).

Multi-file outputs: a folder written with `atomic_dir` is built beside its target and swapped
in whole (two renames: a crash between them leaves the previous folder under `.<name>.old.*`,
never a mix of old and new files). Outputs that dvc.yaml declares as separate files in a shared
folder (a model and its card) are each atomic but replaced one after the other; a stage that
needs them consistent must write them as one folder or record one's hash in the other
(the credit card's `artefact_sha256`, checked by the API before loading the model).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

STALE_AFTER_S = 60.0


def remove_stale_temporaries(path: str | Path, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove what killed writes of `path` left beside it (`.<name>.*.tmp` files, `.<name>.*` staging
    folders) not modified for `older_than_s` seconds; returns what was removed."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    removed, now = [], time.time()
    for leftover in path.parent.glob(f".{glob_escape(path.name)}.*"):
        try:
            if now - leftover.lstat().st_mtime < older_than_s:
                continue
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)
            elif leftover.name.endswith(".tmp"):
                leftover.unlink()
            else:
                continue
        except FileNotFoundError:  # another writer cleaned it first
            continue
        removed.append(leftover)
    return removed


def glob_escape(name: str) -> str:
    return "".join(f"[{char}]" if char in "*?[" else char for char in name)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto `path` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def write_json(path: str | Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=_json_default) + "\n")


def read_json(path: str | Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write_csv(path: str | Path, frame: pd.DataFrame, **kwargs: Any) -> None:
    """Write a CSV (gzip-compressed when the name ends in .gz) atomically.

    The gzip header carries no file name and no time, so the same frame always gives the
    same bytes and DVC does not rerun downstream stages for nothing.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix == ".gz":
            with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as compressed:
                compressed.write(frame.to_csv(**kwargs).encode("utf-8"))
        else:
            frame.to_csv(tmp, **kwargs)


@contextlib.contextmanager
def atomic_dir(folder: str | Path) -> Iterator[Path]:
    """Yield an empty staging folder beside `folder`; on success it replaces `folder` whole (module docstring)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        yield staging
        os.chmod(staging, 0o755)
        if folder.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            os.replace(folder, retired / folder.name)
            os.replace(staging, folder)
            shutil.rmtree(retired)
        else:
            os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_training_curves(folder: str | Path, histories: dict[str, dict[str, list[float]]]) -> None:
    """One CSV per run (`epoch` then one column per Keras history key), so `dvc plots` draws one line
    per run. The folder is built beside its target and swapped in whole (`atomic_dir`): no stale run
    survives a rerun, and a crash leaves the previous folder intact."""
    with atomic_dir(folder) as staging:
        for name, history in histories.items():
            frame = pd.DataFrame(history).round(4)
            frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
            frame.to_csv(staging / f"{name}.csv", index=False)
