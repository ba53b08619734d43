"""Stage `credit_data`: read the application files, check every column and type, carve the test split.

The labelled file (Kaggle's `application_train` layout) is split into a training part, the only rows
any model, search or threshold ever sees, and a stratified, seeded test part kept for the final
evaluation. The unlabelled file (`application_test` layout) is the production-like "current" data of
the drift report. Full Kaggle files work the same way: point `credit.data.*_path` at them. Every value
is checked against the schema the API applies; `credit.data.invalid_rows` says whether a file holding one
the API would refuse is refused (the default) or loses those rows (pipelines/credit/data.py).
"""

from __future__ import annotations

import numpy as np

from pipelines.common.errors import DataError, ParamError
from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_section
from pipelines.common.paths import resolve
from pipelines.common.provenance import file_sha256
from pipelines.common.stage import run_stage
from pipelines.credit.data import read_application, split_labelled, write_frame
from pipelines.credit.paths import CURRENT, DATA_SUMMARY, TEST, TRAIN
from pipelines.credit.schema import FEATURE_NAMES, ID, TARGET
from pipelines.credit.settings import DataParams

log = get_logger("credit.data")


def main() -> None:
    data = load_section("credit.data", DataParams)
    paths = {"labelled": resolve(data.train_path), "current": resolve(data.current_path)}
    for key, path in paths.items():
        if not path.exists():
            raise ParamError(
                f"credit.data.{'train' if key == 'labelled' else 'current'}_path", f"{path} does not exist"
            )

    labelled = read_application(paths["labelled"], labelled=True, invalid_rows=data.invalid_rows)
    current = read_application(paths["current"], labelled=False, invalid_rows=data.invalid_rows)
    overlap = np.intersect1d(labelled[ID], current[ID])
    if overlap.size:
        raise DataError(f"{overlap.size} {ID} value(s) are both labelled and current, e.g. {overlap[:3].tolist()}")
    train, test = split_labelled(labelled, data.test_size, data.seed, data.max_labelled_rows, str(paths["labelled"]))
    for path, frame in ((TRAIN, train), (TEST, test), (CURRENT, current)):
        write_frame(path, frame)
    summary = {
        "source": data.source,
        "description": data.description,
        "kind": data.kind,
        "files": {
            key: {
                "path": data.train_path if key == "labelled" else data.current_path,
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
        "test_size": data.test_size,
        "seed": data.seed,
        "max_labelled_rows": data.max_labelled_rows,
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
