"""The model stays behind the API: the dashboard's code cannot load or run it, only ask the API."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.dashboard.conftest import ROOT

PACKAGE = ROOT / "dashboard"


def test_the_dashboard_imports_neither_the_model_libraries_nor_the_api() -> None:
    """Every module app.py imports, imported in a fresh interpreter: XGBoost and SHAP (what the registered model
    needs to score and explain) and the API's own code stay out, so nothing is scored in the dashboard."""
    tree = ast.parse((PACKAGE / "app.py").read_text(encoding="utf-8"))
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
    modules = sorted(
        {node.module for node in imports}
        | {f"dashboard.{a.name}" for n in imports if n.module == "dashboard" for a in n.names}
    )
    assert "dashboard.client" in modules and "dashboard.views" in modules
    code = f"import sys, importlib; [importlib.import_module(m) for m in {modules!r}]; " + (
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('xgboost', 'shap', 'api')))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_no_dashboard_module_reads_the_registered_model() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "models/credit" not in text and "model.joblib" not in text and "CreditScorer" not in text, path.name
