"""Stage `freelance_register`: the price and band models chosen on the CV folds become the registered
estimator (`models/freelance/model.joblib`, dvc.yaml `artifacts: freelance-price-estimator`), with its card.

The card says what the estimator is, how its interval was made, how it scored (CV and test), which data
and which library versions made it (a pickle is only safe to load with the same versions), and the
SHA-256 of the pickle, which the API checks before unpickling it.
"""

from __future__ import annotations

import joblib

from pipelines.common.io import atomic_path, read_json, write_json
from pipelines.common.logs import get_logger
from pipelines.common.provenance import file_sha256
from pipelines.common.stage import run_stage
from pipelines.freelance.estimator import FreelanceEstimator
from pipelines.freelance.paths import CANDIDATES, METRICS, MODEL, MODEL_CARD, PREPARE_SUMMARY, TRAIN, TRAIN_SUMMARY
from pipelines.freelance.split import read_split
from pipelines.model_card import fingerprint_version, model_card

log = get_logger("freelance.register")
MODEL_NAME = "freelance-price-estimator"  # the name in dvc.yaml's artifacts


def model_version(price: str, band: str, summary: dict, train_sha256: str) -> str:
    """Same models, parameters, edges and training rows → same version."""
    return fingerprint_version(
        f"{price}+{band}",
        [
            price,
            band,
            summary["price"][price]["best_params"],
            summary["band"][band]["best_params"],
            summary["band_edges"],
            train_sha256,
        ],
    )


def main() -> None:
    summary, metrics, prepared = read_json(TRAIN_SUMMARY), read_json(METRICS), read_json(PREPARE_SUMMARY)
    price, band = metrics["chosen"]["price_model"], metrics["chosen"]["band_model"]
    train, edges = read_split(TRAIN)
    train_sha256 = file_sha256(TRAIN)
    version = model_version(price, band, summary, train_sha256)
    files = {"price_model": CANDIDATES / f"price_{price}.joblib", "band_model": CANDIDATES / f"band_{band}.joblib"}
    estimator = FreelanceEstimator(
        price_model=joblib.load(files["price_model"]),
        band_model=joblib.load(files["band_model"]),
        price_name=price,
        band_name=band,
        edges=edges,
        interval_half_width=summary["price"][price]["interval_half_width"],
        interval_coverage=summary["interval_coverage"],
        price_floor=float(train["price"].min()),
        version=version,
        sources={key: path.read_bytes() for key, path in files.items()},
    )
    with atomic_path(MODEL) as tmp:
        joblib.dump(estimator, tmp)
    chosen = metrics["test"][metrics["best_model"]]
    card = model_card(
        name=MODEL_NAME,
        model=f"price: {price}, band: {band}",
        version=version,
        artefact=MODEL,
        task="price (thousands of PKR) and price band of a data/IT gig on Fiverr, from its text and seller",
        inputs={
            "text": "the gig's title or description (English)",
            "rating": "average rating 0–5, or null when unrated",
            "reviews": "number of reviews (0 when unrated)",
            "level": "none, level_1, level_2, top_rated (or the page's text: 'Level 2 Seller'…)",
        },
        outputs="price (thousands of PKR), an interval, band Low/Medium/High with probabilities",
        band_edges=list(edges),
        interval={
            "coverage": summary["interval_coverage"],
            "half_width": summary["price"][price]["interval_half_width"],
            "made_from": "quantile of the price model's out-of-fold absolute errors on the training split",
        },
        params={"price": summary["price"][price]["best_params"], "band": summary["band"][band]["best_params"]},
        metrics={
            "cv": {"mae": summary["price"][price]["cv_mean"], "band_accuracy": summary["band"][band]["cv_mean"]},
            "test": {key: chosen[key] for key in ("mae", "rmse", "r2", "band_accuracy", "interval_coverage")},
            "test_baseline": {key: metrics["test"]["dummy"][key] for key in ("mae", "rmse", "r2", "band_accuracy")},
            "targets_met": metrics["targets_met"],
        },
        data={
            "source": prepared["source"],
            "kind": prepared["kind"],
            "sha256": prepared["sha256"],
            "train_rows": prepared["rows"]["train"],
            "train_sha256": train_sha256,
        },
        intended_use="a first price suggestion for a data/IT gig on Fiverr, in Pakistani rupees of the scrape",
        limitations=[
            "trained on about 700 gigs of one scrape; prices above the training outlier fence "
            f"({prepared['outlier_fence']:.1f} thousand PKR) were removed and are never predicted",
            "the title and the seller's reputation explain little of the price (test R² in the card)",
        ],
        libraries=("xgboost", "joblib"),
    )
    write_json(MODEL_CARD, card)
    log.info("registered %s version %s", MODEL_NAME, version)


if __name__ == "__main__":
    run_stage(main, "freelance.register")
