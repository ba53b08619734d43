"""What can be checked of the API image without a Docker engine: the Dockerfile, the .dockerignore and
requirements-api.txt agree with the code the API imports and with requirements.lock.

(hadolint lints the Dockerfile in .ci/run; CI's test-image job runs the HTTP tests against the real image.)
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import CREDIT_FILES, ROOT

DOCKERFILE = ROOT / "Dockerfile"
# Training, reporting and pipeline tools: never in the image.
FORBIDDEN = {
    "tensorflow", "tensorflow-cpu", "keras", "xgboost", "statsmodels", "pmdarima", "dvc", "dvc-s3", "torch",
    "lime", "evidently", "matplotlib", "scikit-image",
}  # fmt: skip
# What scoring with the registered credit model needs (unpickling the pipeline, SHAP): in the image.
CREDIT_RUNTIME = {"scikit-learn", "xgboost-cpu", "shap", "scipy", "joblib"}


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{path.name}: {line!r} is not pinned with =="
            pins[_key(re.sub(r"\[.*\]", "", name))] = version.strip()
    return pins


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def copy_sources(path: Path = DOCKERFILE) -> list[str]:
    """Sources of the COPY instructions that read the build context (not --from another stage)."""
    sources = []
    for instruction, arguments in instructions(path):
        if instruction == "COPY" and "--from=" not in arguments:
            words = [word for word in arguments.split() if not word.startswith("--")]
            sources += [word.rstrip("/") for word in words[:-1]]
    return sources


def in_context(relative: str, ignore_file: Path = ROOT / ".dockerignore") -> bool:
    """Whether .dockerignore lets `relative` into the build context (the subset of its syntax used here:
    patterns in order, the last match wins, `!` re-includes, a directory pattern covers what is below it)."""
    included = True
    for raw in ignore_file.read_text(encoding="utf-8").splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        candidates = [relative] + [str(parent) for parent in Path(relative).parents if str(parent) != "."]
        if any(_matches(candidate, pattern) for candidate in candidates):
            included = negate
    return included


def _matches(path: str, pattern: str) -> bool:
    if pattern.startswith("**/"):
        return any(fnmatch.fnmatchcase(part, pattern[3:]) for part in Path(path).parts) or fnmatch.fnmatchcase(
            path, pattern[3:]
        )
    return fnmatch.fnmatchcase(path, pattern) and path.count("/") == pattern.count("/")


def project_files_imported_by_the_app(credit_model_dir: Path) -> list[str]:
    """Every project file imported by the app, the credit model loaded (unpickling it imports the classes
    of its pipeline)."""
    code = (
        "import sys, api.main\n"
        "from api.credit import load_credit\n"
        f"assert load_credit({str(credit_model_dir)!r}).available\n"
        "for module in sys.modules.values():\n"
        "    file = getattr(module, '__file__', None)\n"
        "    if file: print(file)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    files = [Path(line) for line in result.stdout.splitlines()]
    return sorted(
        str(file.relative_to(ROOT)) for file in files if file.is_relative_to(ROOT) and ".venv" not in file.parts
    )


def test_requirements_api_is_pinned_to_the_lock_and_light() -> None:
    api = _pins(ROOT / "requirements-api.txt")
    lock = _pins(ROOT / "requirements.lock")
    assert {name: version for name, version in api.items() if lock.get(name) != version} == {}
    assert FORBIDDEN.isdisjoint(api)
    assert CREDIT_RUNTIME <= set(api)


def _hashed_pins(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name → (version, sha256 hashes) of a pip-compile --generate-hashes file."""
    text = re.sub(r"\\\n\s*", " ", path.read_text(encoding="utf-8"))
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement, *options = line.split()
            name, _, version = requirement.partition("==")
            pins[_key(name)] = (version, [o.removeprefix("--hash=sha256:") for o in options if o.startswith("--hash=")])
    return pins


def test_the_hashed_lock_pins_what_requirements_api_pins_each_with_hashes() -> None:
    """requirements-api.lock (pip-compile --generate-hashes, installed with --require-hashes) is
    requirements-api.txt with hashes: same packages, same versions, at least one SHA-256 each."""
    hashed = _hashed_pins(ROOT / "requirements-api.lock")
    listed = _pins(ROOT / "requirements-api.txt")
    assert {name: version for name, (version, _) in hashed.items()} == listed
    assert all(hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes) for _, hashes in hashed.values())


def test_requirements_api_is_a_closed_set() -> None:
    """Every dependency of a listed package is listed too, so the image gets no unpinned version."""
    import importlib.metadata as metadata

    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    listed = _pins(ROOT / "requirements-api.txt")
    extras = {"psycopg": {"binary"}}
    environment = default_environment()
    missing = set()
    for name in listed:
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            wanted = extras.get(name, set()) | {""}
            if requirement.marker and not any(requirement.marker.evaluate(environment | {"extra": e}) for e in wanted):
                continue
            if _key(requirement.name) not in listed:
                missing.add(f"{requirement.name} (for {name})")
    assert missing == set()


