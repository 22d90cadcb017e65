"""Alembic migrations shipped in the package (run at start-up by app.store.db.migrate)."""
