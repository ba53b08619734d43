"""Freelance stage commands."""
