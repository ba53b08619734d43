"""The answer cache: emptied whenever the database changes, bounded, never fed a stale answer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from api.cache import MISSING, AnswerCache, SqliteWatch, ttl_generation
from tests.api.conftest import build_database


class Clock:
    def __init__(self) -> None:
        self.value = 0

    def __call__(self) -> int:
        return self.value


def test_entries_are_kept_until_the_generation_changes() -> None:
    clock = Clock()
    cache = AnswerCache(clock)
    generation, value = cache.lookup("a")
    assert value is MISSING
    cache.store("a", 1, generation)
    assert cache.lookup("a") == (0, 1)
    clock.value = 1
    assert cache.lookup("a") == (1, MISSING) and len(cache) == 0


def test_an_answer_computed_before_a_change_is_not_kept() -> None:
    clock = Clock()
    cache = AnswerCache(clock)
    generation, _ = cache.lookup("a")
    clock.value = 1  # the database changed while the answer was being computed…
    cache.lookup("b")
    cache.store("a", "stale", generation)
    assert cache.lookup("a")[1] is MISSING  # …so it was dropped


def test_the_least_recently_used_entry_goes_first() -> None:
    cache = AnswerCache(Clock(), max_entries=2)
    for key in ("a", "b"):
        cache.store(key, key, cache.lookup(key)[0])
    cache.lookup("a")  # a is now more recent than b
    cache.store("c", "c", cache.lookup("c")[0])
    assert [cache.lookup(key)[1] for key in ("a", "b", "c")] == ["a", MISSING, "c"]


def test_a_sqlite_write_changes_the_generation_even_with_the_same_size_and_mtime(tmp_path: Path) -> None:
    from pipelines.weather import database

    path = tmp_path / "weather.sqlite"
    build_database(path)
    generation = SqliteWatch(path)
    before, stat = generation(), path.stat()
    assert generation() == before
    engine = database.make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:  # an in-place update: same size
        connection.exec_driver_sql("UPDATE predictions SET predicted_temperature = predicted_temperature + 1")
    engine.dispose()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old modification time
    assert path.stat().st_size == stat.st_size
    assert generation() != before  # the header's change counter moved


def test_a_missing_sqlite_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        SqliteWatch(tmp_path / "nowhere.sqlite")()


def test_other_databases_expire_after_the_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    import api.cache

    now = [100.0]
    monkeypatch.setattr(api.cache.time, "monotonic", lambda: now[0])
    generation = ttl_generation(5.0)
    first = generation()
    now[0] = 104.0
    assert generation() == first
    now[0] = 105.0
    assert generation() != first


def _open_descriptors_on(path: Path) -> int:
    folder = Path(f"/proc/{os.getpid()}/fd")
    count = 0
    for entry in folder.iterdir():
        try:
            count += os.readlink(entry).startswith(str(path))
        except OSError:
            continue
    return count


def test_a_replaced_sqlite_file_changes_the_generation_and_the_old_one_is_let_go(tmp_path: Path) -> None:
    path, other = tmp_path / "weather.sqlite", tmp_path / "copy.sqlite"
    build_database(path)
    other.write_bytes(path.read_bytes())  # the same bytes, another inode
    watch = SqliteWatch(path)
    before = watch()
    os.replace(other, path)
    assert watch() != before
    assert _open_descriptors_on(path) == 1  # one, on the new file: none left on "weather.sqlite (deleted)"
    watch.close()
    assert _open_descriptors_on(path) == 0


def test_a_commit_in_write_ahead_log_mode_changes_the_generation(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "weather.sqlite"
    build_database(path)
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        watch = SqliteWatch(path)
        before = watch()
        with connection:  # committed to the -wal file: the main file and its change counter stay as they were
            connection.execute("UPDATE predictions SET predicted_temperature = predicted_temperature + 1")
        assert watch() != before
    finally:
        connection.close()
