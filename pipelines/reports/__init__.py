"""The reports index: the page that links every pipeline's reports, headline numbers and benchmarks."""
