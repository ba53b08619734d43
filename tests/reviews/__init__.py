"""Tests of the French review sentiment pipeline."""
