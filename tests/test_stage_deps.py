"""The DAG cannot silently go stale: every project file a stage's code imports is among its `deps`, and a
stage command never imports another stage command (what stages share lives in `pipelines/`)."""

from __future__ import annotations

import pytest

from tests.stage_imports import ROOT, covered, expected_code_deps, relevant_files, stage_module, stages

STAGES = stages()


@pytest.mark.parametrize("name", sorted(STAGES))
def test_deps_cover_every_imported_project_file(name):
    stage = STAGES[name]
    module = stage_module(stage)
    deps = [str(dep) for dep in stage.get("deps", [])]
    missing = [file for file in relevant_files(module) if not covered(file, deps)]
    assert not missing, (
        f"{name}: dvc.yaml deps miss {missing}; the code deps the rule gives are:\n  - "
        + "\n  - ".join(expected_code_deps(module))
    )


@pytest.mark.parametrize("name", sorted(STAGES))
def test_code_deps_are_only_what_the_stage_imports(name):
    """No stale code dep either: a file or folder listed but never imported reruns the stage for nothing."""
    module = stage_module(STAGES[name])
    files = relevant_files(module)
    code_deps = [d for d in map(str, STAGES[name].get("deps", [])) if d.startswith(("stages/", "pipelines/"))]
    unused = [dep for dep in code_deps if not any(covered(file, [dep]) for file in files)]
    assert not unused, f"{name}: dvc.yaml lists {unused}, which the stage's code never imports"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_a_stage_command_imports_no_other_stage_command(name):
    module = stage_module(STAGES[name])
    own = ROOT / (module.replace(".", "/") + ".py")
    others = [file for file in relevant_files(module) if file.startswith("stages/") and ROOT / file != own]
    assert not others, f"{name} ({module}) imports other stage commands {others}: move what they share to pipelines/"


def test_every_stage_command_is_a_dvc_stage_and_every_library_module_is_outside_stages():
    """stages/ holds the commands DVC runs and nothing else; the library is pipelines/."""
    commands = {stage_module(stage).replace(".", "/") + ".py" for stage in STAGES.values()}
    files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "stages").rglob("*.py") if p.name != "__init__.py"}
    assert files - commands == set(), f"modules in stages/ that no dvc.yaml stage runs: {sorted(files - commands)}"
    assert commands - files == set(), f"dvc.yaml runs modules that do not exist: {sorted(commands - files)}"
