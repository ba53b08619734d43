"""The model registry: `artifacts:` in dvc.yaml names the models, GTO git tags record their versions and
which one is in which stage (docs/registry.md), and `dvc artifacts get --stage prod` fetches the model in
production. Checked end to end on a throw-away repository with the project's own artifact names."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipelines.common.paths import ROOT

BIN = Path(sys.executable).parent
ARTIFACTS = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["artifacts"]
# GTO's rule for an artifact name: lower-case letters, digits and dashes, starting with a letter.
NAME = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")


def test_every_artifact_is_a_stage_output_with_a_name_gto_accepts():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    outs = {
        next(iter(out)) if isinstance(out, dict) else out for stage in stages.values() for out in stage.get("outs", [])
    }
    for name, artifact in ARTIFACTS.items():
        assert NAME.match(name), name
        assert artifact["type"] == "model" and artifact.get("desc"), name
        assert artifact["path"] in outs, f"{name}: {artifact['path']} is not the output of any stage"


def _run(*args: str, cwd: Path) -> str:
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "DVC_NO_ANALYTICS": "1", "HOME": str(cwd.parent),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result.stdout


@pytest.mark.slow
def test_register_promote_and_fetch_the_production_model(tmp_path):
    name = "credit-default-scorer"
    path = ARTIFACTS[name]["path"]
    repo = tmp_path / "repo"
    repo.mkdir()
    _run("git", "init", "-q", cwd=repo)
    _run(str(BIN / "dvc"), "init", "-q", cwd=repo)
    # A stage that "trains" the model from params, declared as the project declares its registry.
    pipeline = {
        "stages": {
            "train": {
                "cmd": f"python -c \"import yaml, pathlib; p = pathlib.Path('{path}'); "
                "p.parent.mkdir(parents=True, exist_ok=True); "
                "p.write_text('weights ' + str(yaml.safe_load(open('params.yaml'))['seed']))\"",
                "params": ["seed"],
                "outs": [path],
            }
        },  # fmt: skip
        "artifacts": {name: ARTIFACTS[name]},
    }
    (repo / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    dvc, gto = str(BIN / "dvc"), str(BIN / "gto")
    for seed, version in ((1, "v1.0.0"), (2, "v1.1.0")):
        (repo / "params.yaml").write_text(f"seed: {seed}\n")
        _run(dvc, "repro", "-q", cwd=repo)
        _run("git", "add", "-A", cwd=repo)
        _run("git", "commit", "-qm", f"train with seed {seed}", cwd=repo)
        _run(gto, "register", name, "--version", version, cwd=repo)
    _run(gto, "assign", name, "--version", "v1.0.0", "--stage", "prod", cwd=repo)
    shown = json.loads(_run(gto, "show", "--json", cwd=repo))
    assert shown[name]["version"] == "v1.1.0" and shown[name]["stage"]["prod"] == "v1.0.0"
    # Promotion is one more tag; the production model is then the new version's file.
    _run(gto, "assign", name, "--version", "v1.1.0", "--stage", "prod", cwd=repo)
    assert _run(gto, "show", f"{name}#prod", "--version", cwd=repo).strip() == "v1.1.0"
    fetched = {}
    for label, selector in (("prod", ["--stage", "prod"]), ("v1.0.0", ["--rev", "v1.0.0"])):
        out = tmp_path / label
        out.mkdir()
        _run(dvc, "artifacts", "get", str(repo), name, *selector, "-o", str(out / "model"), cwd=out)
        fetched[label] = (out / "model").read_text()
    assert fetched == {"prod": "weights 2", "v1.0.0": "weights 1"}
    shutil.rmtree(repo)
