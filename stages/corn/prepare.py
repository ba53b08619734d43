"""Stage corn_prepare: read the Kaggle layout, subsample, decode, resize, split, cache as arrays.

`corn.data.source: synthetic` reads what corn_generate wrote; `kaggle` reads the real download
(`corn.data.root`: the folder that holds `ImagensTCCRotuladas`, or that folder itself).
Outputs `data/processed/corn/{train,validation,test}.npz` (uint8 images, labels, relative paths),
`dataset.json`, and a report with class counts and a sample grid per class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.common.errors import DataError, ParamError
from pipelines.common.io import read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.paths import resolve
from pipelines.common.stage import run_stage
from pipelines.corn.data import SYNTHETIC_WARNING, Split, english, save_split
from pipelines.corn.layout import CLASSES, ImageRecord, Scan, load_images, scan_layout, subsample
from pipelines.corn.paths import DATASET_SUMMARY, PREPARE_FIGURES, PREPARE_REPORT, SPLIT_FILES
from pipelines.corn.settings import PrepareParams, corn_params
from pipelines.reporting.plotting import plt, save_figure
from pipelines.reporting.report import Figure, Section, render_report

log = get_logger("corn.prepare")
SOURCES = {"synthetic": "synthetic", "kaggle": "real-sample"}
MANIFEST_NAME = "generation.json"


def find_manifest(root) -> dict | None:
    """The synthetic generator's manifest beside or above the data set folder, if any."""
    root = resolve(root)
    for folder in (root, root.parent):
        if (folder / MANIFEST_NAME).is_file():
            return read_json(folder / MANIFEST_NAME)
    return None


def split_validation(
    records: list[ImageRecord], fraction: float, rng: np.random.Generator
) -> tuple[list[ImageRecord], list[ImageRecord]]:
    """Carve a stratified validation split out of the training records (when the download has none)."""
    train, validation = [], []
    for label in CLASSES:
        members = [r for r in records if r.label == label]
        order = rng.permutation(len(members))
        cut = int(round(len(members) * fraction))
        validation += [members[i] for i in sorted(order[:cut])]
        train += [members[i] for i in sorted(order[cut:])]
    return train, validation


def select_records(scan: Scan, prepare: PrepareParams, rng: np.random.Generator) -> tuple[dict[str, list], dict]:
    """Records per split after the optional validation carve-out and per-class subsampling."""
    by_split = {split: [r for r in scan.records if r.split == split] for split in ("train", "validation", "test")}
    notes = {}
    if not by_split["train"] or not by_split["test"]:
        raise DataError(f"{scan.root}: need a training and a test folder, found {sorted(scan.split_folders)}")
    if not by_split["validation"]:
        fraction = prepare.validation_fraction
        by_split["train"], by_split["validation"] = split_validation(by_split["train"], fraction, rng)
        notes["validation"] = f"no validation folder: {fraction:.0%} of the training images of each class set aside"
    limits = prepare.max_per_class
    chosen = {split: subsample(records, getattr(limits, split), rng) for split, records in by_split.items()}
    return chosen, notes


def plot_counts(counts: pd.DataFrame, source_line: str, kind: str) -> Figure:
    fig, ax = plt.subplots(figsize=(9, 4))
    counts.T.plot.bar(ax=ax, rot=0)
    ax.set(
        title=f"Images per class and split after subsampling ({kind})",
        xlabel="class",
        ylabel="images",
    )
    ax.legend(title="split")
    return Figure(
        save_figure(fig, PREPARE_FIGURES / "class_counts.png", source_line), "Images per class in each split."
    )


def plot_samples(split: Split, per_class: int, kind: str, source_line: str) -> Figure:
    fig, axes = plt.subplots(len(CLASSES), per_class, figsize=(1.6 * per_class, 1.75 * len(CLASSES)), squeeze=False)
    for row, name in enumerate(CLASSES):
        indices = np.flatnonzero(split.labels == row)[:per_class]
        for col in range(per_class):
            ax = axes[row, col]
            ax.axis("off")
            if col < len(indices):
                ax.imshow(split.images[indices[col]])
            if col == 0:
                ax.set_title(english([name])[0], fontsize=9, loc="left")
    fig.suptitle(f"Training images, {per_class} per class ({kind})", fontweight="bold")
    fig.tight_layout()
    return Figure(
        save_figure(fig, PREPARE_FIGURES / "samples.png", source_line), "The first training images of each class."
    )


