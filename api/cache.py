"""A small in-memory cache of answers, emptied as soon as the database changes.

Stored predictions change only when the batch job writes, so the service answers repeated questions
from memory. A SQLite database has changed when its file was replaced (inode), resized or touched, when
the "file change counter" of its header moved (SQLite increments it at every committed write in
rollback-journal mode), or when its write-ahead log changed: a few microseconds of `stat` and `pread`
per request, so a new batch run is served at once. Other databases (PostgreSQL) cannot be watched
that cheaply: their cached answers live `ttl_s` seconds.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

MISSING = object()


SQLITE_CHANGE_COUNTER = slice(24, 28)  # bytes of the database header (sqlite.org/fileformat.html)


def sqlite_generation(path: Path) -> Callable[[], Hashable]:
    """What identifies one state of a SQLite database; FileNotFoundError when the file is missing."""
    wal = path.with_name(path.name + "-wal")

    def generation() -> Hashable:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            main = os.fstat(descriptor)
            counter = os.pread(descriptor, 4, SQLITE_CHANGE_COUNTER.start)
        finally:
            os.close(descriptor)
        try:
            log = os.stat(wal)
            extra = (log.st_ino, log.st_size, log.st_mtime_ns)
        except FileNotFoundError:
            extra = None
        return main.st_ino, main.st_size, main.st_mtime_ns, counter, extra

    return generation


def ttl_generation(ttl_s: float) -> Callable[[], Hashable]:
    def generation() -> Hashable:
        return int(time.monotonic() // ttl_s)

    return generation


class AnswerCache:
    """Least-recently-used entries, all dropped when `generation()` changes. Thread-safe.

    256 entries: a month-long combined answer is about 70 kB, so the cache stays under 20 MB.
    """

    def __init__(self, generation: Callable[[], Hashable], max_entries: int = 256):
        self._generation = generation
        self._max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._seen: Hashable = MISSING
        self._lock = threading.Lock()

    def lookup(self, key: Hashable) -> tuple[Hashable, Any]:
        """(the database's current generation, the cached value or MISSING); raises what generation() raises."""
        generation = self._generation()
        with self._lock:
            if generation != self._seen:
                self._entries.clear()
                self._seen = generation
                return generation, MISSING
            value = self._entries.get(key, MISSING)
            if value is not MISSING:
                self._entries.move_to_end(key)
            return generation, value

    def store(self, key: Hashable, value: Any, generation: Hashable) -> None:
        """Keep `value` unless the database changed since `generation` was read (then it may be stale)."""
        with self._lock:
            if generation != self._seen:
                return
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
