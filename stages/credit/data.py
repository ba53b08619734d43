"""Stage `credit_data`: read the application files, check every column and type, carve the test split.

The labelled file (Kaggle's `application_train` layout) is split into a training part, the only rows
any model, search or threshold ever sees, and a stratified, seeded test part kept for the final
evaluation. The unlabelled file (`application_test` layout) is the production-like "current" data of
the drift report. Full Kaggle files work the same way: point `credit.data.*_path` at them.
"""

from __future__ import annotations

import numpy as np

from pipelines.common.errors import DataError, ParamError
from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.paths import resolve
from pipelines.common.provenance import DATA_KINDS, file_sha256
from pipelines.common.stage import run_stage
from pipelines.credit.data import read_application, split_labelled, write_frame
from pipelines.credit.paths import CURRENT, DATA_SUMMARY, TEST, TRAIN
from pipelines.credit.schema import FEATURE_NAMES, ID, TARGET

log = get_logger("credit.data")


def main() -> None:
    data = load_params("credit").section("data")
    kind = data.choice("kind", DATA_KINDS)
    test_size = data.number("test_size", minimum=0.05, maximum=0.5)
    seed = data.integer("seed")
    max_rows = data.integer("max_labelled_rows", 0, minimum=0)
    paths = {
        "labelled": resolve(data.get("train_path", type_=str)),
        "current": resolve(data.get("current_path", type_=str)),
    }
    for key, path in paths.items():
        if not path.exists():
            raise ParamError(data.name(f"{'train' if key == 'labelled' else 'current'}_path"), f"{path} does not exist")

    labelled = read_application(paths["labelled"], labelled=True)
    current = read_application(paths["current"], labelled=False)
    overlap = np.intersect1d(labelled[ID], current[ID])
    if overlap.size:
        raise DataError(f"{overlap.size} {ID} value(s) are both labelled and current, e.g. {overlap[:3].tolist()}")
    train, test = split_labelled(labelled, test_size, seed, max_rows)
    for path, frame in ((TRAIN, train), (TEST, test), (CURRENT, current)):
        write_frame(path, frame)
    summary = {
        "source": data.get("source", type_=str),
        "description": data.get("description", type_=str),
        "kind": kind,
        "files": {
            key: {
                "path": str(data.get(f"{'train' if key == 'labelled' else 'current'}_path")),
                "sha256": file_sha256(path),
            }
            for key, path in paths.items()
        },
        "rows": {
            "labelled": len(labelled),
            "used": len(train) + len(test),
            "train": len(train),
            "test": len(test),
            "current": len(current),
        },
        "default_rate": {
            "labelled": round(float(labelled[TARGET].mean()), 5),
            "train": round(float(train[TARGET].mean()), 5),
            "test": round(float(test[TARGET].mean()), 5),
        },
        "features": len(FEATURE_NAMES),
        "test_size": test_size,
        "seed": seed,
        "max_labelled_rows": max_rows,
    }
    write_json(DATA_SUMMARY, summary)
    log.info(
        "%d labelled rows (%.2f %% defaults) → %d train / %d test; %d current rows",
        len(labelled),
        100 * labelled[TARGET].mean(),
        len(train),
        len(test),
        len(current),
    )


if __name__ == "__main__":
    run_stage(main, "credit.data")
