"""FBA drift: the latest drift per (account, fulfilment network, SKU), and each network's last pull.

``fba_drift`` holds the SKUs whose Amazon FBA total differed from what Odoo expected at the
latest complete pull of their (account, network); a pull replaces the rows of its (account,
network). ``fba_pulls`` records that a complete pull was applied: no drift is reported on the
first one (Odoo expects nothing yet).

Revision ID: 0010_fba_drift
Revises: 0009_stock_dirty_log
"""

from __future__ import annotations

from alembic import op

revision = "0010_fba_drift"
down_revision = "0009_stock_dirty_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE fba_drift (
        account text NOT NULL,
        network text NOT NULL,
        sku text NOT NULL,
        expected numeric NOT NULL,
        reported integer NOT NULL,
        difference numeric NOT NULL,
        detected_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account, network, sku)
    );
    CREATE TABLE fba_pulls (
        account text NOT NULL,
        network text NOT NULL,
        marketplace_id text NOT NULL,
        skus integer NOT NULL,
        adjustments integer NOT NULL,
        drift_lines integer NOT NULL,
        pulled_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account, network)
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE fba_pulls; DROP TABLE fba_drift;")
