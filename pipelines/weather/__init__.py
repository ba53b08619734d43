"""Temperature forecasting: Open-Meteo hourly data → 3-hour series → models → database → API."""
