"""Read-only access to what the pipeline wrote: the prediction database and the model card.

The service never writes. A SQLite file is opened read-only (`mode=ro`), so a missing file is reported
as missing instead of being created empty, and nothing the API does can alter the pipeline's data.
Every read goes through `PredictionStore`, which turns any database failure into `DatabaseUnavailable`
(the data endpoints answer 503, `/health` reports it); the engine itself is opened once, at start-up.

A SQLite file is opened afresh for every read (no connection pool): the batch stage, `dvc checkout` or a
plain `mv` put a *new* file at the same path, and a pooled connection would keep reading the deleted one
forever. Opening a local file costs ~0.1 ms, and repeated questions are answered from the cache anyway.
Messages meant for clients (`DatabaseUnavailable`, `/health`) name files relative to the project and never
the database server's host or port; the server's log has the full detail.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from api.cache import AnswerCache, SqliteWatch, ttl_generation
from pipelines.common.paths import ROOT
from pipelines.weather import database

log = logging.getLogger("api.store")
CONNECT_TIMEOUT_S = 5
SQLITE_BUSY_TIMEOUT_S = 2  # a read waits this long for a writer's lock, then answers 503 + Retry-After
T = TypeVar("T")


def public_path(path: str | Path) -> str:
    """What a client may read of a server path: relative to the project root, else the file name alone."""
    path = Path(path)
    absolute = path.resolve()
    return absolute.relative_to(ROOT).as_posix() if absolute.is_relative_to(ROOT) else path.name


def redact_paths(text: str, *paths: str | Path) -> str:
    """`text` with each of `paths` (as given and resolved) replaced by its public form."""
    for path in paths:
        for spelling in sorted({str(path), str(Path(path).resolve())}, key=len, reverse=True):
            text = text.replace(spelling, public_path(path))
    return text


class DatabaseUnavailable(Exception):
    """The database is missing, unreadable or has no prediction tables."""


def open_engine(url: str) -> sa.Engine:
    """An engine for reading; SQLite files are opened read-only and never created."""
    parsed = sa.make_url(url)
    path = _sqlite_path(parsed)
    if path is None:
        if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
            # An unreachable server must not hang start-up or /health for minutes (the TCP default).
            parsed = parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
        return database.make_engine(parsed.render_as_string(hide_password=False))
    readonly = parsed.set(database=f"file:{quote(str(path))}", query={"mode": "ro", "uri": "true"})
    # No pool: every read opens the file at the path now, never a replaced (deleted) one (module docstring).
    return sa.create_engine(readonly, poolclass=NullPool, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})


def _sqlite_path(url: sa.URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


@dataclass
class DatabaseStatus:
    backend: str
    available: bool
    detail: str | None = None
    dates: list[dt.date] = field(default_factory=list)
    latest_model: dict[str, Any] | None = None


class PredictionStore:
    """The prediction database behind the API; every method raises DatabaseUnavailable on failure.

    `cache` holds answers built from it, emptied when the database changes (api/cache.py).
    """

    def __init__(self, url: str, cache_ttl_s: float = 5.0):
        parsed = sa.make_url(url)
        self.backend = parsed.get_backend_name()
        self.sqlite_path = _sqlite_path(parsed)
        self.description = parsed.render_as_string(hide_password=True)  # for the server's log only
        # What a client may read: a path relative to the project, or the backend's name alone.
        self.public_name = public_path(self.sqlite_path) if self.sqlite_path else self.backend
        self._secrets = [str(part) for part in (parsed.host, parsed.port, parsed.database, parsed.username) if part]
        if self.sqlite_path is not None:
            self._secrets += [str(self.sqlite_path), str(self.sqlite_path.resolve())]
        self.engine = open_engine(url)
        self._watch = SqliteWatch(self.sqlite_path) if self.sqlite_path else None
        self.cache = AnswerCache(self._guarded(self._watch or ttl_generation(cache_ttl_s)))

    def _guarded(self, generation: Callable[[], T]) -> Callable[[], T]:
        def checked() -> T:
            try:
                return generation()
            except FileNotFoundError:
                raise DatabaseUnavailable(f"database file not found: {self.public_name}") from None

        return checked

    def dates(self) -> list[dt.date]:
        return self._read(database.available_prediction_dates)

    def for_date(self, day: dt.date) -> list[dict[str, Any]]:
        return self._read(database.predictions_for_date, day)

    def combined(self, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
        return self._read(database.predictions_with_observations, start, end)

    def latest_model(self) -> dict[str, Any] | None:
        return self._read(database.latest_model)

    def status(self) -> DatabaseStatus:
        """Whether the database answers, and what it holds; never raises."""
        try:
            return DatabaseStatus(self.backend, True, None, self.dates(), self.latest_model())
        except DatabaseUnavailable as error:
            return DatabaseStatus(self.backend, False, str(error))

    def close(self) -> None:
        self.engine.dispose()
        if self._watch is not None:
            self._watch.close()

    def _read(self, query: Callable[..., T], *args: Any) -> T:
        if self.sqlite_path is not None and not self.sqlite_path.is_file():
            raise DatabaseUnavailable(f"database file not found: {self.public_name}")
        try:
            return query(self.engine, *args)
        except sa.exc.SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            log.warning("cannot read the database %s: %s", self.description, reason)
            raise DatabaseUnavailable(f"cannot read the database ({self.backend}): {self.redact(reason)}") from error

    def redact(self, text: str) -> str:
        """`text` without the database's absolute path, server host, port, name or user."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, self.public_name if "/" in secret else "…")
        return text


@dataclass
class ModelCard:
    path: Path
    content: dict[str, Any] | None
    detail: str | None = None

    @property
    def found(self) -> bool:
        return self.content is not None


def load_model_card(path: Path) -> ModelCard:
    """The model card written by the batch stage, read once; a missing or broken card is reported, not fatal."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ModelCard(path, None, f"model card not found: {public_path(path)}")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        log.error("cannot read the model card %s", path, exc_info=True)
        reason = redact_paths(str(error), path)
        return ModelCard(path, None, f"cannot read the model card {public_path(path)}: {reason}")
    if not isinstance(content, dict):
        kind = type(content).__name__
        return ModelCard(path, None, f"model card {public_path(path)}: expected a JSON object, got {kind}")
    return ModelCard(path, content)
