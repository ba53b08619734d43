"""One builder for every registered model's card (`model_card.json` beside the artefact).

Every card opens with the same fields, in the same order, so the API, the registry and a reader find them in
one place whatever the pipeline: `name` (the registry's), `model` (what was chosen), `version` (a fingerprint
of what decides the model: same inputs, same version), `artefact` (its path in the project) and
`artefact_sha256` (checked before unpickling), `task`. The pipeline's own sections follow, then
`library_versions`, `intended_use` and `limitations`, which no card may leave out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipelines.common.errors import DataError
from pipelines.common.paths import ROOT
from pipelines.common.provenance import file_sha256, library_versions

SHARED_FIELDS = ("name", "model", "version", "artefact", "artefact_sha256", "task")
CLOSING_FIELDS = ("library_versions", "intended_use", "limitations")


def fingerprint_version(label: str, fingerprint: Iterable[Any]) -> str:
    """`label-<12 hex>`: the SHA-256 of what decides the model (family, parameters, training rows' hash…)."""
    text = json.dumps(list(fingerprint), sort_keys=True, default=str)
    return f"{label}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def model_card(
    *,
    name: str,
    model: str,
    version: str,
    artefact: str | Path,
    task: str,
    intended_use: str,
    limitations: list[str],
    libraries: tuple[str, ...] = (),
    **sections: Any,
) -> dict[str, Any]:
    """The card of the registered `artefact` (a file or a folder, already written); DataError naming the field
    when one of the shared fields is empty, the artefact is missing, or a section would override a shared field."""
    path = Path(artefact)
    path = path if path.is_absolute() else ROOT / path
    if not path.exists():
        raise DataError(f"model card {name!r}: artefact {path} does not exist (write the model before its card)")
    given = {"name": name, "model": model, "version": version, "task": task, "intended_use": intended_use}
    for field, value in given.items():
        if not str(value).strip():
            raise DataError(f"model card {name!r}: field {field!r} is empty")
    if not limitations:
        raise DataError(f"model card {name!r}: field 'limitations' is empty (every model has some: say them)")
    clashes = sorted(set(sections) & {*SHARED_FIELDS, *CLOSING_FIELDS})
    if clashes:
        raise DataError(f"model card {name!r}: section(s) {', '.join(clashes)} would override a shared field")
    return {
        "name": name,
        "model": model,
        "version": version,
        "artefact": _project_path(path),
        "artefact_sha256": file_sha256(path) if path.is_file() else None,
        "task": task,
        **sections,
        "library_versions": library_versions(libraries),
        "intended_use": intended_use,
        "limitations": list(limitations),
    }


def _project_path(path: Path) -> str:
    """The artefact's path relative to the project when inside it (cards travel with the repository)."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
