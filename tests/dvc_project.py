"""Temporary copies of the project for the end-to-end `dvc repro` tests of every pipeline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from pipelines.common.paths import ROOT

# Every copy gets the code and the pipeline definitions; each test adds its own data folders.
BASE_FILES = ["stages", "pipelines", "params.yaml", "dvc.yaml"]


def deep_update(base: dict, changes: dict) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_update(base[key], value)
        else:
            base[key] = value


def set_params(copy: Path, pipeline: str, changes: dict) -> None:
    """Apply `changes` to the `pipeline` section of the copy's params.yaml."""
    params = yaml.safe_load((copy / "params.yaml").read_text())
    deep_update(params[pipeline], changes)
    (copy / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def run(args: list[str], cwd: Path, env: dict[str, str], check: bool = True, timeout: int = 900):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check:
        assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def copy_project(copy: Path, extra_files: list[str], pipeline: str, changes: dict) -> dict[str, str]:
    """Copy the project (code, pipeline definitions, `extra_files`) into `copy` as a fresh git + DVC repo
    with `changes` applied to the `pipeline` params; return the environment to run `dvc` in it."""
    for name in BASE_FILES + extra_files:
        source, target = ROOT / name, copy / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    set_params(copy, pipeline, changes)
    env = os.environ | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DVC_NO_ANALYTICS": "1",
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
    }
    env.pop("WEATHER_DATABASE_URL", None)
    run(["git", "init", "-q"], copy, env)
    run(["dvc", "init", "-q"], copy, env)
    return env
