"""`dvc plots show` renders every plot declared at the top level of dvc.yaml from the committed data,
and `dvc metrics show` reads every declared metrics file: what `dvc plots diff` / `dvc metrics diff`
compare across commits and experiments."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipelines.common.paths import ROOT

DVC = shutil.which("dvc", path=str(Path(sys.executable).parent)) or "dvc"
PIPELINE = yaml.safe_load((ROOT / "dvc.yaml").read_text())
PLOT_IDS = [next(iter(plot)) for plot in PIPELINE["plots"]]


def dvc(*args: str) -> dict:
    result = subprocess.run(
        [DVC, *args], cwd=ROOT, capture_output=True, text=True, timeout=300, env=os.environ | {"DVC_NO_ANALYTICS": "1"}
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def plots() -> dict:
    return dvc("plots", "show", "--json")


def interpolated(text: str) -> str:
    """A dvc.yaml string with its `${a.b}` params filled in, as DVC renders it."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())

    def value(match: re.Match) -> str:
        node = params
        for key in match.group(1).split("."):
            node = node[key]
        return str(node)

    return re.sub(r"\$\{([\w.]+)\}", value, text)


def pipeline_of(plot_id: str) -> str:
    """`weather_rmse_by_step` → weather; a folder plot `reports/corn/training_curves` → corn."""
    return plot_id.split("/")[1] if plot_id.startswith("reports/") else plot_id.split("_")[0]


def test_every_pipeline_has_top_level_plots():
    assert {pipeline_of(plot_id) for plot_id in PLOT_IDS} == {"weather", "corn", "credit", "reviews"}


def test_no_plot_fails_to_render(plots):
    assert not plots.get("errors"), plots["errors"]


@pytest.mark.parametrize("plot_id", PLOT_IDS)
def test_plot_renders_with_data(plots, plot_id):
    # A folder plot renders one chart per file in it, keyed by the file's path.
    rendered = [
        spec
        for key, specs in plots["data"].items()
        if key == plot_id or key.startswith(plot_id + "/")
        for spec in specs
    ]
    assert rendered, f"{plot_id}: nothing rendered"
    title = interpolated(PIPELINE["plots"][PLOT_IDS.index(plot_id)][plot_id]["title"])
    for spec in rendered:
        assert spec["type"] == "vega"
        assert title in json.dumps(spec["content"], ensure_ascii=False)
        assert len(spec["content"]["data"]["values"]) >= 2, f"{plot_id}: fewer than 2 data points"


def test_metrics_show_reads_every_declared_file():
    shown = dvc("metrics", "show", "--json")
    workspace = shown[""]["data"]  # DVC 3 keys the workspace by ""
    for path in PIPELINE["metrics"]:
        assert workspace.get(path, {}).get("data"), f"{path}: not read by dvc metrics show"
