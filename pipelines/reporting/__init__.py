"""Figures and HTML reports: the shared plot style, saving a figure with its source line, rendering a report."""
