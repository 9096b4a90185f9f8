"""Alembic picks up pgfence's DATABASE_URL (the proxy's address) here."""

import os

from alembic import context
from sqlalchemy import create_engine

# SQLAlchemy names the driver in the URL: psycopg (3) is the one installed with pgfence.
url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)

if context.is_offline_mode():
    context.configure(url=url, literal_binds=True, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    with create_engine(url).connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
