"""Alembic migrations of the GenAISys Studio database (run by ``storage.db.upgrade_to_head``)."""
