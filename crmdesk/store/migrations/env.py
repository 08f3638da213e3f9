"""Alembic environment: runs on the connection crmdesk hands over (never from an alembic.ini URL)."""

from alembic import context

from crmdesk.store.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
