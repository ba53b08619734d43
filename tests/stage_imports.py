"""What each DVC stage's code really is: the stage module and every project file it imports, transitively.

`tests/test_stage_deps.py` checks `dvc.yaml` against it, so a stage's `deps` cannot silently miss the code
that produces its outputs. The rule a dep list must follow (and `expected_code_deps` writes out):
- the stage command itself, `stages/<pipeline>/<stage>.py`;
- each library package it imports, as one folder: `pipelines/common` (what every stage uses),
  `pipelines/reporting` (figures and HTML reports), `pipelines/<pipeline>` (a change anywhere in a package
  reruns the stages that import it: packages are small and their modules call each other). What more than
  one pipeline shares goes into a package of its own, so that changing it reruns only the stages using it;
- data files a stage command reads that no import reveals (`PACKAGE_DATA`).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("stages", "pipelines", "api")
# Files a stage command reads at run time that no import reveals.
PACKAGE_DATA = {"stages/reports/index.py": ["pipelines/reports/templates"]}
COMMAND = re.compile(r"python -m ((?:stages)\.[\w.]+)")


def module_file(module: str, root: Path = ROOT) -> Path | None:
    """The file of a project module (`pipelines.weather.data` → pipelines/weather/data.py), None elsewhere."""
    if module.split(".")[0] not in PROJECT_PACKAGES:
        return None
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(path: Path) -> set[str]:
    """Every module an `import` or `from … import` in the file names (inside functions too): for
    `from pkg import name`, both `pkg` and `pkg.name` (name may be a submodule)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


@cache
def project_imports(module: str, root: Path = ROOT) -> frozenset[Path]:
    """Files of `module` and of every project module it imports, transitively (package __init__ files too)."""
    seen: set[Path] = set()
    todo = [module]
    while todo:
        for name in _parents(todo.pop()):
            path = module_file(name, root)
            if path is None or path in seen:
                continue
            seen.add(path)
            todo.extend(_imported_modules(path))
    return frozenset(seen)


def is_docstring_only(path: Path) -> bool:
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def relevant_files(module: str, root: Path = ROOT) -> list[str]:
    """The project files a stage's output can depend on: empty package markers are left out."""
    files = []
    for path in sorted(project_imports(module, root)):
        if path.name == "__init__.py" and is_docstring_only(path):
            continue
        rel = path.relative_to(root).as_posix()
        files.append(rel)
        files.extend(PACKAGE_DATA.get(rel, []))
    return files


def expected_code_deps(module: str, root: Path = ROOT) -> list[str]:
    """The code deps the rule above gives for a stage module, in dvc.yaml order."""
    deps = []
    for rel in relevant_files(module, root):
        parts = rel.split("/")
        dep = "/".join(parts[:2]) if parts[0] == "pipelines" else rel
        if dep not in deps:
            deps.append(dep)
    stage_file = module.replace(".", "/") + ".py"
    return [stage_file] + sorted(d for d in deps if d != stage_file)


def covered(file: str, deps: list[str]) -> bool:
    return any(file == dep or file.startswith(dep.rstrip("/") + "/") for dep in deps)


def stages(dvc_yaml: Path = ROOT / "dvc.yaml") -> dict[str, dict]:
    return yaml.safe_load(dvc_yaml.read_text(encoding="utf-8"))["stages"]


def stage_module(stage: dict) -> str:
    match = COMMAND.search(stage["cmd"])
    assert match, f"stage command {stage['cmd']!r} does not run `python -m stages.…`"
    return match.group(1)
