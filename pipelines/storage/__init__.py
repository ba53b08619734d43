"""What every database of the project shares (SQLite by default, PostgreSQL by URL): engines, UTC times,
constraint names and Alembic upgrades. The weather prediction database and the credit scoring events
each keep their own tables and migrations on top of it; a package of its own, so changing a pipeline's
tables reruns only that pipeline's stages."""
