"""The same inputs give the same bytes: Evidently's pages (time-based ids) and SHAP's beeswarm (random jitter)."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import shap

from pipelines.credit.drift import drift_report, stable_ids, write_drift_page
from stages.credit import explain
from tests.reports.test_browser import browser, open_page  # noqa: F401  (the fixture, with Chromium's flags)

PROVENANCE = {"data source": "test frames", "kind": "synthetic"}
EVIDENTLY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _frames(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    reference = pd.DataFrame({"amount": rng.normal(size=300), "kind": rng.choice(["a", "b"], 300)})
    current = pd.DataFrame({"amount": rng.normal(1, 1, 300), "kind": rng.choice(["a", "b"], 300, p=[0.2, 0.8])})
    return reference, current


def test_stable_ids_renumber_each_generated_id_consistently_and_leave_other_ids():
    first, second = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "0190a1b2-c3d4-7fff-9a9b-0c1d2e3f4a5c"
    nil, namespace = "00000000-0000-0000-0000-000000000000", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
    dashboard = "e2225ca924e041459ec30c067f451af8"
    html = (
        f'<div id="root_metric_{dashboard}"></div><script>show("{first}", "{second}", "{first}", "{nil}", '
        f'"{namespace}", "{dashboard}"); draw(metric_{dashboard})</script>'
    )
    stable = stable_ids(html)
    one, two, zero = "00000000-0000-7000-8000-000000000001", "00000000-0000-7000-8000-000000000002", "0" * 32
    assert stable == (
        f'<div id="root_metric_{zero}"></div><script>show("{one}", "{two}", "{one}", "{nil}", '
        f'"{namespace}", "{dashboard}"); draw(metric_{zero})</script>'
    )  # a 32-hex string not named metric_… is not Evidently's id: left alone
    assert stable_ids(stable) == stable
    other_run = (
        html.replace(first, "0190ffff-0000-7000-8000-000000000abc")
        .replace(second, "0191aaaa-0000-7000-b000-00000000def0")
        .replace(f"metric_{dashboard}", "metric_659494dc5dc442278cc82b4a5836d992")
    )
    assert stable_ids(other_run) == stable  # other generated ids, same page


def test_the_evidently_page_is_the_same_bytes_twice_and_renders(tmp_path, browser):  # noqa: F811
    reference, current = _frames()
    pages = []
    for run in ("first", "second"):
        path = tmp_path / f"{run}.html"
        write_drift_page(drift_report(reference, current, ["amount", "kind"]), path, "Drift", PROVENANCE, "A note.")
        pages.append(path)
    raw = pages[0].read_text(encoding="utf-8")
    assert len(set(EVIDENTLY_ID.findall(raw))) > 3  # Evidently's ids are there, renumbered
    assert set(EVIDENTLY_ID.findall(raw)) <= {f"00000000-0000-7000-8000-{i:012x}" for i in range(1000)}
    assert hashlib.sha256(pages[0].read_bytes()).hexdigest() == hashlib.sha256(pages[1].read_bytes()).hexdigest()

    page, problems = open_page(browser, pages[0].as_uri())
    page.wait_for_function("document.body.innerText.includes('amount')", timeout=30_000)
    text = page.inner_text("body")
    assert "Drift" in page.title() and "A note." in text and "kind" in text
    assert page.locator("#provenance").count() == 1
    assert not problems, problems
    page.close()


def test_the_beeswarm_is_the_same_bytes_twice(tmp_path, monkeypatch):
    monkeypatch.setattr(explain, "FIGURES", tmp_path)
    rng = np.random.default_rng(1)
    values, data = rng.normal(size=(300, 6)), rng.normal(size=(300, 6))
    explanation = shap.Explanation(values, base_values=np.zeros(300), data=data, feature_names=list("abcdef"))
    digests = []
    for _ in range(2):
        np.random.seed(None)  # whatever state the global generator is in before
        figure = explain._beeswarm(explanation, 6, "log-odds", "Source: test", seed=3)
        digests.append(hashlib.sha256(figure.path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    state = np.random.get_state()[1].copy()
    explain._beeswarm(explanation, 6, "log-odds", "Source: test", seed=3)
    assert (np.random.get_state()[1] == state).all()  # the caller's global generator is left as it was
