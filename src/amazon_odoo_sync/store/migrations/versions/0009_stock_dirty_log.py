"""Stock: ``stock_dirty`` becomes an append-only log without a key.

With a primary key on (account, sku), two transactions marking overlapping SKUs wait on each
other's uncommitted rows, and with other locks between them (order claims, reservations) they
deadlock. A mark needs no uniqueness: a plain insert never waits, and the stock cycle takes the
distinct SKUs of whatever is committed.

Revision ID: 0009_stock_dirty_log
Revises: 0008_jobs_retry_twin
"""

from __future__ import annotations

from alembic import op

revision = "0009_stock_dirty_log"
down_revision = "0008_jobs_retry_twin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    ALTER TABLE stock_dirty DROP CONSTRAINT IF EXISTS stock_dirty_pkey;
    ALTER TABLE stock_dirty ADD COLUMN id bigserial PRIMARY KEY;
    CREATE INDEX ix_stock_dirty_account_sku ON stock_dirty (account, sku);
    """)


def downgrade() -> None:
    op.execute("""
    DELETE FROM stock_dirty a USING stock_dirty b
    WHERE a.account = b.account AND a.sku = b.sku AND a.id > b.id;
    DROP INDEX ix_stock_dirty_account_sku;
    ALTER TABLE stock_dirty DROP COLUMN id;
    ALTER TABLE stock_dirty ADD PRIMARY KEY (account, sku);
    """)
