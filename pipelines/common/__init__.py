"""Helpers shared by every pipeline: params, paths, provenance, atomic writes, logging, plots, reports."""
