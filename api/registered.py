"""A registered model as the API holds it: loaded once, at start-up, and never fatal.

Each pipeline that the API serves registers a folder with `model.joblib` and `model_card.json`. Loading it
follows one rule for all: check the pickle's SHA-256 against the card before unpickling it, and turn
whatever goes wrong into a `detail` instead of an exception, so the other endpoints keep serving; the
model's own endpoints answer 503 with that detail (server paths removed) and `/health` shows it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import ValidationError

from api.errors import Unavailable
from api.schemas import RegisteredModelHealth
from api.store import public_path, redact_paths
from pipelines.common.errors import DataError
from pipelines.common.provenance import file_sha256

log = logging.getLogger("api")
T = TypeVar("T")


def check_artefact_sha256(model_dir: str | Path) -> None:
    """DataError unless model.joblib's SHA-256 is the card's `artefact_sha256`; run before it is unpickled.

    A card without the field (models registered before it existed) is loaded with a warning: whoever can
    edit the card could write the matching hash anyway. Missing files are left to the model's loader to name.
    """
    card_file, model_file = Path(model_dir) / "model_card.json", Path(model_dir) / "model.joblib"
    if not (card_file.is_file() and model_file.is_file()):
        return
    try:
        expected = json.loads(card_file.read_text(encoding="utf-8")).get("artefact_sha256")
    except (ValueError, AttributeError):
        return  # a broken card: the model's loader reports it
    if not expected:
        log.warning("model card %s has no artefact_sha256: model.joblib loaded unchecked", card_file)
        return
    actual = file_sha256(model_file)
    if actual != expected:
        raise DataError(
            f"model.joblib: SHA-256 {actual[:12]}… is not the model card's artefact_sha256 "
            f"{str(expected)[:12]}…; refusing to unpickle it (register the model again)"
        )


def reason(error: Exception) -> str:
    """An unexpected loading error in one line: its type and the first line of its message."""
    if isinstance(error, ValidationError):
        problems = ", ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors())
        return f"invalid model card ({problems})"
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")


@dataclass(frozen=True)
class Registered(Generic[T]):
    """A registered model as loaded at start-up (`model`), or why it could not be (`detail`)."""

    unavailable: str  # the 503's and the log's sentence: "car price estimates are unavailable"
    model_dir: Path
    model: T | None = None
    detail: str | None = None
    version: str | None = None

    @property
    def available(self) -> bool:
        return self.model is not None

    def require(self) -> T:
        """The model; 503 saying what is missing (without server paths) when it could not be loaded."""
        if self.model is None:
            detail = redact_paths(str(self.detail), self.model_dir)
            raise Unavailable(f"{self.unavailable}: {detail} (fix, then restart)", retry=False)
        return self.model

    def health(self) -> RegisteredModelHealth:
        return RegisteredModelHealth(
            available=self.model is not None,
            detail=None if self.detail is None else redact_paths(self.detail, self.model_dir),
            model_dir=public_path(self.model_dir),
            version=self.version,
        )


def load_registered(
    unavailable: str, model_dir: Path, open_model: Callable[[Path], T], version: Callable[[T], str]
) -> Registered[T]:
    """`open_model(model_dir)` after the SHA-256 check, or a Registered saying why not (never raises)."""
    model_dir = Path(model_dir)
    try:
        check_artefact_sha256(model_dir)
        model = open_model(model_dir)
    except DataError as error:  # files missing (named), a mismatched hash, a model the service cannot use
        log.error("%s: %s", unavailable, error)
        return Registered(unavailable, model_dir, detail=str(error))
    except Exception as error:  # a broken pickle or card, a missing library: reported with the stack trace
        detail = f"cannot load the model from {model_dir}: {reason(error)}"
        log.error("%s: %s", unavailable, detail, exc_info=True)
        return Registered(unavailable, model_dir, detail=detail)
    loaded = version(model)
    log.info("model %s loaded from %s", loaded, model_dir)
    return Registered(unavailable, model_dir, model, version=loaded)
