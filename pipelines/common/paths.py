"""Every project path in one place, so no stage repeats a path string."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARAMS_FILE = ROOT / "params.yaml"

DATA_DIR = ROOT / "data"
EXTERNAL_DIR = DATA_DIR / "external"  # small real samples shipped with the repo (immutable)
RAW_DIR = DATA_DIR / "raw"  # what a source delivered, untouched
INTERIM_DIR = DATA_DIR / "interim"  # cleaned
PROCESSED_DIR = DATA_DIR / "processed"  # model-ready
MODELS_DIR = ROOT / "models"
REPORTS_DIR = ROOT / "reports"


def pipeline_dirs(pipeline: str) -> dict[str, Path]:
    """The per-pipeline folders under each top-level folder."""
    return {
        "external": EXTERNAL_DIR / pipeline,
        "raw": RAW_DIR / pipeline,
        "interim": INTERIM_DIR / pipeline,
        "processed": PROCESSED_DIR / pipeline,
        "models": MODELS_DIR / pipeline,
        "reports": REPORTS_DIR / pipeline,
    }


def resolve(path: str | Path) -> Path:
    """A path from params.yaml: relative paths are relative to the project root."""
    path = Path(path)
    return path if path.is_absolute() else ROOT / path


def shown(path: str | Path) -> str:
    """`path` relative to the project root when inside it (POSIX separators), so provenance and model
    cards do not depend on where the project is checked out; absolute otherwise."""
    path = Path(path).resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
