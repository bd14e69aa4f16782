"""Alembic environment: runs against the URL put in the config by ``store.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from amazon_odoo_sync.store.base import metadata
from amazon_odoo_sync.store.database import sqlalchemy_url

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "store.migrate sets sqlalchemy.url"

connectable = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata,
                      version_table="aos_alembic_version", transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
connectable.dispose()
