"""Alembic environment: runs on the connection paperwire hands over (``store/db.py``: ``migrate``
opens it, inside one transaction, and passes it in ``config.attributes["connection"]``); SQLite gets
batch mode so ALTER TABLE works there."""
from alembic import context

from paperwire.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
