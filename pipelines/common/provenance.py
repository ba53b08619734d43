"""Provenance stamps: every metric file and report says where its data came from.

`kind` is one of "real-api" (downloaded live), "real-sample" (a real file shipped or
dropped in) or "synthetic" (generated), so nobody mistakes offline data for the real thing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import platform
import subprocess
from pathlib import Path

from pipelines.common.paths import ROOT

DATA_KINDS = ("real-api", "real-sample", "synthetic")


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def git_commit() -> str:
    """The commit the working tree is at, or "unknown" outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def library_versions(names: tuple[str, ...] = ()) -> dict[str, str]:
    """Versions of the libraries a saved model depends on (pickles break across versions)."""
    base = ("numpy", "pandas", "scikit-learn", "scipy")
    versions = {"python": platform.python_version()}
    for name in dict.fromkeys(base + names):
        versions[name] = "not installed"
        # CPU-only builds are distributed under another name (xgboost-cpu, tensorflow-cpu).
        for distribution in (name, f"{name}-cpu"):
            try:
                versions[name] = importlib.metadata.version(distribution)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
    return versions


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
