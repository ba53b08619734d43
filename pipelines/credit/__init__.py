"""Credit default scoring: Home Credit applications → tuned models, business cost, SHAP, registry, drift, scoring."""
