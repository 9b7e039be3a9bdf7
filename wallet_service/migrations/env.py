"""Alembic environment: the connection comes from the application (wallet_service.platform.database)."""
from alembic import context

from wallet_service.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
