"""The library: what the stage commands (stages/) and the API (api/) import. One package per pipeline,
plus `common` for what pipelines share."""
