"""Run Python as if only requirements-api.txt were installed (the API image's packages), then a module.

    python tests/api/image_python.py -m uvicorn api.main:app --port 8000
    python tests/api/image_python.py -c "import api.main"

Any import of a third-party package that requirements-api.txt does not list fails with
ModuleNotFoundError, exactly as in the image. The local HTTP tests start uvicorn this way, so the whole
HTTP and schemathesis suite also proves the image's dependency list is enough.
"""

from __future__ import annotations

import importlib.abc
import importlib.metadata
import re
import runpy
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements-api.txt"


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def allowed_distributions(path: Path = REQUIREMENTS) -> set[str]:
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(_key(re.split(r"[\[=<>!~ ]", line, maxsplit=1)[0]))
    return names


class OnlyImagePackages(importlib.abc.MetaPathFinder):
    def __init__(self, allowed: set[str]):
        self.owners = importlib.metadata.packages_distributions()
        self.allowed = allowed

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        top = name.partition(".")[0]
        owners = self.owners.get(top)
        if owners and not any(_key(owner) in self.allowed for owner in owners):
            raise ModuleNotFoundError(f"No module named {name!r} (not in requirements-api.txt)", name=name)
        return None


def install() -> None:
    sys.meta_path.insert(0, OnlyImagePackages(allowed_distributions()))


def main(argv: list[str]) -> None:
    install()
    sys.path[0] = str(ROOT)  # like the image's PYTHONPATH=/app, instead of this script's folder
    if len(argv) >= 2 and argv[0] == "-m":
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    elif len(argv) >= 2 and argv[0] == "-c":
        sys.argv = ["-c", *argv[2:]]
        exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
