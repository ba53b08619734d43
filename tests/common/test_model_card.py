"""The one model-card builder: shared fields first and always present, the artefact's hash computed."""

from __future__ import annotations

import hashlib

import pytest

from pipelines.common.errors import DataError
from pipelines.common.paths import ROOT
from pipelines.model_card import CLOSING_FIELDS, SHARED_FIELDS, fingerprint_version, model_card


def card_for(artefact, **changes):
    fields = {
        "name": "toy-model",
        "model": "ridge",
        "version": "ridge-000000000000",
        "artefact": artefact,
        "task": "a toy task",
        "intended_use": "tests",
        "limitations": ["trained on nothing"],
        "metrics": {"test": {"mae": 1.5}},
    }
    return model_card(**(fields | changes))


def test_shared_fields_come_first_then_sections_then_the_closing_fields(tmp_path):
    artefact = tmp_path / "model.joblib"
    artefact.write_bytes(b"weights")
    card = card_for(artefact, libraries=("joblib",))
    assert list(card) == [*SHARED_FIELDS, "metrics", *CLOSING_FIELDS]
    assert card["artefact_sha256"] == hashlib.sha256(b"weights").hexdigest()
    assert card["artefact"] == str(artefact)  # outside the project: the full path
    assert {"python", "numpy", "joblib"} <= set(card["library_versions"])
    assert card["metrics"] == {"test": {"mae": 1.5}}


def test_an_artefact_inside_the_project_is_named_relative_to_it():
    card = card_for(ROOT / "params.yaml")
    assert card["artefact"] == "params.yaml"


def test_a_folder_artefact_has_no_file_hash(tmp_path):
    assert card_for(tmp_path)["artefact_sha256"] is None


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"task": " "}, "'task'"),
        ({"version": ""}, "'version'"),
        ({"limitations": []}, "'limitations'"),
        ({"artefact_sha256": "forged"}, "artefact_sha256"),
        ({"library_versions": {}}, "library_versions"),
    ],
)
def test_a_card_refuses_empty_or_overridden_shared_fields_naming_them(tmp_path, changes, named):
    artefact = tmp_path / "model.joblib"
    artefact.write_bytes(b"weights")
    with pytest.raises(DataError, match=named):
        card_for(artefact, **changes)


def test_a_card_is_written_after_its_artefact(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        card_for(tmp_path / "missing.joblib")


def test_the_version_changes_with_any_part_of_the_fingerprint_only():
    first = fingerprint_version("xgboost", ["xgboost", {"depth": 4}, "sha-a"])
    assert first == fingerprint_version("xgboost", ["xgboost", {"depth": 4}, "sha-a"])
    assert first.startswith("xgboost-") and len(first) == len("xgboost-") + 12
    assert first != fingerprint_version("xgboost", ["xgboost", {"depth": 5}, "sha-a"])
    assert first != fingerprint_version("xgboost", ["xgboost", {"depth": 4}, "sha-b"])
