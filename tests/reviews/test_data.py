"""The loader: CSV and Hugging Face layouts, without the `datasets` library, and clear failures."""

import sys

import pandas as pd
import pyarrow as pa
import pytest

from pipelines.common.errors import DataError
from pipelines.reviews.data import drop_cross_split_duplicates, find_split_files, load_reviews, stratified_sample

SPLIT_ROWS = {
    "train": (["Très bon film", "Nul, ennuyeux", "Superbe", "Raté"], [1, 0, 1, 0]),
    "validation": (["Bien joué", "Mauvais"], [1, 0]),
    "test": (["Magnifique", "Décevant", "Sublime"], [1, 0, 1]),
}


def frame(split: str, **extra) -> pd.DataFrame:
    reviews, labels = SPLIT_ROWS[split]
    return pd.DataFrame({"review": reviews, "polarity": labels, **extra})


@pytest.fixture(autouse=True)
def no_datasets_library(monkeypatch):
    """Every loader test runs as if `datasets` were not installed: importing it fails."""
    monkeypatch.setitem(sys.modules, "datasets", None)


def check_loaded(splits):
    for split, (reviews, labels) in SPLIT_ROWS.items():
        assert list(splits[split]["review"]) == reviews
        assert list(splits[split]["polarity"]) == labels
        assert list(splits[split].columns) == ["review", "polarity"]


def test_reads_gzip_csv_splits(tmp_path):
    for split in SPLIT_ROWS:
        frame(split).to_csv(tmp_path / f"{split}.csv.gz", index=False)
    splits, read = load_reviews(tmp_path)
    check_loaded(splits)
    assert {info["format"] for info in read["files"].values()} == {"csv"}
    assert all(len(info["sha256"]) == 64 for info in read["files"].values())


def test_reads_the_hugging_face_parquet_layout_under_data(tmp_path):
    (tmp_path / "data").mkdir()
    for split in SPLIT_ROWS:
        # The hub's files carry the label as int64 and may have extra columns.
        frame(split, extra=1).to_parquet(tmp_path / "data" / f"{split}-00000-of-00001.parquet", index=False)
    (tmp_path / "README.md").write_text("dataset card")
    splits, _ = load_reviews(tmp_path)
    check_loaded(splits)
    assert "datasets" not in [name for name, module in sys.modules.items() if module is not None]


def test_reads_flat_parquet_shards_and_concatenates_them(tmp_path):
    full = frame("train")
    full.iloc[:2].to_parquet(tmp_path / "train-00000-of-00002.parquet", index=False)
    full.iloc[2:].to_parquet(tmp_path / "train-00001-of-00002.parquet", index=False)
    frame("validation").to_parquet(tmp_path / "validation-00000-of-00001.parquet", index=False)
    frame("test").to_parquet(tmp_path / "test-00000-of-00001.parquet", index=False)
    splits, read = load_reviews(tmp_path)
    check_loaded(splits)
    assert len(read["files"]) == 4


def test_reads_a_save_to_disk_folder_with_pyarrow_alone(tmp_path):
    for split in SPLIT_ROWS:
        folder = tmp_path / split
        folder.mkdir()
        table = pa.Table.from_pandas(frame(split), preserve_index=False)
        with pa.OSFile(str(folder / "data-00000-of-00001.arrow"), "wb") as sink:
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
        (folder / "state.json").write_text("{}")
    splits, _ = load_reviews(tmp_path)
    check_loaded(splits)


def test_dev_is_read_as_validation_and_parquet_wins_over_csv(tmp_path):
    frame("train").to_parquet(tmp_path / "train.parquet", index=False)
    pd.DataFrame({"review": ["autre"], "polarity": [1]}).to_csv(tmp_path / "train.csv", index=False)
    frame("validation").to_csv(tmp_path / "dev.csv", index=False)
    frame("test").to_csv(tmp_path / "test.csv", index=False)
    assert find_split_files(tmp_path)["train"][0] == "parquet"
    check_loaded(load_reviews(tmp_path)[0])


def test_a_missing_column_fails_with_its_name(tmp_path):
    for split in SPLIT_ROWS:
        frame(split).rename(columns={"polarity": "label"}).to_csv(tmp_path / f"{split}.csv", index=False)
    with pytest.raises(DataError, match="missing column.*polarity.*found review, label"):
        load_reviews(tmp_path)


def test_a_label_outside_0_1_fails(tmp_path):
    for split in SPLIT_ROWS:
        frame(split).to_csv(tmp_path / f"{split}.csv", index=False)
    bad = frame("test")
    bad.loc[1, "polarity"] = 2
    bad.to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(DataError, match=r"test\.csv: 1 row\(s\) with a polarity outside \{0, 1\}"):
        load_reviews(tmp_path)


def test_a_missing_label_fails(tmp_path):
    for split in SPLIT_ROWS:
        frame(split).to_csv(tmp_path / f"{split}.csv", index=False)
    pd.DataFrame({"review": ["a", "b"], "polarity": [1, None]}).to_csv(tmp_path / "train.csv", index=False)
    with pytest.raises(DataError, match="polarity outside"):
        load_reviews(tmp_path)


def test_a_missing_split_or_folder_fails(tmp_path):
    frame("train").to_csv(tmp_path / "train.csv", index=False)
    with pytest.raises(DataError, match="no file for split.*validation, test"):
        load_reviews(tmp_path)
    with pytest.raises(DataError, match="not found"):
        load_reviews(tmp_path / "absent")


def test_empty_reviews_are_dropped_and_counted(tmp_path):
    for split in SPLIT_ROWS:
        frame(split).to_csv(tmp_path / f"{split}.csv", index=False)
    pd.DataFrame({"review": ["bien", "  ", None], "polarity": [1, 0, 1]}).to_csv(tmp_path / "train.csv", index=False)
    splits, read = load_reviews(tmp_path)
    assert list(splits["train"]["review"]) == ["bien"]
    assert read["files"][next(k for k in read["files"] if k.endswith("train.csv"))]["empty_dropped"] == 2


def test_cross_split_duplicates_leave_validation_and_test():
    splits = {"train": frame("train"), "validation": frame("validation"), "test": frame("test")}
    splits["test"] = pd.concat([splits["test"], frame("train").iloc[:1]], ignore_index=True)
    cleaned, dropped = drop_cross_split_duplicates(splits)
    assert dropped == {"train": 0, "validation": 0, "test": 1}
    assert "Très bon film" not in set(cleaned["test"]["review"])


def test_stratified_sample_keeps_label_shares():
    big = pd.DataFrame({"review": [f"r{i}" for i in range(1000)], "polarity": [i % 4 == 0 for i in range(1000)]})
    sample = stratified_sample(big.astype({"polarity": int}), 200, seed=1)
    assert len(sample) == 200 and sample["polarity"].sum() == 50
