"""The README's "Adding a pipeline" recipe, followed on a toy pipeline in a copy of the project: a library
package with its paths module, one thin stage command, a params section and a dvc.yaml stage whose code deps
are what the rule of tests/stage_imports.py gives. `dvc repro` runs it; the deps are right by construction:
a change to the library reruns the stage, a second repro is a no-op."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
import yaml

from tests.dvc_project import copy_project, run
from tests.stage_imports import covered, expected_code_deps, relevant_files

LIBRARY = {
    "pipelines/toy/__init__.py": '"""A toy pipeline: the mean as a baseline against a least-squares line."""\n',
    "pipelines/toy/paths.py": """
        \"\"\"Every file the toy stages exchange.\"\"\"

        from pipelines.common.paths import pipeline_dirs

        DIRS = pipeline_dirs("toy")
        METRICS = DIRS["reports"] / "metrics.json"
        """,
    "pipelines/toy/model.py": """
        \"\"\"Fit and score: what the stage calls.\"\"\"

        import numpy as np


        def scores(rows: int, seed: int) -> dict:
            rng = np.random.default_rng(seed)
            x = rng.uniform(0, 10, rows)
            y = 3 * x + rng.normal(0, 1, rows)
            slope, intercept = np.polyfit(x, y, 1)
            rmse = lambda predicted: round(float(np.sqrt(np.mean((y - predicted) ** 2))), 4)  # noqa: E731
            return {"mean": {"rmse": rmse(np.full(rows, y.mean()))}, "line": {"rmse": rmse(slope * x + intercept)}}
        """,
    "stages/toy/__init__.py": '"""Toy stage commands."""\n',
    "stages/toy/fit.py": """
        \"\"\"Stage toy_fit: the mean and a least-squares line on seeded data, scored by RMSE.\"\"\"

        from pipelines.common.io import write_json
        from pipelines.common.params import load_params
        from pipelines.common.stage import run_stage
        from pipelines.toy.model import scores
        from pipelines.toy.paths import METRICS


        def main() -> None:
            params = load_params("toy")
            test = scores(params.integer("rows", minimum=3), params.integer("seed"))
            best = min(test, key=lambda model: test[model]["rmse"])
            write_json(METRICS, {"data": {"kind": "synthetic", "rows": params.integer("rows")}, "test": test,
                                 "best_model": best})


        if __name__ == "__main__":
            run_stage(main, "toy.fit")
        """,
}


@pytest.mark.slow
@pytest.mark.e2e
def test_a_new_pipeline_following_the_recipe_runs_and_its_deps_are_right(tmp_path):
    copy = tmp_path / "project"
    env = copy_project(copy, [], "reports", {})
    for path, text in LIBRARY.items():
        (copy / path).parent.mkdir(parents=True, exist_ok=True)
        (copy / path).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    with open(copy / "params.yaml", "a", encoding="utf-8") as handle:
        handle.write("toy:\n  seed: 3\n  rows: 50\n")
    pipeline = yaml.safe_load((copy / "dvc.yaml").read_text(encoding="utf-8"))
    code_deps = expected_code_deps("stages.toy.fit", copy)
    assert code_deps == ["stages/toy/fit.py", "pipelines/common", "pipelines/toy"]
    pipeline["stages"] = {
        "toy_fit": {
            "cmd": "python -m stages.toy.fit",
            "deps": code_deps,
            "params": ["toy"],
            "outs": [{"reports/toy/metrics.json": {"cache": False}}],
        }
    }
    pipeline.pop("metrics", None), pipeline.pop("plots", None), pipeline.pop("artifacts", None)
    (copy / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False), encoding="utf-8")
    assert all(covered(file, code_deps) for file in relevant_files("stages.toy.fit", copy))

    run(["dvc", "repro", "toy_fit"], copy, env)
    contract = json.loads((copy / "reports/toy/metrics.json").read_text(encoding="utf-8"))
    assert contract["best_model"] == "line" and contract["test"]["line"]["rmse"] < contract["test"]["mean"]["rmse"]
    assert "didn't change, skipping" in run(["dvc", "repro", "toy_fit"], copy, env).stdout
    # A change to the library, not to the stage file: the folder dep reruns the stage.
    model = copy / "pipelines/toy/model.py"
    model.write_text(model.read_text(encoding="utf-8").replace("3 * x", "2 * x"), encoding="utf-8")
    assert "Running stage 'toy_fit'" in run(["dvc", "repro", "toy_fit"], copy, env).stdout
    help_text = run([sys.executable, "-m", "stages.toy.fit", "--help"], copy, env).stdout
    assert "Stage toy_fit: the mean and a least-squares line" in help_text and "Reads params.yaml: toy" in help_text
