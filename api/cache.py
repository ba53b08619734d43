"""A small in-memory cache of answers, emptied as soon as the database changes.

Stored predictions change only when the batch job writes, so the service answers repeated questions
from memory. A SQLite database has changed when its file was replaced (inode), resized or touched, when
the "file change counter" of its header moved (SQLite increments it at every committed write in
rollback-journal mode), or when its write-ahead log changed: a `stat` and a `pread` per request
(`SqliteWatch`), so a new batch run is served at once. Other databases (PostgreSQL) cannot be watched
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


SQLITE_HEADER_BYTES = 28  # up to the "file change counter" (bytes 24-27; sqlite.org/fileformat.html)
SQLITE_WAL_MODE = 2  # bytes 18-19 of the header (write and read versions): 1 rollback journal, 2 write-ahead log


class SqliteWatch:
    """What identifies one state of a SQLite database (call it); FileNotFoundError when the file is missing.

    Called before every cached answer, so it costs two system calls: a `stat` of the path (a replaced file
    has another inode, a written one another size or mtime) and a `pread` of the header through a descriptor
    kept open on the file at that path (reopened as soon as the path names another inode, so a replaced file
    is held only until the next call). The header says whether the database is in write-ahead-log mode: only
    then is the `-wal` file stat'ed too (a commit there does not move the main file's change counter).
    """

    def __init__(self, path: Path):
        self.path = path
        self.wal = path.with_name(path.name + "-wal")
        self._lock = threading.Lock()  # the event loop and worker threads share the descriptor
        self._descriptor: int | None = None
        self._inode: tuple[int, int] | None = None

    def __call__(self) -> Hashable:
        main = os.stat(self.path)
        with self._lock:
            if self._inode != (main.st_dev, main.st_ino):
                self._reopen()
            assert self._descriptor is not None
            header = os.pread(self._descriptor, SQLITE_HEADER_BYTES, 0)
        extra = None
        if len(header) == SQLITE_HEADER_BYTES and header[18] == SQLITE_WAL_MODE:
            try:
                log = os.stat(self.wal)
                extra = (log.st_ino, log.st_size, log.st_mtime_ns)
            except FileNotFoundError:
                pass
        return main.st_ino, main.st_size, main.st_mtime_ns, header[18:], extra

    def _reopen(self) -> None:
        self._close()
        descriptor = os.open(self.path, os.O_RDONLY)
        opened = os.fstat(descriptor)
        self._descriptor, self._inode = descriptor, (opened.st_dev, opened.st_ino)

    def _close(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
        self._descriptor = self._inode = None

    def close(self) -> None:
        """Closes the descriptor (the next call reopens it)."""
        with self._lock:
            self._close()


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
