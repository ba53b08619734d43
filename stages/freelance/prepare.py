"""Stage `freelance_prepare`: parse the gigs, drop duplicates, split by near-duplicate group, remove
outliers and fix the band edges on the training split, and draw the exploration figures.

Everything decided here (outlier fence, band edges, the reliability prior of the figures) reads the
training rows only; the test rows are only filtered by the training fence and labelled with the
training edges.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.common.errors import ParamError
from pipelines.common.io import write_csv, write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.paths import resolve
from pipelines.common.provenance import DATA_KINDS, file_sha256
from pipelines.common.stage import run_stage
from pipelines.freelance import figures
from pipelines.freelance.data import level_counts, read_gigs
from pipelines.freelance.features import ReliabilityFeatures
from pipelines.freelance.paths import EXPLORATION_FIGURES, EXPLORATION_REPORT, PREPARE_SUMMARY, TEST, TRAIN
from pipelines.freelance.split import (
    BANDS,
    assign_bands,
    band_edges,
    drop_duplicates,
    group_split,
    near_duplicate_groups,
    outlier_fence,
)
from pipelines.freelance.text import exploration_text
from pipelines.reporting.report import Section, render_report

log = get_logger("freelance.prepare")


def main() -> None:
    freelance = load_params("freelance")
    data, split = freelance.section("data"), freelance.section("split")
    path = resolve(data.get("path", type_=str))
    if not path.exists():
        raise ParamError(data.name("path"), f"{path} does not exist")
    artefacts = tuple(data.string_list("level_artefacts", []))
    gigs = read_gigs(path, artefacts)
    raw_levels = pd.read_csv(path, dtype=str, keep_default_na=False)["seller_level"]
    unique, duplicates = drop_duplicates(gigs)
    groups = near_duplicate_groups(unique["title"], split.number("near_duplicate_cosine", minimum=0.05, maximum=1))
    unique["group"] = groups
    train_rows, test_rows = group_split(
        unique, groups, split.number("test_size", minimum=0.05, maximum=0.5), split.integer("seed")
    )
    train_all, test_all = unique.iloc[train_rows], unique.iloc[test_rows]
    fence = outlier_fence(train_all["price"].to_numpy(), split.number("outlier_iqr_k", minimum=0))
    train, test = train_all[train_all["price"] <= fence].copy(), test_all[test_all["price"] <= fence].copy()
    edges = band_edges(train["price"].to_numpy())
    for frame in (train, test):
        frame["band"] = assign_bands(frame["price"].to_numpy(), edges)
    write_csv(TRAIN, train, index=False)
    write_csv(TEST, test, index=False)

    prior_reviews = freelance.section("features").number("prior_reviews", minimum=0)
    prior_mean = ReliabilityFeatures(prior_reviews).fit(train).prior_mean_
    summary = {
        "source": data.get("source", type_=str),
        "description": data.get("description", type_=str),
        "kind": data.choice("kind", DATA_KINDS),
        "path": str(data.get("path")),
        "sha256": file_sha256(path),
        "rows": {
            "read": len(gigs),
            "exact_duplicates": duplicates,
            "unique": len(unique),
            "near_duplicate_groups": int(groups.max() + 1),
            "rows_in_multi_gig_groups": int((np.bincount(groups)[groups] > 1).sum()),
            "train_before_outliers": len(train_all),
            "test_before_outliers": len(test_all),
            "outliers_train": int(len(train_all) - len(train)),
            "outliers_test": int(len(test_all) - len(test)),
            "train": len(train),
            "test": len(test),
        },
        "groups_shared_by_train_and_test": int(np.intersect1d(train["group"], test["group"]).size),
        "missing": {
            "unrated": int(gigs["rating"].isna().sum()),
            "level_empty": level_counts(raw_levels, artefacts)["empty"],
            "level_artefact": level_counts(raw_levels, artefacts)["artefact"],
            "level_artefact_values": list(artefacts),
        },
        "outlier_rule": f"price > Q3 + {split.number('outlier_iqr_k')}·IQR of the training prices",
        "outlier_fence": round(fence, 4),
        "band_edges": [round(edge, 4) for edge in edges],
        "band_counts_train": {BANDS[i]: int((train["band"] == i).sum()) for i in range(3)},
        "band_counts_test": {BANDS[i]: int((test["band"] == i).sum()) for i in range(3)},
        "price_train": {
            "median": round(float(train["price"].median()), 4),
            "mean": round(float(train["price"].mean()), 4),
            "max_before_outliers": round(float(train_all["price"].max()), 4),
        },
        "reliability_prior": {"mean_rating": round(prior_mean, 4), "prior_reviews": prior_reviews},
        "unit": "thousands of PKR",
    }
    write_json(PREPARE_SUMMARY, summary)
    source = f"Data: {summary['description']} ({summary['kind']}); training split, {len(train_all)} gigs"
    drawn = [
        figures.price_distribution(
            train_all["price"].to_numpy(), fence, edges, EXPLORATION_FIGURES / "price_distribution.png", source
        ),
        figures.price_vs_reliability(
            train, prior_mean, prior_reviews, EXPLORATION_FIGURES / "price_vs_reliability.png", source
        ),
        figures.price_by_level(train, EXPLORATION_FIGURES / "price_by_level.png", source),
    ]
    sections = [Section("Data and split", exploration_text(summary, train), figures=drawn)]
    provenance = {
        "source": summary["source"],
        "kind": summary["kind"],
        "file": f"{summary['path']} (sha256 {summary['sha256'][:12]}…)",
        "rows": f"{len(gigs)} read, {len(train)} train / {len(test)} test after deduplication and outliers",
    }
    render_report(EXPLORATION_REPORT, "Freelance-service pricing — data and exploration", provenance, sections)
    log.info(
        "%d gigs, %d duplicates, %d groups → %d train / %d test (fence %.2f k PKR; edges %.3f, %.3f)",
        len(gigs),
        duplicates,
        summary["rows"]["near_duplicate_groups"],
        len(train),
        len(test),
        fence,
        *edges,
    )


if __name__ == "__main__":
    run_stage(main, "freelance.prepare")
