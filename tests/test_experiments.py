"""`dvc exp run -S <pipeline>.<param>=…` is the experiment interface of every pipeline: the README's
worked example must keep working. In a committed copy of the project, each override is queued for
real (`dvc exp run --queue`: DVC validates it against params.yaml and stores the experiment), then
`dvc exp show` must list the experiment with the new value, and a stage of that pipeline must read the
parameter (so the experiment reruns something). Running the experiments is what the per-pipeline
end-to-end tests do with `dvc repro`."""

import json

import pytest
import yaml

from tests.dvc_project import copy_project, run

OVERRIDES = {
    "weather": ("weather.ml.xgboost.max_depth", 7, "weather_train_ml"),
    "corn": ("corn.train.epochs", 4, "corn_train_cnn"),
    "credit": ("credit.cost.fn", 5, "credit_evaluate"),
    "reviews": ("reviews.lstm.max_epochs", 2, "reviews_train_lstm"),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    copy = tmp_path_factory.mktemp("experiments")
    env = copy_project(copy, [], "weather", {})
    run(["git", "add", "-A"], copy, env)
    run(["git", "commit", "-q", "-m", "project copy"], copy, env)
    yield copy, env
    run(["dvc", "queue", "remove", "--all"], copy, env, check=False)


def lookup(tree: dict, dotted: str):
    for key in dotted.split("."):
        tree = tree[key]
    return tree


def queued_params(copy, env) -> dict[str, dict]:
    shown = json.loads(run(["dvc", "exp", "show", "--json"], copy, env).stdout)
    return {
        rev["name"]: rev["data"]["params"]["params.yaml"]["data"]
        for row in shown
        for experiment in row.get("experiments") or []
        for rev in experiment.get("revs", [])
        if rev.get("name") and rev.get("data")
    }


@pytest.fixture(scope="module")
def queued(project) -> dict[str, dict]:
    """Queue one experiment per pipeline, then read them back as `dvc exp show` lists them."""
    copy, env = project
    for pipeline, (name, value, _) in OVERRIDES.items():
        run(["dvc", "exp", "run", "--queue", "-n", f"try-{pipeline}", "-S", f"{name}={value}"], copy, env)
    return queued_params(copy, env)


@pytest.mark.parametrize("pipeline", sorted(OVERRIDES))
def test_exp_run_accepts_a_parameter_of_every_pipeline(project, queued, pipeline):
    copy, _ = project
    name, value, stage = OVERRIDES[pipeline]
    assert lookup(queued[f"try-{pipeline}"], name) == value
    assert lookup(yaml.safe_load((copy / "params.yaml").read_text()), name) != value  # the workspace is untouched
    declared = yaml.safe_load((copy / "dvc.yaml").read_text())["stages"][stage].get("params", [])
    names = [entry if isinstance(entry, str) else next(iter(entry)) for entry in declared]
    assert any(name == declared_name or name.startswith(declared_name + ".") for declared_name in names), names


def test_exp_run_names_an_unknown_parameter(project):
    copy, env = project
    result = run(["dvc", "exp", "run", "--queue", "-S", "weather.ml.xgboost.max_dept=7"], copy, env, check=False)
    assert result.returncode != 0
    assert "weather.ml.xgboost.max_dept" in result.stdout + result.stderr
