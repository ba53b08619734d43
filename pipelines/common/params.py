"""Reading params.yaml: one section per pipeline, dotted names in every error."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from pipelines.common.errors import ParamError
from pipelines.common.paths import PARAMS_FILE

M = TypeVar("M", bound="SectionModel")


def load_params(section: str | None = None, path: Path = PARAMS_FILE) -> Params:
    """Load params.yaml (or one top-level section of it)."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if section is None:
        return Params(data, "")
    if section not in data:
        raise ParamError(section, f"section missing from {path.name}")
    return Params(data[section], section)


class Params:
    """A read-only view of a params section whose lookups report the dotted key on error."""

    def __init__(self, data: dict[str, Any], prefix: str):
        if not isinstance(data, dict):
            raise ParamError(prefix or "<root>", f"expected a mapping, got {type(data).__name__}")
        self._data = data
        self._prefix = prefix

    def name(self, key: str) -> str:
        return f"{self._prefix}.{key}" if self._prefix else key

    def section(self, key: str) -> Params:
        return Params(self.get(key), self.name(key))

    def get(self, key: str, default: Any = ..., *, type_: type | tuple[type, ...] | None = None) -> Any:
        if key not in self._data:
            if default is ...:
                raise ParamError(self.name(key), "missing")
            return default
        value = self._data[key]
        if type_ is not None:
            allowed = type_ if isinstance(type_, tuple) else (type_,)
            numeric = any(t in (int, float) for t in allowed)
            if not isinstance(value, allowed) or (numeric and isinstance(value, bool)):
                expected = " or ".join(t.__name__ for t in allowed)
                raise ParamError(self.name(key), f"expected {expected}, got {value!r}")
        return value

    def number(
        self, key: str, default: Any = ..., *, minimum: float | None = None, maximum: float | None = None
    ) -> float:
        return self._bounded(key, self.get(key, default, type_=(int, float)), minimum, maximum)

    def integer(self, key: str, default: Any = ..., *, minimum: int | None = None, maximum: int | None = None) -> int:
        return self._bounded(key, self.get(key, default, type_=int), minimum, maximum)

    def _bounded(self, key: str, value: Any, minimum: float | None, maximum: float | None) -> Any:
        if minimum is not None and value < minimum:
            raise ParamError(self.name(key), f"must be >= {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise ParamError(self.name(key), f"must be <= {maximum}, got {value}")
        return value

    def choice(self, key: str, choices: list[str] | tuple[str, ...], default: Any = ...) -> str:
        value = self.get(key, default)
        if value not in choices:
            raise ParamError(self.name(key), f"must be one of {', '.join(map(str, choices))}; got {value!r}")
        return value

    def string_list(self, key: str, default: Any = ...) -> list[str]:
        value = self.get(key, default, type_=list)
        if not all(isinstance(item, str) for item in value):
            raise ParamError(self.name(key), f"expected a list of strings, got {value!r}")
        return list(value)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)


# --- typed sections ------------------------------------------------------------------------------------
# A section described by a pydantic model: one place for each value's type and bounds, wherever it is read;
# unknown keys (a typo such as `sead`) are refused, and every error names the dotted parameter.


class SectionModel(BaseModel):
    """Base of the params models: no unknown key, no silent coercion of text into numbers."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _dotted(prefix: str, location: tuple) -> str:
    return ".".join([prefix, *(str(part) for part in location)]) if location else prefix


def parse_section(model: type[M], data: Any, name: str) -> M:
    """`data` (the params.yaml section `name`) as `model`; ParamError naming the first bad parameter."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as error:
        # An unknown key first: `alpah` explains the missing `alpha` better than the other way round.
        first = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        problem = "unknown parameter (a typo?)" if first["type"] == "extra_forbidden" else first["msg"]
        if first["type"] != "extra_forbidden" and "input" in first:
            problem += f", got {first['input']!r}"
        more = len(error.errors()) - 1
        raise ParamError(_dotted(name, first["loc"]), problem + (f" (and {more} more)" if more else "")) from None


def load_section(name: str, model: type[M], path: Path = PARAMS_FILE) -> M:
    """The dotted section `name` (e.g. `weather.ml`) of params.yaml, validated by `model`."""
    section, *rest = name.split(".")
    params = load_params(section, path)
    for key in rest:
        params = params.section(key)
    return parse_section(model, params.as_dict(), name)
