"""Atomic, reproducible writes."""

import gzip

import pandas as pd
import pytest

from pipelines.common.io import atomic_path, read_json, write_csv, write_json, write_training_curves


def test_gzip_csv_is_byte_reproducible_and_readable(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    first, second = tmp_path / "one.csv.gz", tmp_path / "two.csv.gz"
    write_csv(first, frame, index=False)
    write_csv(second, frame, index=False)
    assert first.read_bytes() == second.read_bytes()
    pd.testing.assert_frame_equal(pd.read_csv(first), frame)
    assert gzip.decompress(first.read_bytes()).decode().startswith("a,b")


def test_a_failed_write_leaves_neither_output_nor_temp_file(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"kept": True})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert read_json(target) == {"kept": True}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_training_curves_replace_the_whole_folder(tmp_path):
    folder = tmp_path / "curves"
    write_training_curves(folder, {"old_run": {"loss": [1.0]}, "kept": {"loss": [0.9, 0.5], "accuracy": [0.6, 0.8]}})
    write_training_curves(folder, {"kept": {"loss": [0.8, 0.4], "accuracy": [0.65, 0.85]}})
    assert sorted(p.name for p in folder.iterdir()) == ["kept.csv"]
    frame = pd.read_csv(folder / "kept.csv")
    assert list(frame.columns) == ["epoch", "loss", "accuracy"]
    assert frame["epoch"].tolist() == [1, 2] and frame["loss"].tolist() == [0.8, 0.4]
    assert [p.name for p in tmp_path.iterdir()] == ["curves"]  # no staging folder left behind


def test_training_curves_keep_the_previous_folder_when_a_run_is_bad(tmp_path):
    folder = tmp_path / "curves"
    write_training_curves(folder, {"good": {"loss": [1.0, 0.5]}})
    with pytest.raises(ValueError):
        write_training_curves(folder, {"bad": {"loss": [1.0, 0.5], "accuracy": [0.5]}})  # ragged history
    assert [p.name for p in folder.iterdir()] == ["good.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["curves"]
