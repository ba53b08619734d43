"""The same model gives the same bytes in every process: DVC sees an unchanged output, the card's SHA-256 holds."""

from __future__ import annotations

import os
import subprocess
import sys

from pipelines.common.paths import ROOT

SCRIPT = """
import hashlib, io, joblib
from pipelines.freelance.models import drop_pruned_vocabulary
from pipelines.freelance.two_head import TwoInputEncoder
from tests.freelance.conftest import GIGS_FILE, fit_estimator
from pipelines.freelance.data import read_gigs
gigs = read_gigs(GIGS_FILE, ("Clients",)).head(300)
for model in (fit_estimator(gigs, "ridge", "decision_tree"), TwoInputEncoder(8).fit(gigs)):
    buffer = io.BytesIO()
    joblib.dump(drop_pruned_vocabulary(model), buffer)
    print(hashlib.sha256(buffer.getvalue()).hexdigest())
"""


def digests(hash_seed: str) -> list[str]:
    env = os.environ | {"PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.split()


def test_pickles_do_not_depend_on_the_process_hash_seed():
    first, second = digests("1"), digests("2")
    assert len(first) == 2 and first == second


def test_the_estimator_still_answers_without_the_pruned_vocabulary(gigs):
    from pipelines.freelance.models import drop_pruned_vocabulary
    from tests.freelance.conftest import fit_estimator

    estimator = fit_estimator(gigs.head(300))
    before = estimator.estimate("I will do web scraping with python", 4.9, 20, "level_1")
    drop_pruned_vocabulary(estimator)
    vectorizer = estimator.price_model.named_steps["features"].named_transformers_["text"]
    assert not hasattr(vectorizer, "stop_words_") and not hasattr(vectorizer, "_stop_words_id")
    assert estimator.estimate("I will do web scraping with python", 4.9, 20, "level_1") == before


def test_the_registered_estimator_pickles_its_candidates_bytes_and_loads_them_back(tmp_path, gigs):
    import io

    import joblib

    from tests.freelance.conftest import fit_estimator

    fitted = fit_estimator(gigs.head(300), "ridge", "random_forest")
    blobs = {}
    for key in ("price_model", "band_model"):
        buffer = io.BytesIO()
        joblib.dump(getattr(fitted, key), buffer)
        blobs[key] = buffer.getvalue()
    fitted.sources = blobs
    joblib.dump(fitted, tmp_path / "a.joblib")
    loaded = joblib.load(tmp_path / "a.joblib")
    joblib.dump(loaded, tmp_path / "b.joblib")  # a loaded forest re-pickled from its file's bytes, not its nodes
    assert (tmp_path / "a.joblib").read_bytes() == (tmp_path / "b.joblib").read_bytes()
    gig = ("I will do web scraping with python", 4.9, 20, "level_1")
    assert loaded.estimate(*gig) == fitted.estimate(*gig)
