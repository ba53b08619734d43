"""Pipeline stages: one package per pipeline, `common` for what they share."""
