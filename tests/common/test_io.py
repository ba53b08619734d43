"""Atomic, reproducible writes."""

import gzip
from pathlib import Path

import pandas as pd
import pytest

from pipelines.common.io import atomic_path, read_json, write_csv, write_json, write_training_curves
from pipelines.common.paths import ROOT


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


def _killed_write(target, age_s: float):
    """What a SIGKILL'd atomic write leaves: a temp file beside the target, `age_s` old."""
    import os
    import subprocess
    import sys
    import time

    script = (
        "import os, sys\n"
        "from pipelines.common.io import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_text('half'); print(tmp, flush=True); os.kill(os.getpid(), 9)\n"
    )
    run = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == -9
    leftover = Path(run.stdout.strip())
    assert leftover.is_file()
    old = time.time() - age_s
    os.utime(leftover, (old, old))
    return leftover


def test_the_next_write_removes_what_a_killed_write_left(tmp_path):
    target = tmp_path / "metrics.json"
    stale = _killed_write(target, age_s=120)
    other = tmp_path / ".other.json.abc.tmp"  # another target's: not ours to remove
    other.write_text("x")
    write_json(target, {"a": 1})
    assert not stale.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.json.abc.tmp", "metrics.json"]


def test_a_recent_temporary_may_be_a_running_writer_and_is_kept(tmp_path):
    target = tmp_path / "metrics.json"
    recent = _killed_write(target, age_s=1)
    write_json(target, {"a": 1})
    assert recent.exists()


def test_atomic_dir_swaps_a_folder_whole_and_cleans_a_killed_staging(tmp_path):
    import os
    import time

    from pipelines.common.io import atomic_dir

    folder = tmp_path / "model"
    with atomic_dir(folder) as staging:
        (staging / "model.bin").write_text("1")
        (staging / "card.json").write_text("1")
    leftover = tmp_path / ".model.deadbeef"  # a staging folder of a killed run
    leftover.mkdir()
    old = time.time() - 120
    os.utime(leftover, (old, old))
    with pytest.raises(RuntimeError), atomic_dir(folder) as staging:
        (staging / "model.bin").write_text("2")
        raise RuntimeError("crash after the first file")
    assert {p.name: p.read_text() for p in folder.iterdir()} == {"model.bin": "1", "card.json": "1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
