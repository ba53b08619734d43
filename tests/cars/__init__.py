"""Tests of the cars pipeline."""
