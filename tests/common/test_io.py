"""Atomic, reproducible writes."""

import gzip

import pandas as pd
import pytest

from stages.common.io import atomic_path, read_json, write_csv, write_json


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