def test_the_app_runs_with_only_the_packages_of_requirements_api(credit_model_dir: Path) -> None:
    """Imports fail for any package the image lacks (image_python.py); the live-server tests serve this way too.

    Importing the app loads no credit library (XGBoost, scikit-learn, SHAP): loading the credit model does,
    and scores with the image's packages alone.
    """
    code = (
        "import sys, api.main, uvicorn.loops.uvloop, uvicorn.protocols.http.httptools_impl\n"
        "print(sorted(m for m in ('xgboost', 'sklearn', 'shap') if m in sys.modules))\n"
        "from api.credit import load_credit\n"
        "from pipelines.credit.scoring import EXAMPLE\n"
        f"credit = load_credit({str(credit_model_dir)!r})\n"
        "assert credit.available, credit.detail\n"
        "print(0 <= credit.model.scorer.score(EXAMPLE)['probability'] <= 1)\n"
        "try:\n"
        "    import tensorflow\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    command = [sys.executable, str(ROOT / "tests/api/image_python.py"), "-c", code]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "[]",
        "True",
        "No module named 'tensorflow' (not in requirements-api.txt)",
    ]


def test_the_image_contains_every_project_file_the_app_imports(credit_model_dir: Path) -> None:
    sources = copy_sources()
    imported = project_files_imported_by_the_app(credit_model_dir)
    assert "pipelines/weather/database.py" in imported and "api/main.py" in imported
    assert {"pipelines/credit/scoring.py", "pipelines/credit/features.py", "pipelines/credit/models.py"} <= set(
        imported
    )
    not_copied = [file for file in imported if not any(file == s or file.startswith(s + "/") for s in sources)]
    assert not_copied == []
    assert [file for file in imported if not in_context(file)] == []
    # …and the migrations the database layer runs, the form, and the artefacts the service reads.
    artefacts = ["data/db/weather.sqlite", "models/weather/model_card.json"]
    artefacts += [f"models/credit/{name}" for name in CREDIT_FILES]
    for path in artefacts:
        assert path in sources and in_context(path), path
    migrations = "pipelines/weather/migrations/versions/0001_initial.py"
    assert any(migrations.startswith(source + "/") for source in sources) and in_context(migrations)
    from api.credit import FORM_FILE  # read at import, not a module

    form = str(FORM_FILE.relative_to(ROOT))
    assert any(form.startswith(source + "/") for source in sources) and in_context(form)
    # The code is two packages copied whole: the API and the library; no stage command is imported or copied.
    assert {source for source in sources if source.endswith(".py") or "/" not in source} >= {"api", "pipelines"}
    assert [file for file in imported if file.startswith("stages/")] == []
    assert [source for source in sources if source.startswith("stages")] == []


def test_the_build_context_leaves_out_what_the_image_does_not_need() -> None:
    for path in (".venv/bin/python", ".git/config", "data/raw/weather/hourly.csv.gz", "models/weather/model.joblib",
                 "tests/api/test_app.py", "stages/weather/train_ml.py", "reports/weather/metrics.json", "params.yaml",
                 "api/__pycache__/main.cpython-311.pyc", "models/credit/candidates/xgboost.joblib",
                 "models/credit/train_summary.json", "stages/credit/train.py", "stages/credit/drift.py",
                 "data/interim/credit/train.csv.gz"):  # fmt: skip
        assert not in_context(path), path
    for path in ("api/main.py", "api/static/credit_form.html", "pipelines/common/logs.py",
                 "pipelines/weather/migrations/versions/0001_initial.py", "pipelines/credit/scoring.py"):  # fmt: skip
        assert in_context(path), path


def test_dockerfile_layers_and_runtime() -> None:
    steps = instructions()
    names = [instruction for instruction, _ in steps]
    bases = [arguments for instruction, arguments in steps if instruction == "FROM"]
    assert len(bases) >= 2 and all(base.startswith("python:3.11-slim") for base in bases)  # multi-stage, slim
    runtime = steps[names.index("FROM", 1) :]
    text = [f"{instruction} {arguments}" for instruction, arguments in steps]

    def position(fragment: str) -> int:
        return next(i for i, line in enumerate(text) if fragment in line)

    # Dependencies are installed before any code or data enters the image.
    assert position("pip install") < position("COPY api/") and position("pip install") < position("COPY data/")
    assert position("COPY requirements-api.lock") < position("pip install")
    install = text[position("pip install")]
    assert "--require-hashes" in install and "requirements-api.lock" in install
    # The version comes last, so a new commit only rebuilds that layer.
    assert position("ARG APP_VERSION") > max(i for i, line in enumerate(text) if line.startswith("COPY"))
    assert "ENV APP_VERSION=${APP_VERSION}" in text
    users = [arguments for instruction, arguments in runtime if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert any(instruction == "HEALTHCHECK" and "/health" in arguments for instruction, arguments in runtime)
    assert names[-1] == "CMD" and "api.main:app" in steps[-1][1]


@pytest.mark.parametrize("path", ["Dockerfile", ".dockerignore", "requirements-api.txt", ".github/workflows/ci.yml"])
def test_no_secret_in_delivery_files(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    assert not re.search(r"gh[pousr]_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|password:\s*(?!\$\{\{)\S", text)
