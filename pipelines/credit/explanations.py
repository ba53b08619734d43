"""SHAP values of a fitted credit pipeline, shared by the explain stage and the scoring service.

The pipeline is `ApplicationFeatures → encoder → ImbalanceHandler(model)`; SHAP explains the model on
the encoded features. Tree models (XGBoost, random forest) get TreeSHAP (exact, no background data);
the logistic regression gets LinearSHAP against a background sample of training rows. Values are in
the model's output units: log-odds for XGBoost and the logistic regression, probability for the
random forest. Encoded features are mapped back to the application or engineered field they come
from (one-hot levels and missing-value indicators add up), which is what a client can be told.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import shap
import xgboost
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from xgboost import XGBClassifier

from pipelines.common.errors import DataError
from pipelines.credit.features import source_column
from pipelines.credit.models import inner_estimator

OUTPUT_UNITS = {XGBClassifier: "log-odds", LogisticRegression: "log-odds", RandomForestClassifier: "probability"}


class PipelineExplainer:
    """Build once (it holds the SHAP explainer), then explain any number of application rows."""

    def __init__(self, pipeline: Pipeline, background: pd.DataFrame | None = None):
        self.pipeline = pipeline
        self.encoder = pipeline[:-1]
        self.model = inner_estimator(pipeline[-1])
        self.feature_names = [str(name) for name in self.encoder.get_feature_names_out()]
        self.inputs = [str(name) for name in pipeline[0].get_feature_names_out()]
        self.sources = [source_column(name, self.inputs) for name in self.feature_names]
        model_type = type(self.model)
        if model_type not in OUTPUT_UNITS:
            raise DataError(
                f"no SHAP explainer for a {model_type.__name__} (explainable: XGBoost, random forest, logistic)"
            )
        self.output_units = OUTPUT_UNITS[model_type]
        if isinstance(self.model, LogisticRegression):
            if background is None or background.empty:
                raise DataError("the logistic model needs background rows for its SHAP explainer")
            self.explainer = shap.LinearExplainer(self.model, self._encode(background))
        else:
            self.explainer = shap.TreeExplainer(self.model)
        # XGBoost's own TreeSHAP, which shap's TreeExplainer calls for it: thread-safe, one thread per call
        self.booster = self.model.get_booster() if isinstance(self.model, XGBClassifier) else None
        self._lock = threading.Lock()  # shap's explainers keep state between calls
        self._groups = list(dict.fromkeys(self.sources))
        self._members = [[k for k, source in enumerate(self.sources) if source == name] for name in self._groups]

    def _encode(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.encoder.transform(frame), dtype=float)

    def explain(self, frame: pd.DataFrame) -> shap.Explanation:
        """SHAP values of the positive class (default) for each row, named by encoded feature."""
        encoded = self._encode(frame)
        explanation = self.explainer(encoded)
        values, base = explanation.values, explanation.base_values
        if values.ndim == 3:  # random forest: one column per class
            values, base = values[:, :, 1], np.asarray(base)[:, 1]
        return shap.Explanation(
            values=values,
            base_values=np.broadcast_to(base, (len(encoded),)).astype(float),
            data=encoded,
            feature_names=self.feature_names,
        )

    def grouped(self, explanation: shap.Explanation) -> pd.DataFrame:
        """SHAP values summed per source field (rows = clients, columns = fields, in input order)."""
        values = pd.DataFrame(explanation.values, columns=self.feature_names)
        grouped = values.T.groupby(self.sources, sort=False).sum().T
        return grouped[[name for name in dict.fromkeys(self.sources)]]

    def top_contributions(self, frame: pd.DataFrame, raw: pd.Series, k: int) -> list[dict]:
        """The k fields that moved one client's score most, with the value the client gave."""
        contributions = self.grouped(self.explain(frame)).iloc[0]
        order = contributions.abs().sort_values(ascending=False).index[:k]
        engineered = self.pipeline[0].transform(frame).iloc[0]
        return [
            {
                "feature": name,
                "value": _plain(raw[name] if name in raw.index else engineered.get(name)),
                "contribution": round(float(contributions[name]), 5),
            }
            for name in order
        ]

    def shap_values(self, encoded: np.ndarray) -> np.ndarray:
        """SHAP values of the positive class for encoded rows: `explain(...).values` without the DataFrame, the
        encoder and shap's Explanation around them; lock-free for XGBoost (`pred_contribs`, its bias dropped)."""
        if self.booster is not None:
            matrix = xgboost.DMatrix(encoded, missing=np.nan, nthread=1)
            return self.booster.predict(matrix, pred_contribs=True, validate_features=False)[:, :-1]
        with self._lock:
            values = self.explainer(encoded).values
        return values[:, :, 1] if values.ndim == 3 else values

    def grouped_row(self, values: np.ndarray) -> np.ndarray:
        """One row of SHAP values summed per source field, in `grouped`'s order and with its arithmetic
        (pandas' groupby sum is Kahan-compensated), so the same bits."""
        out = np.empty(len(self._groups))
        for g, members in enumerate(self._members):
            total = compensation = 0.0
            for k in members:
                y = values[k] - compensation
                t = total + y
                compensation = t - total - y
                if compensation != compensation:  # an infinite value: pandas resets the compensation
                    compensation = 0.0
                total = t
            out[g] = total
        return out

    def top_fields(self, values: np.ndarray, value_of: Callable[[str], Any], k: int) -> list[dict]:
        """`top_contributions` from one row of SHAP values and the client's value of each field."""
        contributions = self.grouped_row(values)
        order = _descending(np.abs(contributions))[:k]
        return [
            {
                "feature": self._groups[g],
                "value": _plain(value_of(self._groups[g])),
                "contribution": round(float(contributions[g]), 5),
            }
            for g in order
        ]


def _descending(values: np.ndarray) -> np.ndarray:
    """The order of `pd.Series(values).sort_values(ascending=False)` (pandas' nargsort, no missing values):
    ties fall as pandas lets them fall."""
    reversed_positions = np.arange(len(values))[::-1]
    return reversed_positions[values[::-1].argsort(kind="quicksort")][::-1]


def _plain(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    return value
