"""Progress bars for long loops: shown on a terminal, quiet in CI logs unless asked for."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(items: Iterable[T], description: str, total: int | None = None) -> Iterable[T]:
    disable = not sys.stderr.isatty() and os.environ.get("PROGRESS", "") != "1"
    return tqdm(items, desc=description, total=total, disable=disable, leave=False, mininterval=1.0)
