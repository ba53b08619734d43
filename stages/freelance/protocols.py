"""Stage `freelance_protocols`: the client's published protocol re-run, then changed one step at a time into
ours with the same models and seeds (pipelines/freelance/protocol.py): which change moves the scores.

A diagnosis that reads every row by design; no served model or choice depends on it.
"""

from __future__ import annotations

import pandas as pd

from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import load_params
from pipelines.common.paths import resolve
from pipelines.common.seeds import seed_list
from pipelines.common.stage import run_stage
from pipelines.freelance.data import read_gigs
from pipelines.freelance.paths import PROTOCOLS
from pipelines.freelance.protocol import compare_protocols

log = get_logger("freelance.protocols")


def main() -> None:
    freelance = load_params("freelance")
    data, split, features = freelance.section("data"), freelance.section("split"), freelance.section("features")
    protocols = freelance.section("protocols")
    path, artefacts = resolve(data.get("path", type_=str)), tuple(data.string_list("level_artefacts", []))
    raw_levels = pd.read_csv(path, dtype=str, keep_default_na=False)["seller_level"].str.strip()
    gigs = read_gigs(path, artefacts).assign(level_artefact=raw_levels.isin(artefacts).to_numpy())
    seeds = seed_list(protocols.integer("seed"), protocols.integer("seeds", minimum=1), "freelance.protocols.seeds")
    results = compare_protocols(
        gigs,
        seeds,
        split.number("outlier_iqr_k", minimum=0),
        split.number("near_duplicate_cosine", minimum=0.05, maximum=1),
        features.get("text", type_=dict),
        features.number("prior_reviews", minimum=0),
    )
    write_json(PROTOCOLS, results)
    for name in results["steps"]:
        log.info(
            "%s: MAE %.3f ± %.3f, R² %.3f ± %.3f, band accuracy %.3f ± %.3f",
            name,
            results[name]["mae"]["mean"],
            results[name]["mae"]["std"],
            results[name]["r2"]["mean"],
            results[name]["r2"]["std"],
            results[name]["band_accuracy"]["mean"],
            results[name]["band_accuracy"]["std"],
        )


if __name__ == "__main__":
    run_stage(main, "freelance.protocols")