def main() -> None:
    params = corn_params()
    source = params.data.source
    kind = SOURCES[source]
    root = resolve(params.data.root)
    prepare = params.prepare
    size = prepare.image_size
    seed = params.seed
    manifest = find_manifest(root)
    if source == "synthetic" and manifest is None:
        raise ParamError("corn.data.root", f"{root} has no synthetic generation.json; run corn_generate or set source")
    if source == "kaggle" and manifest is not None:
        raise ParamError("corn.data.source", f"{root} was written by the synthetic generator, not downloaded")

    scan = scan_layout(root)
    log.info("found %d image files under %s (splits: %s)", len(scan.records), scan.root, scan.split_folders)
    rng = np.random.default_rng(seed)
    chosen, notes = select_records(scan, prepare, rng)
    splits, unreadable = {}, {}
    for split, records in chosen.items():
        loaded = load_images(records, size, scan.root)
        if len(loaded.labels) == 0:
            raise DataError(f"no readable image in the {split} split of {scan.root}")
        unreadable[split] = loaded.unreadable
        splits[split] = Split(loaded.images, loaded.labels, np.asarray(loaded.paths))
        if loaded.unreadable:
            log.warning("%s: skipped %d unreadable files, e.g. %s", split, len(loaded.unreadable), loaded.unreadable[0])
        save_split(SPLIT_FILES[split], splits[split])

    counts = {
        split: {name: int((s.labels == i).sum()) for i, name in enumerate(CLASSES)} for split, s in splits.items()
    }
    available = scan.counts()
    summary = {
        "source": source,
        "kind": kind,
        "root": params.data.root,
        "description": (
            "procedural synthetic field images (pipelines/corn/synthetic.py)"
            if source == "synthetic"
            else "Kaggle labeledcorndataset (ImagensTCCRotuladas), real smartphone photos"
        ),
        "image_size": size,
        "classes": list(CLASSES),
        "split_folders": scan.split_folders,
        "available": available,
        "counts": counts,
        "rows": int(sum(len(s) for s in splits.values())),
        "unreadable": {split: len(files) for split, files in unreadable.items()},
        "unreadable_examples": {split: files[:5] for split, files in unreadable.items() if files},
        "ignored_non_image_files": scan.ignored_files,
        "unknown_folders": scan.unknown_folders,
        "notes": notes,
        "generator": manifest,
    }
    write_json(DATASET_SUMMARY, summary)
    write_report(summary, splits)


def write_report(summary: dict, splits: dict[str, Split]) -> None:
    kind = summary["kind"]
    synthetic = kind == "synthetic"
    source_line = f"Data: {summary['description']} ({kind})"
    counts = pd.DataFrame(summary["counts"]).T.rename(columns=dict(zip(CLASSES, english(list(CLASSES)))))
    counts.index.name = "split"
    available = pd.DataFrame(summary["available"]).T
    skipped = sum(summary["unreadable"].values())
    figures = [plot_counts(counts, source_line, kind), plot_samples(splits["train"], 6, kind, source_line)]
    paragraphs = [
        f"{summary['rows']:,} images were decoded, centre-cropped to a square and resized to "
        f"{summary['image_size']}×{summary['image_size']} pixels, then cached as uint8 arrays "
        "(data/processed/corn/*.npz); training reads them through a tf.data pipeline with caching and prefetching.",
        f"{skipped} unreadable file(s) were skipped and counted "
        f"({', '.join(f'{s}: {n}' for s, n in summary['unreadable'].items())}); "
        f"{summary['ignored_non_image_files']} non-image file(s) were ignored.",
        *summary["notes"].values(),
    ]
    if synthetic:
        paragraphs.insert(
            0,
            f"These are {SYNTHETIC_WARNING}. The generator draws soil with clods, stones, straw and shadows, rows "
            "of strap-leaved corn plants, broad-leaf rosettes and grass tufts, and applies random zoom, rotation, "
            "camera tilt, colour cast, blur and noise. They exist so that the whole pipeline runs offline; to run it "
            "on the real Kaggle photos set corn.data.source: kaggle and corn.data.root (see the README).",
        )
    sections = [
        Section("Data", paragraphs, tables=[("Images used per split and class", counts)], figures=figures),
        Section(
            "Everything found on disk",
            ["Image files found in each split folder before subsampling (Kaggle folder names)."],
            tables=[("Files found", available)],
        ),
    ]
    provenance = {
        "data source": summary["description"],
        "kind": kind,
        "folder": summary["root"],
        "split folders": ", ".join(f"{k} = {v}" for k, v in summary["split_folders"].items()),
    }
    title = "Corn field images — data preparation" + (" (SYNTHETIC images, not real fields)" if synthetic else "")
    render_report(PREPARE_REPORT, title, provenance, sections)


if __name__ == "__main__":
    run_stage(main, "corn.prepare")
