"""FastAPI service over the weather prediction database (read-only; see api/main.py and docs/api.md)."""
