"""A tiny end-to-end `dvc repro` of the reviews stages on a temporary copy of the project."""

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.dvc_project import copy_project, run

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
VARIANT = {"architecture": "lstm", "units": 8, "layers": 1, "dropout": 0.0, "optimizer": "adam", "learning_rate": 0.01}
SMALL_PARAMS = {
    "data": {"max_train_rows": 200},
    "baselines": {"classifiers": ["logreg", "naive_bayes"], "logreg_c_grid": [1.0], "nb_alpha_grid": [0.5]},
    "lstm": {"max_len": 24, "max_epochs": 1, "seeds": 2},
}
WHOLE_SECTIONS = {
    "reviews.baselines.features": {
        "bow": {"weighting": "count", "analyzer": "word", "ngram_range": [1, 1], "min_df": 1, "input": "content"},
        "tfidf": {"weighting": "tfidf", "analyzer": "word", "ngram_range": [1, 2], "min_df": 1, "input": "content"},
    },
    "reviews.lstm.variants": {
        "lstm_frozen": {**VARIANT, "trainable_embeddings": False},
        "bilstm_finetuned": {**VARIANT, "architecture": "bilstm", "trainable_embeddings": True},
    },
}


def replace_sections(copy: Path, sections: dict) -> None:
    """Replace whole params sections (the shared helper merges, which would keep the default models)."""
    params = yaml.safe_load((copy / "params.yaml").read_text())
    for dotted, value in sections.items():
        *parents, key = dotted.split(".")
        node = params
        for name in parents:
            node = node[name]
        node[key] = value
    (copy / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    copy = tmp_path_factory.mktemp("reviews_project")
    env = copy_project(copy, ["data/external/reviews"], "reviews", SMALL_PARAMS)
    replace_sections(copy, WHOLE_SECTIONS)
    run(["dvc", "repro", "--glob", "reviews_*"], copy, env)
    return copy, env


def test_repro_writes_the_metrics_contract_and_the_comparison(project):
    copy, _ = project
    metrics = json.loads((copy / "reports/reviews/metrics.json").read_text())
    assert {"data", "test", "best_model"} <= metrics.keys()
    assert metrics["data"]["kind"] == "real-sample" and metrics["data"]["splits"]["train"] == 200
    models = set(metrics["test"])
    assert {
        "bow_logreg",
        "bow_naive_bayes",
        "tfidf_logreg",
        "tfidf_naive_bayes",
        "lstm_frozen",
        "bilstm_finetuned",
    } == models
    assert all(isinstance(v, int | float) for scores in metrics["test"].values() for v in scores.values())
    assert set(metrics["validation"]) == models
    for split in ("validation", "test"):
        for model, entry in metrics[split].items():
            assert {"accuracy", "std", "seeds", "roc_auc", "f1"} == entry.keys()
            assert entry["seeds"] == (2 if "lstm" in model else 1)
    assert metrics["best_model"] in models
    assert set(metrics["datasets"]["allocine_tv"]["test"]) == models
    table = pd.read_csv(copy / "reports/reviews/comparison.csv")
    assert {"allocine_test_accuracy", "allocine_tv_test_accuracy", "allocine_validation_accuracy"} <= set(table.columns)


def test_repro_writes_reports_and_registers_the_chosen_model(project):
    copy, _ = project
    for report in ("evaluation.html", "error_analysis.html", "preprocessing.html"):
        text = (copy / "reports/reviews" / report).read_text()
        assert "Data provenance" in text and "real-sample" in text
    errors = json.loads((copy / "reports/reviews/error_analysis.json").read_text())
    assert errors["misclassified"] == sum(errors["by_cause"].values())
    card = json.loads((copy / "models/reviews/model_card.json").read_text())
    assert (copy / "models/reviews/sentiment_model" / card["file"]).is_file()
    assert card["library_versions"]["scikit-learn"]
    assert len(list((copy / "reports/reviews/lstm_curves").glob("*.csv"))) == 2


def test_second_repro_is_a_no_op_and_an_lstm_param_reruns_only_lstm_and_after(project):
    copy, env = project
    assert "up to date" in run(["dvc", "status", "--with-deps", "reviews_error_analysis"], copy, env).stdout.lower()
    params = yaml.safe_load((copy / "params.yaml").read_text())
    params["reviews"]["lstm"]["batch_size"] = 32
    (copy / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True))
    changed = json.loads(run(["dvc", "status", "--with-deps", "--json", "reviews_error_analysis"], copy, env).stdout)
    assert "reviews_train_lstm" in changed
    assert (
        not {"reviews_prepare", "reviews_preprocess", "reviews_train_baselines", "reviews_embeddings"} & changed.keys()
    )
